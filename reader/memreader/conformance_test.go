package memreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/memreader"
)

func TestConformance(t *testing.T) {
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			if data.NumRows() == 0 {
				return memreader.NewWithSchema(data.Schema())
			}
			// Copy data into mem in batches of batchRows, as a real source would.
			var batches []arrow.RecordBatch
			for lo := int64(0); lo < data.NumRows(); lo += int64(batchRows) {
				s := data.NewSlice(lo, min(lo+int64(batchRows), data.NumRows()))
				batches = append(batches, copyBatch(t, mem, s))
				s.Release()
			}
			r := memreader.New(batches, &memreader.Options{BatchesPerSplit: 3})
			for _, b := range batches {
				b.Release()
			}
			return r
		},
	})
}
