package parquetwriter_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

const benchColumns = "id:int64,name:utf8,city:utf8,amount:decimal(12,2),qty:int32,price:float64,ts:timestamp[us],day:date32,flag:bool,note:utf8"

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("FERRY_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchCSV writes the benchmark table (10 columns) as CSV.
func benchCSV(b *testing.B, dir string, rows int) string {
	b.Helper()
	path := filepath.Join(dir, "bench.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,name,city,amount,qty,price,ts,day,flag,note")
	cities := []string{"Berlin", "Shanghai", "São Paulo", "New York", "Hangzhou"}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i++ {
		ts := t0.Add(time.Duration(i) * 1234567 * time.Microsecond)
		fmt.Fprintf(w, "%d,customer %d,%s,%d.%02d,%d,%g,%s,%s,%t,\"note, with comma %d\"\n",
			i, i%100000, cities[i%len(cities)], i%1000000, i%100, i%500, float64(i)*0.37,
			ts.Format("2006-01-02 15:04:05.999999"), ts.Format("2006-01-02"), i%3 == 0, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

func runBench(b *testing.B, r ferry.Reader, w ferry.Writer) {
	b.Helper()
	if _, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCSVToParquet: 1,000,000 rows (FERRY_BENCH_ROWS) of a 10-column
// table, CSV -> Parquet (snappy) with two workers over 16 MiB splits.
func BenchmarkCSVToParquet(b *testing.B) {
	rows := benchRows()
	dir := b.TempDir()
	src := benchCSV(b, dir, rows)
	schema, err := fileset.ParseColumns(benchColumns)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, err := csvreader.Open(context.Background(), csvreader.Config{Path: src, Schema: schema, SplitBytes: 16 << 20})
		if err != nil {
			b.Fatal(err)
		}
		w, err := parquetwriter.Open(context.Background(), parquetwriter.Config{Path: filepath.Join(dir, "out.parquet"), Mode: ferry.ModeOverwrite})
		if err != nil {
			b.Fatal(err)
		}
		runBench(b, r, w)
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkParquetToCSV: the same table, Parquet -> CSV with two workers.
func BenchmarkParquetToCSV(b *testing.B) {
	rows := benchRows()
	dir := b.TempDir()
	src := benchCSV(b, dir, rows)
	schema, err := fileset.ParseColumns(benchColumns)
	if err != nil {
		b.Fatal(err)
	}
	pq := filepath.Join(dir, "src.parquet")
	r, err := csvreader.Open(context.Background(), csvreader.Config{Path: src, Schema: schema, SplitBytes: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	w, err := parquetwriter.Open(context.Background(), parquetwriter.Config{Path: pq})
	if err != nil {
		b.Fatal(err)
	}
	runBench(b, r, w)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: filepath.Join(dir, "src*.parquet")})
		if err != nil {
			b.Fatal(err)
		}
		w, err := csvwriter.Open(context.Background(), csvwriter.Config{Path: filepath.Join(dir, "out.csv"), Mode: ferry.ModeOverwrite})
		if err != nil {
			b.Fatal(err)
		}
		runBench(b, r, w)
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}
