package memreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
)

func TestEstimate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	var batches []arrow.RecordBatch
	for _, n := range []int{3, 5} {
		for i := range n {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
		}
		batches = append(batches, b.NewRecordBatch())
	}
	for _, tc := range []struct {
		repeat int
		want   int64
	}{{0, 8}, {1, 8}, {4, 32}} {
		r := memreader.New(batches, &memreader.Options{Repeat: tc.repeat})
		est, err := r.Estimate(context.Background())
		require.NoError(t, err)
		require.Equal(t, ferry.Estimate{Rows: tc.want, Exact: true}, est)
		require.NoError(t, r.Close())
	}
	empty := memreader.NewWithSchema(schema)
	est, err := empty.Estimate(context.Background())
	require.NoError(t, err)
	require.Zero(t, est.Rows)
	for _, x := range batches {
		x.Release()
	}
}
