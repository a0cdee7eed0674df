package sqlitewriter_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/sqlitereader"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// makeOrders fills table orders of a new database with n rows of the
// quickstart's shape (int key, text, decimal, double, timestamp, date,
// bool, some NULLs) using SQLite itself.
func makeOrders(b *testing.B, path string, n int) {
	b.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount DECIMAL TEXT(12,2), price REAL, note TEXT, created_at DATETIME, ship_day DATE, paid BOOLEAN)`,
		fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < %d)
		INSERT INTO orders SELECT i, 'customer ' || (i %% 5000), printf('%%d.%%02d', i %% 100000, i %% 100), i * 0.25,
		  CASE WHEN i %% 10 = 0 THEN NULL ELSE 'ünïcödé note ' || i END,
		  strftime('%%Y-%%m-%%d %%H:%%M:%%f', '2024-01-01', '+' || i || ' seconds') || printf('%%03d', i %% 1000),
		  date('2024-01-01', '+' || (i %% 365) || ' days'), i %% 2 FROM s`, n),
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSQLiteToSQLite copies the orders table into a new database
// through the Pipeline with two workers and reports rows/s.
//
//	go test -run '^$' -bench SQLiteToSQLite -benchtime 1x ./writer/sqlitewriter -rows 1000000
func BenchmarkSQLiteToSQLite(b *testing.B) {
	n := *benchRows
	dir := b.TempDir()
	src := filepath.Join(dir, "src.db")
	makeOrders(b, src, n)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("dst%d.db", i))
		r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: src, Table: "orders"})
		if err != nil {
			b.Fatal(err)
		}
		w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: dst, Table: "orders", Key: []string{"id"}})
		if err != nil {
			b.Fatal(err)
		}
		cpu0 := cpuSeconds()
		sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
		b.ReportMetric((cpuSeconds()-cpu0)/(float64(n)/1e6), "cpu-s/Mrows")
		b.ReportMetric(peakRSSMB(), "peak-MB")
		if err != nil {
			b.Fatal(err)
		}
		if sum.RowsWritten != int64(n) {
			b.Fatalf("wrote %d rows, want %d", sum.RowsWritten, n)
		}
		b.ReportMetric(float64(n)/sum.Elapsed.Seconds(), "rows/s")
		if testing.Verbose() {
			b.Log(sum.Report())
		}
	}
}

// BenchmarkSQLiteAttachCopy is the yardstick: SQLite's own copy of the same
// table into a new database file (ATTACH, INSERT INTO ... SELECT), in the
// same engine, without Arrow.
func BenchmarkSQLiteAttachCopy(b *testing.B) {
	n := *benchRows
	dir := b.TempDir()
	src := filepath.Join(dir, "src.db")
	makeOrders(b, src, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := sql.Open("sqlite", src)
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		dst := filepath.Join(dir, fmt.Sprintf("dst%d.db", i))
		for _, q := range []string{
			fmt.Sprintf(`ATTACH '%s' AS dst`, dst),
			`PRAGMA dst.journal_mode=WAL`, `PRAGMA dst.synchronous=OFF`,
			`CREATE TABLE dst.orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount DECIMAL TEXT(12,2), price REAL, note TEXT, created_at DATETIME, ship_day DATE, paid BOOLEAN)`,
			`INSERT INTO dst.orders SELECT * FROM main.orders`,
			`PRAGMA dst.synchronous=FULL`, `PRAGMA dst.wal_checkpoint(TRUNCATE)`,
		} {
			if _, err := db.Exec(q); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWrite measures the writer alone: 200,000 rows of the standard
// columns SQLite holds, written by one BatchWriter, by rows per statement.
func BenchmarkWrite(b *testing.B) {
	schema := connectortest.Schema([]string{"i32", "i64", "dec", "f64", "flag", "day", "ts"})
	data := connectortest.Batch(memory.DefaultAllocator, schema, 65536)
	defer data.Release()
	ctx := context.Background()
	for _, rows := range []int{1, 16, 64, 256, 1024} {
		b.Run(fmt.Sprint(rows), func(b *testing.B) {
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				path := filepath.Join(b.TempDir(), "w.db")
				w, _ := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: path, Table: "t", BatchRows: rows})
				if err := w.Prepare(ctx, schema); err != nil {
					b.Fatal(err)
				}
				bw, _ := w.Open(ctx)
				for range 3 {
					if err := bw.Write(ctx, data); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
			b.ReportMetric(float64(3*65536*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric((cpuSeconds()-cpu0)/(float64(3*65536*b.N)/1e6), "cpu-s/Mrows")
		})
	}
}

// BenchmarkRead measures the reader alone on the orders table: every split
// read by hint goroutines.
func BenchmarkRead(b *testing.B) {
	n := *benchRows
	src := filepath.Join(b.TempDir(), "src.db")
	makeOrders(b, src, n)
	ctx := context.Background()
	for _, hint := range []int{1, 2} {
		b.Run(fmt.Sprint(hint), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: src, Table: "orders"})
				if err != nil {
					b.Fatal(err)
				}
				splits, _ := r.Splits(ctx, hint)
				ch := make(chan ferry.Split, len(splits))
				for _, s := range splits {
					ch <- s
				}
				close(ch)
				var wg sync.WaitGroup
				var total atomic.Int64
				for range hint {
					wg.Go(func() {
						for s := range ch {
							rr, err := r.Read(ctx, s)
							if err != nil {
								b.Error(err)
								return
							}
							for rr.Next() {
								total.Add(rr.RecordBatch().NumRows())
							}
							rr.Release()
						}
					})
				}
				wg.Wait()
				if total.Load() != int64(n) {
					b.Fatalf("read %d rows", total.Load())
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// cpuSeconds is the process's user and system CPU time so far: on a shared
// machine it varies less than the wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
