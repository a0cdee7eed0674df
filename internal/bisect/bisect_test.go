package bisect_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/bisect"
)

var errBad = errors.New("bad value")

func ids(t *testing.T, mem memory.Allocator, n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

func TestBisectIsolatesBadRows(t *testing.T) {
	tests := []struct {
		n   int
		bad []int64
	}{
		{1, nil}, {1, []int64{0}}, {100, nil}, {100, []int64{0}}, {100, []int64{99}},
		{100, []int64{3, 4, 50, 98}}, {1000, []int64{1, 500, 999}}, {7, []int64{0, 1, 2, 3, 4, 5, 6}},
	}
	for _, tt := range tests {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		b := ids(t, mem, tt.n)
		var landed []int64
		calls := 0
		write := func(ctx context.Context, part arrow.RecordBatch) error {
			calls++
			col := part.Column(0).(*array.Int64)
			for i := 0; i < col.Len(); i++ {
				if slices.Contains(tt.bad, col.Value(i)) {
					return errBad // all or nothing
				}
			}
			landed = append(landed, col.Int64Values()...)
			return nil
		}
		err := bisect.Write(context.Background(), b, write, func(err error) bool { return errors.Is(err, errBad) }, func(error) string { return "id" })
		var gotBad []int64
		for _, re := range dirty.Rows(err) {
			gotBad = append(gotBad, re.Row)
			require.ErrorIs(t, re.Err, errBad)
			require.Equal(t, "id", re.Column)
		}
		require.Equal(t, tt.bad, gotBad, "n=%d", tt.n)
		require.Len(t, landed, tt.n-len(tt.bad))
		if len(tt.bad) == 1 {
			// log2(n) round trips per bad row, not one per row.
			require.LessOrEqual(t, calls, 2*bitsLen(tt.n)+1, "n=%d calls=%d", tt.n, calls)
		}
		b.Release()
		mem.AssertSize(t, 0)
	}
}

func bitsLen(n int) int {
	k := 0
	for ; n > 0; n >>= 1 {
		k++
	}
	return k
}

func TestBisectStopsOnOtherErrors(t *testing.T) {
	b := ids(t, memory.DefaultAllocator, 10)
	defer b.Release()
	boom := errors.New("connection lost")
	err := bisect.Write(context.Background(), b, func(context.Context, arrow.RecordBatch) error { return boom },
		func(err error) bool { return errors.Is(err, errBad) }, nil)
	require.ErrorIs(t, err, boom)
	require.False(t, dirty.Is(err))
}
