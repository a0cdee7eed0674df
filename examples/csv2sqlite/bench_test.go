package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// CSV→SQLite against its yardstick, the sqlite3 shell's .import --csv
// (Debian's sqlite3 package), on the same file in the same run:
//
//	go test -run '^$' -bench . -benchtime 1x ./examples/csv2sqlite -rows 1000000

var benchRows = flag.Int("rows", 100_000, "rows of the CSV benchmarks")

const (
	ordersDDL     = `CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount DECIMAL TEXT(12,2), price REAL, note TEXT, created_at DATETIME, ship_day DATE, paid BOOLEAN)`
	ordersColumns = "id:int64,customer:utf8,amount:decimal(12,2),price:float64,note:utf8,created_at:timestamp[us],ship_day:date32,paid:bool"
)

// writeCSV writes n rows of the orders shape with a header.
func writeCSV(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,customer,amount,price,note,created_at,ship_day,paid")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		note := fmt.Sprintf(`"ünïcödé note, %d"`, i)
		if i%10 == 0 {
			note = ""
		}
		ts := t0.Add(time.Duration(i) * time.Second).Add(time.Duration(i%1000) * time.Microsecond)
		fmt.Fprintf(w, "%d,customer %d,%d.%02d,%g,%s,%s,%s,%d\n", i, i%5000, i%100000, i%100, float64(i)*0.25, note,
			ts.Format("2006-01-02 15:04:05.000000"), t0.AddDate(0, 0, i%365).Format("2006-01-02"), i%2)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

// BenchmarkCSVToSQLite loads the file through the Pipeline with two workers
// into a new database (the table created from the given column types).
func BenchmarkCSVToSQLite(b *testing.B) {
	n := *benchRows
	dir := b.TempDir()
	csv := filepath.Join(dir, "orders.csv")
	writeCSV(b, csv, n)
	schema, err := csvreader.ParseColumns(ordersColumns)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("csv%d.db", i))
		r, err := csvreader.Open(ctx, csvreader.Config{Path: csv, Schema: schema})
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
		if err != nil {
			b.Fatal(err)
		}
		if sum.RowsWritten != int64(n) {
			b.Fatalf("wrote %d rows, want %d", sum.RowsWritten, n)
		}
		b.ReportMetric(float64(n)/sum.Elapsed.Seconds(), "rows/s")
		b.ReportMetric(peakRSSMB(), "peak-MB")
		os.Remove(dst)
	}
}

// BenchmarkCLIImport is the yardstick: the shell's .import --csv of the same
// file into the same table of a new database.
func BenchmarkCLIImport(b *testing.B) {
	cli, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("no sqlite3 shell (apt-get install sqlite3)")
	}
	n := *benchRows
	dir := b.TempDir()
	csv := filepath.Join(dir, "orders.csv")
	writeCSV(b, csv, n)
	b.ResetTimer()
	var wall, cpu float64
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("imp%d.db", i))
		cmd := exec.Command(cli, "-batch", dst)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("PRAGMA synchronous=OFF;\n%s;\n.import --csv --skip 1 %s orders\n", ordersDDL, csv))
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sqlite3: %v\n%s", err, out)
		}
		wall += time.Since(t0).Seconds()
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		os.Remove(dst)
	}
	b.ReportMetric(float64(n)*float64(b.N)/wall, "rows/s")
	b.ReportMetric(cpu/float64(b.N)/(float64(n)/1e6), "cpu-s/Mrows")
}
