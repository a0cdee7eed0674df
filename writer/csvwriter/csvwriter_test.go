package csvwriter_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
)

func batch(t *testing.T, mem memory.Allocator, spec string, rows [][]any) arrow.RecordBatch {
	t.Helper()
	schema, err := fileset.ParseColumns(spec)
	require.NoError(t, err)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			require.NoError(t, fileset.AppendValue(b.Field(i), v))
		}
	}
	return b.NewRecordBatch()
}

// run writes bs through workers BatchWriters (batch i to worker i%workers)
// and commits, or aborts when abort is set.
func run(t *testing.T, cfg csvwriter.Config, workers int, abort bool, bs ...arrow.RecordBatch) error {
	t.Helper()
	ctx := context.Background()
	w, err := csvwriter.Open(ctx, cfg)
	require.NoError(t, err)
	defer w.Close()
	if err := w.Prepare(ctx, bs[0].Schema()); err != nil {
		return err
	}
	var bws []ferry.BatchWriter
	for range workers {
		bw, err := w.Open(ctx)
		require.NoError(t, err)
		bws = append(bws, bw)
	}
	for i, b := range bs {
		require.NoError(t, bws[i%workers].Write(ctx, b))
	}
	for _, bw := range bws {
		require.NoError(t, bw.Close(ctx))
	}
	if abort {
		return w.Abort(ctx, nil)
	}
	return w.Commit(ctx)
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestQuotingAndNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b := batch(t, mem, "id:int64,s:utf8,d:decimal(12,2),ts:timestamp[us],l:list<int64>", [][]any{
		{int64(1), "plain", nil, nil, nil},
		{int64(2), "", nil, nil, []any{int64(1), int64(2)}},
		{int64(3), `a,"b"` + "\nc", nil, nil, []any{}},
		{int64(-4), ` pad `, nil, nil, nil},
	})
	defer b.Release()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	require.NoError(t, run(t, csvwriter.Config{Path: path}, 1, false, b))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "id,s,d,ts,l\n1,plain,,,\n2,\"\",,,\"[1,2]\"\n3,\"a,\"\"b\"\"\nc\",,,[]\n-4,\" pad \",,,\n", string(got))

	path2 := filepath.Join(dir, "out.tsv")
	require.NoError(t, run(t, csvwriter.Config{Path: path2, Delimiter: '\t', NullString: `\N`, NoHeader: true, CRLF: true}, 1, false, b))
	got, err = os.ReadFile(path2)
	require.NoError(t, err)
	require.Equal(t, "1\tplain\t\\N\t\\N\t\\N\r\n2\t\t\\N\t\\N\t[1,2]\r\n3\t\"a,\"\"b\"\"\nc\"\t\\N\t\\N\t[]\r\n-4\t\" pad \"\t\\N\t\\N\t\\N\r\n", string(got))
}

