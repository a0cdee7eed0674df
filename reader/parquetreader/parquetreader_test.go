package parquetreader_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// TestSchemaKeptAndCompressions: every standard type (uuid and json
// extensions, zoned timestamps, intervals, fixed-size lists) comes back with
// its exact type and values under each compression; splits are row groups.
func TestSchemaKeptAndCompressions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := connectortest.Schema(nil)
	data := connectortest.Batch(mem, schema, 1000)
	defer data.Release()
	for _, c := range []string{"snappy", "zstd", "gzip", "none"} {
		path := filepath.Join(t.TempDir(), c+".parquet")
		writeParquet(t, path, data, parquetwriter.Config{Compression: c, RowGroupRows: 300, Allocator: mem})
		r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: path, Allocator: mem, BatchRows: 128})
		require.NoError(t, err)
		got, _ := r.Schema(context.Background())
		require.True(t, schema.Equal(got), "%s:\n%s\n%s", c, schema, got)
		splits, err := r.Splits(context.Background(), 1)
		require.NoError(t, err)
		require.Len(t, splits, 4, "1000 rows in row groups of 300")
		b, _ := filetest.ReadAll(t, r, true)
		require.True(t, array.RecordApproxEqual(data, b, array.WithNaNsEqual(true)), c)
		b.Release()
	}
}

func TestProjectionAndGlob(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	schema := connectortest.Schema([]string{"i32", "uid"})
	data := connectortest.Batch(mem, schema, 10)
	defer data.Release()
	writeParquet(t, filepath.Join(dir, "a.parquet"), data, parquetwriter.Config{})
	writeParquet(t, filepath.Join(dir, "b.parquet"), data, parquetwriter.Config{})
	r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: filepath.Join(dir, "*.parquet"), Columns: []string{"uid", "id"}, Allocator: mem})
	require.NoError(t, err)
	b, _ := filetest.ReadAll(t, r, false)
	defer b.Release()
	require.EqualValues(t, 20, b.NumRows())
	require.Equal(t, "uid", b.ColumnName(0))
	require.Equal(t, "extension<arrow.uuid>", b.Column(0).DataType().String())

	// a file with another schema in the set is a clear error naming it
	other := connectortest.Schema([]string{"f64"})
	od := connectortest.Batch(mem, other, 3)
	defer od.Release()
	writeParquet(t, filepath.Join(dir, "c.parquet"), od, parquetwriter.Config{})
	r, err = parquetreader.Open(context.Background(), parquetreader.Config{Path: dir, Allocator: mem})
	require.NoError(t, err)
	splits, err := r.Splits(context.Background(), 1)
	require.NoError(t, err)
	_, err = r.Read(context.Background(), splits[len(splits)-1])
	require.ErrorContains(t, err, "c.parquet")
}

// TestTruncated: a good file cut in half, and garbage, are clear errors
// naming the file, never a panic.
func TestTruncated(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	path := filepath.Join(dir, "good.parquet")
	data := connectortest.Batch(mem, connectortest.Schema(nil), 500)
	defer data.Release()
	writeParquet(t, path, data, parquetwriter.Config{RowGroupRows: 100})
	full, err := os.ReadFile(path)
	require.NoError(t, err)
	for name, content := range map[string][]byte{
		"half.parquet":    full[:len(full)/2],
		"garbage.parquet": []byte("this is not parquet at all, just text"),
		"empty.parquet":   {},
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, content, 0o644))
		_, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: p, Allocator: mem})
		require.Error(t, err, name)
		require.ErrorContains(t, err, p)
	}
	// a footer that survives with damaged data pages: an error, not a panic
	bad := append([]byte(nil), full...)
	for i := 100; i < len(bad)/2; i += 7 {
		bad[i] ^= 0x5a
	}
	p := filepath.Join(dir, "damaged.parquet")
	require.NoError(t, os.WriteFile(p, bad, 0o644))
	r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: p, Allocator: mem})
	if err != nil {
		require.ErrorContains(t, err, p)
		return
	}
	defer r.Close()
	splits, err := r.Splits(context.Background(), 1)
	require.NoError(t, err)
	var failed bool
	for _, s := range splits {
		rr, err := r.Read(context.Background(), s)
		if err != nil {
			require.ErrorContains(t, err, p)
			failed = true
			continue
		}
		for rr.Next() {
		}
		if rr.Err() != nil {
			require.ErrorContains(t, rr.Err(), p)
			failed = true
		}
		rr.Release()
	}
	require.True(t, failed, "damaged pages went unnoticed")
}

func TestParseConfig(t *testing.T) {
	cfg, err := parquetreader.ParseConfig("parquet:///d/*.parquet?columns=a,b&batchRows=10")
	require.NoError(t, err)
	require.Equal(t, parquetreader.Config{Path: "/d/*.parquet", Columns: []string{"a", "b"}, BatchRows: 10}, cfg)
	for _, bad := range []string{"parquet:///x?nope=1", "parquet://", "parquet:///x?batchRows=z"} {
		_, err := parquetreader.ParseConfig(bad)
		require.ErrorContains(t, err, "parquetreader", bad)
	}
	_, err = ferry.OpenReader(context.Background(), "parquet:///nonexistent/x.parquet")
	require.ErrorContains(t, err, "/nonexistent/x.parquet")
	_ = arrow.PrimitiveTypes.Int64
}
