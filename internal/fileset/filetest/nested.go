package filetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
)

// NestedBatch returns three rows of the nested and rare types the text
// writers take: struct, map, list of struct, float16, fixed_size_binary,
// the null type and an extension type (bool8), with NULLs and empty
// values, keyed by an int64 id.
func NestedBatch(t testing.TB, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	pt := arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "ls", Type: arrow.ListOf(pt), Nullable: true},
		{Name: "h", Type: arrow.FixedWidthTypes.Float16, Nullable: true},
		{Name: "fb", Type: &arrow.FixedSizeBinaryType{ByteWidth: 3}, Nullable: true},
		{Name: "n", Type: arrow.Null, Nullable: true},
		{Name: "e", Type: extensions.NewBool8Type(), Nullable: true},
	}, nil)
	rows := [][]any{
		{int64(1), fileset.StructValue{int64(1), "x\"y,z\n"}, []fileset.MapEntry{{Key: "a", Value: int64(1)}, {Key: "b"}},
			[]any{fileset.StructValue{int64(1), "p"}, fileset.StructValue{int64(2), nil}}, 1.5, []byte{1, 2, 3}, nil, int64(1)},
		{int64(2), nil, nil, nil, nil, nil, nil, nil},
		{int64(3), fileset.StructValue{nil, "q"}, []fileset.MapEntry{}, []any{}, -0.25, []byte{0, 0, 255}, nil, int64(0)},
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			if err := fileset.AppendValue(b.Field(i), v); err != nil {
				t.Fatalf("row %v column %d: %v", r[0], i, err)
			}
		}
	}
	return b.NewRecordBatch()
}

// RequireEqual fails unless got and want hold the same columns, types and
// values.
func RequireEqual(t testing.TB, want, got arrow.RecordBatch) {
	t.Helper()
	if !want.Schema().Equal(got.Schema()) {
		t.Fatalf("schema:\n%s\nwant\n%s", got.Schema(), want.Schema())
	}
	for i := range want.Columns() {
		if !array.Equal(want.Column(i), got.Column(i)) {
			t.Fatalf("column %s:\n%v\nwant\n%v", want.ColumnName(i), got.Column(i), want.Column(i))
		}
	}
}

// NestedRoundTrip writes NestedBatch to the file name in a new directory
// with the writer openW returns, reads it back with the reader openR
// returns (given the schema), requires the same columns, types and values,
// and returns the file's text for the caller to pin.
func NestedRoundTrip(t testing.TB, name string,
	openW func(path string) (ferry.Writer, error),
	openR func(path string, schema *arrow.Schema, mem memory.Allocator) (ferry.Reader, error)) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	data := NestedBatch(t, mem)
	defer data.Release()
	path := filepath.Join(t.TempDir(), name)
	w, err := openW(path)
	if err != nil {
		t.Fatal(err)
	}
	WriteAll(t, w, data)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := openR(path, data.Schema(), mem)
	if err != nil {
		t.Fatal(err)
	}
	got, bad := ReadAll(t, r, true)
	defer got.Release()
	if len(bad) > 0 {
		t.Fatalf("dirty rows reading back: %v", bad)
	}
	RequireEqual(t, data, got)
	return string(text)
}
