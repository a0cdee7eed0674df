package memreader_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// copyBatch deep-copies b into mem.
func copyBatch(t *testing.T, mem memory.Allocator, b arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, b.NumCols())
	for i, c := range b.Columns() {
		a, err := array.Concatenate([]arrow.Array{c}, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = a
	}
	out := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
	for _, a := range cols {
		a.Release()
	}
	return out
}
