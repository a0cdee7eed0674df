package parquetwriter_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// roundTripCSV is in the writer's canonical form, so the file that comes
// back must be byte for byte the same. Row 2 has NULLs (unquoted empty),
// row 3 empty strings ("").
const roundTripCSV = `id,name,note,amount,big,neg,f,ts,tstz,day,flag
1,plain,"tab	and ""quotes"", commas",12345678901.23,9223372036854775807,-9223372036854775808,-0.0001,2024-02-29 23:59:59.123456,2024-02-29T23:59:59.000001Z,0001-01-01,true
2,,,,,,,,,,
3,"","",0.00,0,0,0,1970-01-01 00:00:00,1970-01-01T00:00:00Z,9999-12-31,false
4,emoji 😀 ünïcödé 中文,"new
line and 
 crlf",-99999999999.99,1,-1,NaN,0001-01-01 00:00:00.000001,9999-12-31T23:59:59.999999Z,2000-02-29,false
5,NULL,\N,0.01,42,-42,-Inf,2038-01-19 03:14:08.5,2038-01-19T03:14:08.5Z,1970-01-01,true
6," leading"," back\slash ",1.10,7,-7,1e+300,2024-01-01 00:00:00.0001,2024-01-01T00:00:00.0001Z,2024-01-01,true
`

const roundTripColumns = "id:int64,name:utf8,note:utf8,amount:decimal(13,2),big:int64,neg:int64,f:float64,ts:timestamp[us],tstz:timestamp[us,UTC],day:date32,flag:bool"

func runPipeline(t *testing.T, r ferry.Reader, w ferry.Writer) *ferry.Summary {
	t.Helper()
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2, Dirty: dirty.FailOnFirst()}).Run(context.Background())
	require.NoError(t, err)
	return sum
}

// TestCSVParquetCSV: CSV -> Parquet -> CSV (and -> JSON Lines -> CSV)
// through the Pipeline keeps every value: NULL vs empty string, unicode,
// tabs, newlines and quotes in text, extreme and negative numbers,
// decimals, timestamps with microseconds, NaN and infinities.
func TestCSVParquetCSV(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.csv")
	require.NoError(t, os.WriteFile(src, []byte(roundTripCSV), 0o644))
	schema, err := fileset.ParseColumns(roundTripColumns)
	require.NoError(t, err)

	r, err := csvreader.Open(ctx, csvreader.Config{Path: src, Schema: schema, Allocator: mem})
	require.NoError(t, err)
	pq := filepath.Join(dir, "mid.parquet")
	w, err := parquetwriter.Open(ctx, parquetwriter.Config{Path: pq, Allocator: mem})
	require.NoError(t, err)
	sum := runPipeline(t, r, w)
	require.EqualValues(t, 6, sum.RowsWritten)

	pr, err := parquetreader.Open(ctx, parquetreader.Config{Path: pq, Allocator: mem})
	require.NoError(t, err)
	back := filepath.Join(dir, "back.csv")
	cw, err := csvwriter.Open(ctx, csvwriter.Config{Path: back})
	require.NoError(t, err)
	runPipeline(t, pr, cw)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	require.Equal(t, roundTripCSV, string(got))

	// and through JSON Lines
	r, err = csvreader.Open(ctx, csvreader.Config{Path: src, Schema: schema, Allocator: mem})
	require.NoError(t, err)
	jl := filepath.Join(dir, "mid.jsonl")
	jw, err := jsonlwriter.Open(ctx, jsonlwriter.Config{Path: jl})
	require.NoError(t, err)
	runPipeline(t, r, jw)
	jr, err := jsonlreader.Open(ctx, jsonlreader.Config{Path: jl, Schema: schema, Allocator: mem})
	require.NoError(t, err)
	back2 := filepath.Join(dir, "back2.csv")
	cw, err = csvwriter.Open(ctx, csvwriter.Config{Path: back2})
	require.NoError(t, err)
	runPipeline(t, jr, cw)
	got, err = os.ReadFile(back2)
	require.NoError(t, err)
	require.Equal(t, roundTripCSV, string(got))
}
