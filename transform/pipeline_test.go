package transform_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// TestFiltersKeepEveryType: dropping rows (a filter, a dirty row) keeps the
// values of every column of the standard conformance table, extension and
// nested types included, with no leak.
func TestFiltersKeepEveryType(t *testing.T) {
	mem := checked(t)
	b := connectortest.Batch(mem, connectortest.Schema(nil), 40)
	defer b.Release()
	for _, f := range []struct {
		where string
		keep  func(id int) bool
	}{
		{"id % 3 != 0", func(id int) bool { return id%3 != 0 }},
		{"id % 2 == 1 || id > 30", func(id int) bool { return id%2 == 1 || id > 30 }}, // keeps the NULL row (id 3)
	} {
		tr, err := transform.Filter(f.where, &transform.Options{Allocator: mem})
		require.NoError(t, err)
		out, d := run(t, tr, b)
		require.Empty(t, d)
		k := 0
		for i := 0; i < 40; i++ {
			if !f.keep(i + 1) {
				continue
			}
			for c := range out.Columns() {
				want := array.NewSlice(b.Column(c), int64(i), int64(i+1))
				got := array.NewSlice(out.Column(c), int64(k), int64(k+1))
				require.True(t, array.ApproxEqual(want, got, array.WithNaNsEqual(true)), "%s: column %s row %d: %s vs %s", f.where, b.Schema().Field(c).Name, i, want, got)
				want.Release()
				got.Release()
			}
			k++
		}
		require.EqualValues(t, k, out.NumRows())
		out.Release()
	}
	// every row dropped, and none
	for where, n := range map[string]int64{"false": 0, "true": 40} {
		tr, err := transform.Filter(where, &transform.Options{Allocator: mem})
		require.NoError(t, err)
		out, _ := run(t, tr, b)
		require.EqualValues(t, n, out.NumRows())
		require.True(t, out.Schema().Equal(b.Schema()))
		out.Release()
	}
}

// TestDataXChainInAPipeline runs a DataX job's transformer list through
// the Pipeline: filtered rows are counted as filtered, dirty rows as dirty
// (with their reasons), and the rest arrive transformed.
func TestDataXChainInAPipeline(t *testing.T) {
	mem := checked(t)
	in := strBatch(mem, []*string{strPtr("dataxTest"), strPtr("drop me"), strPtr("a"), nil, strPtr("😀😀😀😀😀")})
	r := memreader.New([]arrow.RecordBatch{in}, nil)
	in.Release()
	tbl := memwriter.NewTable()
	defer tbl.Release()
	chain, err := transform.BuildAll([]transform.Spec{
		{Name: "dx_filter", Parameter: []byte(`{"columnIndex":1,"paras":["like","drop.*"]}`)},
		{Name: "dx_substr", Parameter: []byte(`{"columnIndex":1,"paras":["2","5"]}`)},
		{Name: "dx_pad", Parameter: []byte(`{"columnIndex":1,"paras":["r","6","_"]}`)},
	}, &transform.Options{Allocator: mem})
	require.NoError(t, err)
	sum, err := ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Allocator: mem, Transformers: chain, Dirty: dirty.IgnoreAll()}).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 5, sum.RowsRead)
	require.EqualValues(t, 1, sum.RowsFiltered)
	require.EqualValues(t, 1, sum.RowsDirty) // "a": startIndex 2 is past its end
	got, err := tbl.Batch(mem, nil)
	require.NoError(t, err)
	defer got.Release()
	require.Equal(t, []*string{strPtr("taxTe_"), strPtr("______"), strPtr("😀😀😀___")}, columnStrings(t, got, 1))
}

// TestConcurrentTransform: one transformer serves several workers at once
// (run under -race).
func TestConcurrentTransform(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	chain, err := transform.BuildAll([]transform.Spec{
		{Name: "dx_filter", Parameter: []byte(`{"columnIndex":4,"paras":["like","c.*"]}`)},
		{Name: "replace", Parameter: []byte(`{"columns":["s"],"find":"(a+)","regex":true,"with":"<$1>"}`)},
		{Name: "compute", Parameter: []byte(`{"column":"x","expr":"(n ?? 0) * 2","type":"int64"}`)},
		{Name: "timezone", Parameter: []byte(`{"from":"Asia/Shanghai"}`)},
		{Name: "cast", Parameter: []byte(`{"columns":["x"],"type":"string"}`)},
	}, &transform.Options{Allocator: mem})
	require.NoError(t, err)
	done := make(chan string, 8)
	for range 8 {
		go func() {
			cur := b
			cur.Retain()
			for _, tr := range chain {
				out, err := tr.Transform(context.Background(), cur)
				cur.Release()
				if err != nil {
					done <- err.Error()
					return
				}
				cur = out
			}
			got := cur.Column(4).String() + " " + cur.Column(8).String()
			cur.Release() // before the send: the test's leak check runs once all are received
			done <- got
		}()
	}
	for range 8 {
		require.Equal(t, `["<a>pple" "b<a>n<a>n<a>" (null)] ["246" "-10" "0"]`, <-done)
	}
}
