package parquetreader_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

func TestEstimate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	schema := connectortest.Schema([]string{"i32", "str"})
	data := connectortest.Batch(mem, schema, 250)
	defer data.Release()
	writeParquet(t, filepath.Join(dir, "a.parquet"), data, parquetwriter.Config{RowGroupRows: 100})
	writeParquet(t, filepath.Join(dir, "b.parquet"), data, parquetwriter.Config{})
	r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: filepath.Join(dir, "*.parquet"), Allocator: mem})
	require.NoError(t, err)
	defer r.Close()
	est, err := r.Estimate(context.Background())
	require.NoError(t, err)
	var size int64
	for _, n := range []string{"a.parquet", "b.parquet"} {
		fi, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err)
		size += fi.Size()
	}
	require.Equal(t, ferry.Estimate{Rows: 500, Bytes: size, Exact: true}, est)
}
