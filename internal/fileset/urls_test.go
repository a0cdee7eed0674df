package fileset_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	_ "github.com/ferrydata/ferry/reader/csvreader"
	_ "github.com/ferrydata/ferry/reader/jsonlreader"
	_ "github.com/ferrydata/ferry/reader/parquetreader"
	_ "github.com/ferrydata/ferry/writer/csvwriter"
	_ "github.com/ferrydata/ferry/writer/jsonlwriter"
	_ "github.com/ferrydata/ferry/writer/parquetwriter"
)

// TestMalformedQueryPairs: every file connector's URL fails on a query
// pair that does not parse (a bad %-escape, a ';'), naming the parameter,
// instead of dropping it.
func TestMalformedQueryPairs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, scheme := range []string{"csv", "jsonl", "parquet"} {
		for _, q := range []string{"columns=id%ZZ", "batchRows=1;2"} {
			_, err := ferry.OpenReader(ctx, scheme+"://"+dir+"/x?"+q)
			require.ErrorContains(t, err, "reader: ", scheme+" "+q)
			require.Regexp(t, `columns|batchRows`, err.Error())
		}
		_, err := ferry.OpenWriter(ctx, scheme+"://"+dir+"/x?mode=overwrite%ZZ")
		require.ErrorContains(t, err, "writer: ")
		require.ErrorContains(t, err, "mode")
	}
}

// TestReadBackBySameURL: with two workers a writer given a file path
// writes several files (a directory of that name), the reader reads them
// by the same URL, and Outputs names them; compress=gzip round-trips.
func TestReadBackBySameURL(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	data := connectortest.Batch(mem, connectortest.Schema([]string{"uuid", "json"}), 40)
	defer data.Release()
	dir := t.TempDir()
	for _, u := range []string{"parquet://" + dir + "/x.parquet", "csv://" + dir + "/x.csv", "jsonl://" + dir + "/x.jsonl",
		"csv://" + dir + "/z.csv.gz?compress=gzip"} {
		w, err := ferry.OpenWriter(ctx, u)
		require.NoError(t, err, u)
		require.NoError(t, w.Prepare(ctx, data.Schema()))
		for _, part := range [][2]int64{{0, 25}, {25, 40}} {
			bw, err := w.Open(ctx)
			require.NoError(t, err)
			s := data.NewSlice(part[0], part[1])
			require.NoError(t, bw.Write(ctx, s))
			s.Release()
			require.NoError(t, bw.Close(ctx))
		}
		require.NoError(t, w.Commit(ctx))
		outs := w.(ferry.OutputReporter).Outputs()
		require.Len(t, outs, 2, u)
		for _, o := range outs {
			require.FileExists(t, o)
		}
		require.NoError(t, w.Close())
		r, err := ferry.OpenReader(ctx, u)
		require.NoError(t, err, u)
		got, bad := filetest.ReadAll(t, r, true)
		require.Empty(t, bad)
		require.EqualValues(t, 40, got.NumRows(), u)
		got.Release()
	}
	gz, err := os.ReadFile(filepath.Join(dir, "z.csv.gz", "_ferry_run.json"))
	require.NoError(t, err)
	require.Contains(t, string(gz), ".csv.gz")
}
