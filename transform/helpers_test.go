package transform_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/transform"
)

// checked returns a checked allocator that the test asserts empty at its end.
func checked(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// strPtr makes nullable string test values.
func strPtr(s string) *string { return &s }

// strBatch builds a batch with an int64 "id" column (0..n-1) and a utf8
// column "s" holding vals (nil is NULL).
func strBatch(mem memory.Allocator, vals []*string) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, v := range vals {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if v == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(*v)
		}
	}
	return b.NewRecordBatch()
}

// run applies t to b, checking OutputSchema against the result's schema,
// and returns the output batch and the dirty rows.
func run(t testing.TB, tr ferry.Transformer, b arrow.RecordBatch) (arrow.RecordBatch, []dirty.RowError) {
	t.Helper()
	want, err := tr.OutputSchema(b.Schema())
	require.NoError(t, err)
	out, err := tr.Transform(context.Background(), b)
	rows := dirty.Rows(err)
	if err != nil && rows == nil {
		require.NoError(t, err)
	}
	require.NotNil(t, out)
	require.True(t, want.Equal(out.Schema()), "schema %s, OutputSchema said %s", out.Schema(), want)
	return out, rows
}

// strings returns the values of column c of b (nil for NULL).
func columnStrings(t testing.TB, b arrow.RecordBatch, c int) []*string {
	t.Helper()
	a, ok := b.Column(c).(*array.String)
	require.True(t, ok, "column %d is %s", c, b.Column(c).DataType())
	out := make([]*string, a.Len())
	for i := range out {
		if !a.IsNull(i) {
			out[i] = strPtr(a.Value(i))
		}
	}
	return out
}

func mustBuild(t testing.TB, mem memory.Allocator, spec string) ferry.Transformer {
	t.Helper()
	var s transform.Spec
	require.NoError(t, jsonUnmarshal(spec, &s))
	tr, err := transform.BuildWith(s, &transform.Options{Allocator: mem})
	require.NoError(t, err, spec)
	return tr
}

func ids(t testing.TB, b arrow.RecordBatch) []int64 {
	t.Helper()
	return b.Column(0).(*array.Int64).Int64Values()
}

// timestampsAsText renders a timestamp array as wall clocks
// ("2006-01-02 15:04:05[.fraction]") and any other array with String.
func timestampsAsText(a arrow.Array) string {
	ts, ok := a.(*array.Timestamp)
	if !ok {
		return a.String()
	}
	unit := ts.DataType().(*arrow.TimestampType).Unit
	out := "["
	for i := 0; i < ts.Len(); i++ {
		if i > 0 {
			out += " "
		}
		if ts.IsNull(i) {
			out += "(null)"
			continue
		}
		out += ts.Value(i).ToTime(unit).Format("2006-01-02 15:04:05.999999999")
	}
	return out + "]"
}

// dirtyIDs returns the row indexes of dirty rows.
func dirtyIDs(d []dirty.RowError) []int64 {
	var out []int64
	for _, r := range d {
		out = append(out, r.Row)
	}
	return out
}
