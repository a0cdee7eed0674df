package sqlserverwriter

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkEncodeRows measures the client-side cost of turning a batch
// into the driver's values (what a bulk copy sends), with no server.
func BenchmarkEncodeRows(b *testing.B) {
	w, _ := testWriter(&testing.T{}, Config{Table: "dbo.orders"}, target, testSchema)
	names := make([]string, 65536)
	for i := range names {
		names[i] = fmt.Sprintf("customer name %d", i)
	}
	rec := batch(&testing.T{}, memory.DefaultAllocator, names)
	defer rec.Release()
	sw := &splitWriter{w: w, p: w.plan, split: "s", attempt: 1, send: func(context.Context, []any, int) error { return nil }}
	b.ResetTimer()
	for range b.N {
		if err := sw.Write(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*65536/b.Elapsed().Seconds(), "rows/s")
}
