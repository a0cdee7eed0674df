package sqlserverreader

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/sqlsource"
)

// BenchmarkDecode measures appending driver values (as go-mssqldb returns
// them) of the test table's five columns to the Arrow builders, with no
// server.
func BenchmarkDecode(b *testing.B) {
	r := testReader(&testing.T{}, sqlsource.Source{Table: "t"}, false)
	rows := make([][]any, 1024)
	for i := range rows {
		rows[i] = []any{int64(i), "CODE-1", fmt.Sprintf("customer name %d", i), time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC), int64(i)}
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, r.schema)
	defer rb.Release()
	decs := make([]decoder, len(r.cols))
	for i := range r.cols {
		decs[i] = newDecoder(&r.cols[i], rb, i)
	}
	b.ResetTimer()
	n := 0
	for range b.N {
		for _, row := range rows {
			for c, v := range row {
				if _, err := decs[c](v); err != nil {
					b.Fatal(err)
				}
			}
		}
		n += len(rows)
		if n >= 65536 {
			rb.NewRecordBatch().Release()
			n = 0
		}
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "rows/s")
}
