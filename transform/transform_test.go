package transform_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/schedparam"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/writer/memwriter"
)

func batch(mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "secret", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "b", "c"}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"x", "y", "z"}, nil)
	return b.NewRecordBatch()
}

func TestFieldMappingInAPipeline(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	in := batch(mem)
	r := memreader.New([]arrow.RecordBatch{in}, nil)
	in.Release()
	tbl := memwriter.NewTable()
	defer tbl.Release()

	cyc := time.Date(2025, 7, 27, 0, 5, 0, 0, time.UTC)
	bizdate, err := schedparam.Resolve("${yyyymmdd}", cyc, nil)
	require.NoError(t, err)
	_, err = ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Allocator: mem, Transformers: []ferry.Transformer{
		transform.Select("name", "id"),
		transform.Rename(map[string]string{"name": "customer"}),
		transform.Constant("biz_date", bizdate, mem),
	}}).Run(context.Background())
	require.NoError(t, err)
	got, err := tbl.Batch(mem, nil)
	require.NoError(t, err)
	defer got.Release()
	require.Equal(t, "customer: utf8, id: int64, biz_date: utf8", fieldList(got.Schema()))
	require.Equal(t, `["a" "b" "c"]`, got.Column(0).String())
	require.Equal(t, `["20250726" "20250726" "20250726"]`, got.Column(2).String())
}

func fieldList(s *arrow.Schema) string {
	out := ""
	for i, f := range s.Fields() {
		if i > 0 {
			out += ", "
		}
		out += f.Name + ": " + f.Type.String()
	}
	return out
}

func TestMappingErrorsNameTheColumn(t *testing.T) {
	b := batch(memory.DefaultAllocator)
	defer b.Release()
	tests := []struct {
		t    ferry.Transformer
		want string
	}{
		{transform.Select("id", "nope"), `transform: select: no column "nope" in the source (have id, name, secret)`},
		{transform.Select("id", "id"), `column "id" named twice`},
		{transform.Rename(map[string]string{"nope": "x"}), `rename: no column "nope"`},
		{transform.Rename(map[string]string{"name": "id"}), `two columns would be named "id"`},
		{transform.Constant("", "v", nil), "empty column name"},
	}
	for _, tt := range tests {
		_, err := tt.t.OutputSchema(b.Schema())
		require.ErrorContains(t, err, tt.want)
	}
}

func TestConstantReplacesColumn(t *testing.T) {
	b := batch(memory.DefaultAllocator)
	defer b.Release()
	out, err := transform.Constant("secret", "***", nil).Transform(context.Background(), b)
	require.NoError(t, err)
	defer out.Release()
	require.EqualValues(t, 3, out.NumCols())
	require.Equal(t, `["***" "***" "***"]`, out.Column(2).String())
}