// TestFilesModesAndRolling: names, insert never clobbering, overwrite
// replacing only at Commit, Abort leaving nothing behind, rolling by rows.
func TestFilesModesAndRolling(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b1 := batch(t, mem, "id:int64", [][]any{{int64(1)}, {int64(2)}, {int64(3)}})
	defer b1.Release()
	b2 := batch(t, mem, "id:int64", [][]any{{int64(4)}, {int64(5)}})
	defer b2.Release()
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")

	require.NoError(t, run(t, csvwriter.Config{Path: path}, 1, false, b1))
	require.Equal(t, []string{"t.csv"}, list(t, dir))

	err := run(t, csvwriter.Config{Path: path}, 1, false, b2)
	require.ErrorContains(t, err, "already exists")

	require.NoError(t, run(t, csvwriter.Config{Path: path, Mode: ferry.ModeOverwrite}, 1, true, b2))
	require.Equal(t, []string{"t.csv"}, list(t, dir), "abort leaves no temporary file")
	got, _ := os.ReadFile(path)
	require.Equal(t, "id\n1\n2\n3\n", string(got), "abort keeps the old file")

	// rolling: 2 rows per file, two workers: t.csv becomes a directory of
	// part files, switched with the old file in one rename
	require.NoError(t, run(t, csvwriter.Config{Path: path, Mode: ferry.ModeOverwrite, MaxFileRows: 2}, 2, false, b1, b2))
	require.Equal(t, []string{"t.csv"}, list(t, dir), "no stage or temporary file left")
	parts := list(t, path)
	require.Len(t, parts, 4)
	require.Equal(t, fileset.RunMarker, parts[0])
	for _, p := range parts[1:] {
		require.True(t, fileset.IsPartName(p), p)
		require.Equal(t, ".csv", filepath.Ext(p))
	}
	got, _ = os.ReadFile(filepath.Join(path, parts[2]))
	require.Equal(t, "id\n3\n", string(got))

	// overwrite back to one file replaces the directory
	require.NoError(t, run(t, csvwriter.Config{Path: path, Mode: ferry.ModeOverwrite}, 1, false, b2))
	require.Equal(t, []string{"t.csv"}, list(t, dir))
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "id\n4\n5\n", string(got))

	// a directory: insert creates it, then adds part files
	out := filepath.Join(dir, "parts") + "/"
	require.NoError(t, run(t, csvwriter.Config{Path: out}, 2, false, b1, b2))
	require.NoError(t, run(t, csvwriter.Config{Path: out}, 1, false, b1))
	require.Len(t, list(t, out), 4, "3 parts and the run marker")
	require.NoError(t, run(t, csvwriter.Config{Path: out, Mode: ferry.ModeOverwrite}, 1, false, b2))
	require.Len(t, list(t, out), 2, "1 part and the run marker")
	require.Equal(t, []string{"parts", "t.csv"}, list(t, dir))

	// overwrite never replaces a directory holding files Ferry did not write
	require.NoError(t, os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644))
	err = run(t, csvwriter.Config{Path: out, Mode: ferry.ModeOverwrite}, 1, false, b2)
	require.ErrorContains(t, err, "notes.txt")

	_, err = csvwriter.Open(context.Background(), csvwriter.Config{Path: path, Mode: ferry.ModeUpsert})
	require.ErrorContains(t, err, "not supported")
}

func TestParseConfig(t *testing.T) {
	cfg, err := csvwriter.ParseConfig(`csv:///out/x.csv?mode=overwrite&header=false&delimiter=%7C&nullString=%5CN&crlf=true&maxFileRows=10&maxFileBytes=1000`)
	require.NoError(t, err)
	require.Equal(t, csvwriter.Config{Path: "/out/x.csv", Mode: ferry.ModeOverwrite, NoHeader: true, Delimiter: '|', Quote: '"', NullString: `\N`, CRLF: true, MaxFileRows: 10, MaxFileBytes: 1000}, cfg)
	for _, bad := range []string{"csv:///x.csv?nope=1", "csv:///x.csv?mode=merge", "csv:///x.csv?maxFileRows=x", "csv://"} {
		_, err := csvwriter.ParseConfig(bad)
		require.ErrorContains(t, err, "csvwriter", bad)
	}
}

// TestNestedTypes: struct, map and list of struct are written as a JSON
// text cell, float16 as a number, fixed_size_binary as base64, the null type
// as NULL and extension types as their storage; all read back to the same
// Arrow types when the schema is given.
func TestNestedTypes(t *testing.T) {
	text := filetest.NestedRoundTrip(t, "n.csv",
		func(path string) (ferry.Writer, error) {
			return csvwriter.Open(context.Background(), csvwriter.Config{Path: path})
		},
		func(path string, schema *arrow.Schema, mem memory.Allocator) (ferry.Reader, error) {
			return csvreader.Open(context.Background(), csvreader.Config{Path: path, Schema: schema, Allocator: mem})
		})
	require.Equal(t, "id,s,m,ls,h,fb,n,e\n"+
		`1,"{""a"":1,""b"":""x\""y,z\n""}","[{""key"":""a"",""value"":1},{""key"":""b"",""value"":null}]","[{""x"":1,""y"":""p""},{""x"":2,""y"":null}]",1.5,AQID,,1`+"\n"+
		"2,,,,,,,\n"+
		`3,"{""a"":null,""b"":""q""}",[],[],-0.25,AAD/,,0`+"\n", text)
}
