package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// The tests register "clitest" connectors: a reader of N rows and a writer
// into a named in-memory table that rejects ids divisible by rejectEvery.
var (
	tablesMu sync.Mutex
	tables   = map[string]*memwriter.Table{}
	lastMode ferry.WriteMode
)

func init() {
	mux := ferry.DefaultURLMux()
	mux.RegisterReader("clitest", ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		q := urlparam.New("clitest", u)
		rows := q.Int("rows", 10)
		if err := q.Done(); err != nil {
			return nil, err
		}
		schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i := 1; i <= rows; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		return memreader.New([]arrow.RecordBatch{rec}, &memreader.Options{Repeat: 2}), nil
	}))
	mux.RegisterWriter("clitest", ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		q := urlparam.New("clitest", u)
		mode, err := ferry.ParseWriteMode(q.String("mode", ""))
		if err != nil {
			return nil, err
		}
		every := q.Int64("rejectEvery", 0)
		if err := q.Done(); err != nil {
			return nil, err
		}
		tablesMu.Lock()
		defer tablesMu.Unlock()
		lastMode = mode
		tbl := tables[u.Host]
		if tbl == nil {
			tbl = memwriter.NewTable()
			tables[u.Host] = tbl
		}
		o := &memwriter.Options{Mode: mode}
		if every > 0 {
			o.Reject = func(b arrow.RecordBatch, row int) error {
				if b.Column(0).(*array.Int64).Value(row)%every == 0 {
					return errors.New("divisible")
				}
				return nil
			}
		}
		return memwriter.New(tbl, o), nil
	}))
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSyncReport(t *testing.T) {
	code, out, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=100", "--to", "clitest://report", "--concurrency", "2")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Ferry run succeeded")
	require.Contains(t, out, "rows written           200")
	require.EqualValues(t, 200, tables["report"].NumRows())
}

func TestSyncJSONModeAndDirtyFile(t *testing.T) {
	dirtyFile := filepath.Join(t.TempDir(), "dirty.jsonl")
	code, out, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=50", "--to", "clitest://json?rejectEvery=10",
		"--mode", "overwrite", "--max-dirty", "10", "--dirty-file", dirtyFile, "--json", "--progress", "never")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, ferry.ModeOverwrite, lastMode)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &sum), out)
	require.EqualValues(t, 90, sum["rows_written"])
	require.EqualValues(t, 10, sum["rows_dirty"])
	require.Equal(t, true, sum["committed"])
	b, err := os.ReadFile(dirtyFile)
	require.NoError(t, err)
	require.Equal(t, 10, strings.Count(string(b), "\n"))
}

func TestSyncFailsWithOneLineReason(t *testing.T) {
	dirtyFile := filepath.Join(t.TempDir(), "dirty.jsonl")
	code, out, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=50", "--to", "clitest://fail?rejectEvery=10",
		"--max-dirty", "3", "--dirty-file", dirtyFile)
	require.Equal(t, 1, code)
	require.Contains(t, out, "Ferry run FAILED")
	require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	require.Contains(t, errOut, "dirty rows")
	require.Contains(t, errOut, dirtyFile)
	require.Zero(t, tables["fail"].NumRows(), "a failed run commits nothing")
}

func TestSyncUsageAndURLErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: ferry"},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"sync", "--from", "clitest://x"}, 2, "--from and --to are required"},
		{[]string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--mode", "merge"}, 2, `unknown write mode "merge"`},
		{[]string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--concurrency", "-3"}, 2, "--concurrency -3"},
		{[]string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--progress", "bogus"}, 2, `--progress "bogus"`},
		{[]string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--max-dirty-ratio", "5"}, 2, "--max-dirty-ratio 5"},
		{[]string{"sync", "--from", "clitest://x", "--from", "clitest://z", "--to", "clitest://y"}, 2, "given twice"},
		{[]string{"sync", "--from", "clitest://x?rows=${env:CLITEST_UNSET_VAR}", "--to", "clitest://y"}, 2, "environment variable CLITEST_UNSET_VAR is not set"},
		{[]string{"sync", "--from", "nosuch://u:hunter2@h/x", "--to", "clitest://y"}, 2, `unknown scheme "nosuch"`},
		{[]string{"sync", "--from", "clitest://x", "--to", "clitestt://y"}, 2, `unknown scheme "clitestt" (did you mean clitest?)`},
		{[]string{"sync", "--from", "no-scheme", "--to", "clitest://y"}, 2, `has no scheme`},
		// A required parameter missing is a usage error too, found before connecting.
		{[]string{"sync", "--from", "sqlite:///nonexistent/x.db", "--to", "clitest://y"}, 2, "sqlitereader: set table or querySql"},
		{[]string{"sync", "--from", "clitest://x", "--to", "sqlite:///nonexistent/x.db"}, 2, "sqlitewriter: table is required"},
		{[]string{"sync", "--from", "clitest://x", "--to", "postgres://u:hunter2@127.0.0.1:1/db"}, 2, "pgwriter: no table"},
		{[]string{"sync", "--from", "mysql://u:hunter2@127.0.0.1:1/db", "--to", "clitest://y"}, 2, "mysqlreader: set table or querySql"},
		{[]string{"sync", "--from", "clitest://x?rowz=1", "--to", "clitest://y"}, 2, "unknown URL parameter rowz (did you mean rows?)"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, tt.args...)
		require.Equal(t, tt.code, code, "%v: %s", tt.args, errOut)
		require.Contains(t, errOut, tt.want)
		require.NotContains(t, errOut, "hunter2")
	}
}

func TestSchemes(t *testing.T) {
	code, out, _ := runCLI(t, "schemes")
	require.Equal(t, 0, code)
	require.Contains(t, out, "clitest")
}
