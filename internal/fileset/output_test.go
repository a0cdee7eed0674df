package fileset

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
)

type lineEnc struct{ w io.Writer }

func (e lineEnc) Write(b arrow.RecordBatch) error {
	for i := 0; i < int(b.NumRows()); i++ {
		if _, err := e.w.Write([]byte(b.Column(0).ValueStr(i) + "\n")); err != nil {
			return err
		}
	}
	return nil
}
func (lineEnc) Close() error { return nil }

// TestRollingBytesAndExt: maxFileBytes rolls (the file path becomes a
// directory of parts), names keep the path's own extension, a zero-row
// batch makes no file, Outputs lists the files.
func TestRollingBytesAndExt(t *testing.T) {
	dir := t.TempDir()
	o, err := NewOutput(OutputConfig{Pkg: "t", Path: filepath.Join(dir, "out.tsv"), Ext: ".csv", MaxFileBytes: 6,
		NewEncoder: func(w io.Writer, _ *arrow.Schema) (Encoder, error) { return lineEnc{w}, nil }})
	require.NoError(t, err)
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	require.NoError(t, o.Prepare(context.Background(), schema))
	defer o.Close()
	w, err := o.Open(context.Background())
	require.NoError(t, err)
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for i := int64(10); i < 15; i++ {
		b.Append(i)
	}
	a := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{a}, 5)
	a.Release()
	defer rec.Release()
	ctx := context.Background()
	empty := rec.NewSlice(0, 0)
	require.NoError(t, w.Write(ctx, empty))
	empty.Release()
	for _, r := range [][2]int64{{0, 2}, {2, 5}} {
		part := rec.NewSlice(r[0], r[1])
		require.NoError(t, w.Write(ctx, part))
		part.Release()
	}
	require.NoError(t, w.Close(ctx))
	require.NoError(t, o.Commit(ctx))
	out := filepath.Join(dir, "out.tsv")
	es, _ := os.ReadDir(out)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	require.Len(t, names, 3)
	require.Equal(t, RunMarker, names[0])
	require.Regexp(t, `^part-[a-z0-9_]+-00000\.tsv$`, names[1])
	require.Regexp(t, `^part-[a-z0-9_]+-00001\.tsv$`, names[2])
	got, _ := os.ReadFile(filepath.Join(out, names[2]))
	require.Equal(t, "12\n13\n14\n", string(got))
	require.Equal(t, []string{filepath.Join(out, names[1]), filepath.Join(out, names[2])}, o.Outputs())
	_, err = NewOutput(OutputConfig{Pkg: "t", Path: dir, Mode: ferry.ModeUpsert})
	require.ErrorContains(t, err, "not supported")
}
