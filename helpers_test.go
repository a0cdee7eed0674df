package ferry_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var smallSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// seqBatches returns n batches of rows rows each, ids counting from 1.
func seqBatches(t testing.TB, mem memory.Allocator, n, rows int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, smallSchema)
	defer b.Release()
	id := int64(1)
	for range n {
		for range rows {
			b.Field(0).(*array.Int64Builder).Append(id)
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name %d", id))
			id++
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
