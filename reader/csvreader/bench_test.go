package csvreader_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrydata/ferry/reader/csvreader"
)

// BenchmarkRead reads 200,000 rows of a 10-column table in one split
// (parse and decode only, no writer).
func BenchmarkRead(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "b.csv")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,name,city,amount,qty,price,ts,day,flag,note")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i++ {
		ts := t0.Add(time.Duration(i) * 1234567 * time.Microsecond)
		fmt.Fprintf(w, "%d,customer %d,Berlin,%d.%02d,%d,%g,%s,%s,%t,\"note, with comma %d\"\n",
			i, i%100000, i%1000000, i%100, i%500, float64(i)*0.37, ts.Format("2006-01-02 15:04:05.999999"), ts.Format("2006-01-02"), i%3 == 0, i)
	}
	w.Flush()
	f.Close()
	schema, _ := csvreader.ParseColumns("id:int64,name:utf8,city:utf8,amount:decimal(12,2),qty:int32,price:float64,ts:timestamp[us],day:date32,flag:bool,note:utf8")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := csvreader.Open(context.Background(), csvreader.Config{Path: path, Schema: schema, SplitBytes: -1})
		if err != nil {
			b.Fatal(err)
		}
		splits, _ := r.Splits(context.Background(), 1)
		rr, _ := r.Read(context.Background(), splits[0])
		n := 0
		for rr.Next() {
			n += int(rr.RecordBatch().NumRows())
		}
		rr.Release()
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
