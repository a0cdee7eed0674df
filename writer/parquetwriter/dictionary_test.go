package parquetwriter

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

// encodeFile writes recs (of schema) through the writer's encoder into
// memory, as the writer would into a file, and opens the result (the
// caller closes it).
func encodeFile(t *testing.T, mem memory.Allocator, schema *arrow.Schema, recs ...arrow.RecordBatch) *file.Reader {
	t.Helper()
	w, err := Open(context.Background(), Config{Path: t.TempDir() + "/x.parquet", Allocator: mem})
	require.NoError(t, err)
	require.NoError(t, w.checkSchema(schema))
	var out bytes.Buffer
	enc, err := w.newEncoder(&out, schema)
	require.NoError(t, err)
	for _, rec := range recs {
		require.NoError(t, enc.Write(rec))
	}
	require.NoError(t, enc.Close())
	pf, err := file.NewParquetReader(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	return pf
}

func textArray(mem memory.Allocator, n int, value func(i int) (string, bool)) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := 0; i < n; i++ {
		if v, ok := value(i); ok {
			b.Append(v)
		} else {
			b.AppendNull()
		}
	}
	return b.NewArray()
}

func TestDictionaryPays(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	long := strings.Repeat("lorem ipsum ", 10)
	for _, tc := range []struct {
		name  string
		n     int
		value func(i int) (string, bool)
		want  bool
	}{
		{"few values", 5000, func(i int) (string, bool) { return []string{"new", "paid", "shipped"}[i%3], true }, true},
		{"unique long text", 5000, func(i int) (string, bool) { return fmt.Sprint(i, long), true }, false},
		{"unique long text, mostly NULL", 50000, func(i int) (string, bool) { return fmt.Sprint(i, long), i%20 == 0 }, false},
		// a row group's dictionary of them stays under the limit
		{"unique short text", 5000, func(i int) (string, bool) { return fmt.Sprintf("%05d", i), true }, true},
		{"a third distinct", 5000, func(i int) (string, bool) { return fmt.Sprint(i%300, long), true }, true},
		{"too few to tell", 50, func(i int) (string, bool) { return fmt.Sprint(i, long), true }, true},
		{"all NULL", 5000, func(int) (string, bool) { return "", false }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := textArray(mem, tc.n, tc.value)
			defer a.Release()
			require.Equal(t, tc.want, dictionaryPays(a, DefaultRowGroupRows))
		})
	}
}

// TestDictionaryFromFirstBatch: a column of few values is dictionary
// encoded, one of unique long text is not, and both read back unchanged.
func TestDictionaryFromFirstBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "status", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	const n = 5000
	status := textArray(mem, n, func(i int) (string, bool) { return []string{"new", "paid"}[i%2], i%7 != 0 })
	defer status.Release()
	note := textArray(mem, n, func(i int) (string, bool) { return fmt.Sprintf("note %d: %s", i, strings.Repeat("x", i%100)), i%5 != 0 })
	defer note.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{status, note}, n)
	defer rec.Release()

	pf := encodeFile(t, mem, schema, rec, rec)
	defer pf.Close()
	rg := pf.MetaData().RowGroup(0)
	for i, wantDict := range []bool{true, false} {
		cc, err := rg.ColumnChunk(i)
		require.NoError(t, err)
		require.Equal(t, wantDict, cc.HasDictionaryPage(), "column %d", i)
		require.Equal(t, wantDict, cc.Encodings()[0] == parquet.Encodings.RLEDict, "column %d: %v", i, cc.Encodings())
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	require.NoError(t, err)
	tbl, err := fr.ReadTable(context.Background())
	require.NoError(t, err)
	defer tbl.Release()
	require.EqualValues(t, 2*n, tbl.NumRows())
	tr := array.NewTableReader(tbl, n)
	defer tr.Release()
	for tr.Next() {
		got := tr.RecordBatch()
		require.True(t, array.Equal(status, got.Column(0)))
		require.True(t, array.Equal(note, got.Column(1)))
	}
}

// TestEmptyFile: a file that gets no batch is still a valid Parquet file
// of the schema.
func TestEmptyFile(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	pf := encodeFile(t, nil, schema)
	defer pf.Close()
	require.EqualValues(t, 0, pf.NumRows())
	require.Equal(t, 1, pf.MetaData().Schema.NumColumns())
}
