package ferry_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// A complete sync: read batches, write them with two workers, tolerate up to
// ten dirty rows, and report.
func Example() {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4, 5}, nil)
	batch := b.NewRecordBatch()
	defer batch.Release()

	r := memreader.New([]arrow.RecordBatch{batch, batch}, nil) // two splits
	table := memwriter.NewTable()
	w := memwriter.New(table, &memwriter.Options{Mode: ferry.ModeInsert})

	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2, Dirty: dirty.TolerateRows(10)}).Run(context.Background())
	if err != nil {
		fmt.Println("sync failed:", err)
		return
	}
	fmt.Println("written:", sum.RowsWritten, "dirty:", sum.RowsDirty, "in table:", table.NumRows())
	// Output: written: 10 dirty: 0 in table: 10
}
