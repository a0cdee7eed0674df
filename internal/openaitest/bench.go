package openaitest

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// BenchTransform runs t on in b.N times (after warm runs, which fill a
// cache) and reports the requests/s and rows/s that counts (the
// transform's request and row counters) moved by.
func BenchTransform(b *testing.B, t ferry.Transformer, in arrow.RecordBatch, warm int, counts func() (requests, rows int64)) {
	b.Helper()
	if _, err := t.OutputSchema(in.Schema()); err != nil {
		b.Fatal(err)
	}
	once := func() {
		out, err := t.Transform(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	for i := 0; i < warm; i++ {
		once()
	}
	req0, rows0 := counts()
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		once()
	}
	el := time.Since(t0).Seconds()
	req, rows := counts()
	b.ReportMetric(float64(req-req0)/el, "req/s")
	b.ReportMetric(float64(rows-rows0)/el, "rows/s")
}
