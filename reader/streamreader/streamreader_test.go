package streamreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/streamreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// sliceRecordCount rows per slice, every type, value/random/incr, and no
// leak (checked allocator).
func TestStreamReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg, err := streamreader.ParseConfig(`stream:///?sliceRecordCount=1000&slices=3&batchRows=300&column=` +
		`[{"value":"DataX","type":"string"},{"value":19890604,"type":"long"},{"value":"1989-06-04 00:00:00","type":"date"},` +
		`{"value":true,"type":"bool"},{"value":"test","type":"bytes"},{"random":"1,10","type":"long"},{"incr":"5,2","type":"long"},` +
		`{"random":"2,4","type":"string"},{"random":"0.5,1.5","type":"double"},{"type":"string"}]`)
	require.NoError(t, err)
	cfg.Allocator = mem
	r, err := streamreader.New(cfg)
	require.NoError(t, err)
	tbl := memwriter.NewTable()
	defer tbl.Release()
	sum, err := ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Concurrency: 2, Allocator: mem}).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 3000, sum.RowsWritten)
	require.Equal(t, 3, sum.SplitsTotal)

	// The same slice reads the same rows (a fixed seed), incr counts per slice.
	r2, err := streamreader.New(cfg)
	require.NoError(t, err)
	splits, err := r2.Splits(context.Background(), 8)
	require.NoError(t, err)
	require.Len(t, splits, 3)
	first := func() []any {
		rr, err := r2.Read(context.Background(), splits[1])
		require.NoError(t, err)
		defer rr.Release()
		require.True(t, rr.Next())
		b := rr.RecordBatch()
		require.EqualValues(t, 300, b.NumRows())
		return []any{b.Column(5).(*array.Int64).Value(7), b.Column(6).(*array.Int64).Value(7), b.Column(7).(*array.String).Value(7), b.Column(9).IsNull(0)}
	}
	a, b := first(), first()
	require.Equal(t, a, b)
	require.EqualValues(t, 5+7*2, a[1])
	require.True(t, a[3].(bool))
	require.NoError(t, r2.Close())
}

func TestStreamReaderErrors(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{`stream:///?sliceRecordCount=1`, "column is required"},
		{`stream:///?column=[{"value":"x","type":"long"}]&sliceRecordCount=1`, `value "x" is not a long`},
		{`stream:///?column=[{"value":1,"random":"1,2","type":"long"}]&sliceRecordCount=1`, "one of value, random and incr"},
		{`stream:///?column=[{"type":"decimal"}]&sliceRecordCount=1`, `type "decimal"`},
		{`stream:///?column=[{"type":"long"}]`, "sliceRecordCount is required"},
		{`stream:///?column=[{"type":"long"}]&sliceRecordCount=1&bogus=1`, "bogus"},
		{`stream:///?column=[{"random":"9,1","type":"long"}]&sliceRecordCount=1`, "min ≤ max"},
	} {
		_, err := ferry.OpenReader(context.Background(), tt.url)
		require.ErrorContains(t, err, tt.want, tt.url)
	}
}
