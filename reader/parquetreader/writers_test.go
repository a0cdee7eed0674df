package parquetreader_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/parquetreader"
)

func footerRows(t *testing.T, path string) int64 {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	require.NoError(t, err)
	defer pf.Close()
	return pf.NumRows()
}

// TestFilesFromOtherWriters reads every Parquet file under
// testdata/writers (made by testdata/gen the way parquet-mr, Spark,
// Impala, Presto/Trino and old arrow-cpp write them: LZ4 with the Hadoop
// framing and raw, an empty data page v2, a MAP with optional keys, INT96
// outside the nanosecond range) and checks that the rows read plus the
// dirty rows reported equal the row count of the footer; then checks the
// values of each case.
func TestFilesFromOtherWriters(t *testing.T) {
	files, err := filepath.Glob("testdata/writers/*.parquet")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, path := range files {
		r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: path, Allocator: mem, BatchRows: 700})
		require.NoError(t, err, path)
		b, bad := filetest.ReadAll(t, r, false)
		require.Equal(t, footerRows(t, path), b.NumRows()+int64(len(bad)), path)
		switch filepath.Base(path) {
		case "lz4_hadoop.parquet", "lz4_raw.parquet", "lz4_raw_under_lz4_id.parquet":
			require.Empty(t, bad)
			ids, s := b.Column(0).(*array.Int64), b.Column(1).(*array.String)
			for i := 0; i < int(b.NumRows()); i++ {
				require.EqualValues(t, i, ids.Value(i))
				require.True(t, strings.HasPrefix(s.Value(i), "row "), s.Value(i))
			}
		case "empty_page_v2.parquet":
			require.Empty(t, bad)
			require.EqualValues(t, 300, b.NumRows())
			require.Equal(t, 300, b.Column(1).NullN())
		case "map_optional_key.parquet":
			require.Empty(t, bad)
			require.Equal(t, "map<utf8, int32, items_nullable>", b.Column(1).DataType().String())
			require.Equal(t, `[{["a" "b"] [1 (null)]} (null) {[] []} {["c"] [3]}]`, b.Column(1).String())
		case "int96_out_of_ns_range.parquet":
			// years 1000 and 9999 do not fit timestamp[ns]: dirty rows
			require.Equal(t, "timestamp[ns]", b.Column(1).DataType().String())
			require.Equal(t, []string{"2020-01-01T12:00:00.123456789", "(null)", "1970-01-01T00:00:00"},
				[]string{b.Column(1).ValueStr(0), b.Column(1).ValueStr(1), b.Column(1).ValueStr(2)})
			require.Len(t, bad, 2)
			require.EqualValues(t, 2, bad[0].Row)
			require.Equal(t, "ts", bad[0].Column)
			require.Equal(t, "1000-06-15T01:02:03.000004Z", bad[0].Value)
			require.ErrorContains(t, bad[0].Err, "int96=us")
			require.EqualValues(t, 3, bad[1].Row)
		default:
			t.Fatalf("no check for %s", path)
		}
		b.Release()
	}
	// at microsecond precision every INT96 value is read
	r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: "testdata/writers/int96_out_of_ns_range.parquet", INT96: "us", Allocator: mem})
	require.NoError(t, err)
	b, bad := filetest.ReadAll(t, r, false)
	defer b.Release()
	require.Empty(t, bad)
	ts := b.Column(1)
	require.Equal(t, []string{"2020-01-01T12:00:00.123456", "1000-06-15T01:02:03.000004", "9999-12-31T23:59:59.999999", "(null)", "1970-01-01T00:00:00"},
		[]string{ts.ValueStr(0), ts.ValueStr(1), ts.ValueStr(2), ts.ValueStr(3), ts.ValueStr(4)})
	_, err = os.Stat("testdata/gen/main.go")
	require.NoError(t, err, "the generator of the files stays with them")
}
