package mysqlreader_test

import (
	"context"
	"database/sql"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/mysqlreader"
)

// BenchmarkReadOrders reads the first FERRY_BENCH_ROWS rows (default
// 200,000) of bench.orders_src, the table ferrybench creates, through one
// split into Arrow batches. It is skipped when the table is missing.
func BenchmarkReadOrders(b *testing.B) {
	base := os.Getenv("FERRY_BENCH_MYSQL_URL")
	if base == "" {
		base = "mysql://root@127.0.0.1:3306/bench"
	}
	rows := os.Getenv("FERRY_BENCH_ROWS")
	if rows == "" {
		rows = "200000"
	}
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/bench")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM orders_src").Scan(&n); err != nil {
		testenv.Unreachable(b, "MariaDB bench.orders_src", err)
		return
	}
	ctx := context.Background()
	cfg, err := mysqlreader.ParseConfig(base + "?querySql=" + "SELECT+*+FROM+orders_src+WHERE+id+<=+" + rows)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Allocator = memory.NewGoAllocator()
	r, err := mysqlreader.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	cpu0 := cpuTime()
	total := 0
	for b.Loop() {
		splits, err := r.Splits(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for _, s := range splits {
			rr, err := r.Read(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			for rr.Next() {
				got += int(rr.RecordBatch().NumRows())
			}
			if err := rr.Err(); err != nil {
				b.Fatal(err)
			}
			rr.Release()
		}
		total += got
	}
	b.ReportMetric(float64(total/b.N), "rows/op")
	// The process's CPU (user + system) per million rows: the server's
	// speed does not enter it, as it enters ns/op.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(total)*1e6, "cpu-s/Mrow")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
