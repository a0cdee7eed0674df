package csvreader_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/csvreader"
)

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func open(t testing.TB, cfg csvreader.Config) *csvreader.Reader {
	t.Helper()
	r, err := csvreader.Open(context.Background(), cfg)
	require.NoError(t, err)
	return r
}

// TestQuotedNewlinesAcrossSplits cuts a file whose every record holds a
// quoted field with line breaks (and delimiters and quotes) into splits far
// smaller than a record, so nearly every nominal cut point falls inside a
// quoted field; every record must still come back exactly once, intact,
// with its own line number.
func TestQuotedNewlinesAcrossSplits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	var sb strings.Builder
	sb.WriteString("id,text,n\n")
	const rows = 500
	want := make([]string, rows+1)
	for i := 1; i <= rows; i++ {
		want[i] = fmt.Sprintf("line one of %d\nid,%d,\"x\"\r\n\nlast, \"%d\"", i, i, i)
		fmt.Fprintf(&sb, "%d,\"%s\",%d\n", i, strings.ReplaceAll(want[i], `"`, `""`), i*2)
	}
	path := writeFile(t, "q.csv", sb.String())
	schema, err := fileset.ParseColumns("id:int64,text:utf8,n:int64")
	require.NoError(t, err)
	for _, splitBytes := range []int64{7, 50, 333, 4096} {
		r := open(t, csvreader.Config{Path: path, Schema: schema, SplitBytes: splitBytes, BatchRows: 64, Allocator: mem})
		splits, err := r.Splits(context.Background(), 4)
		require.NoError(t, err)
		require.Greater(t, len(splits), 1, "splitBytes %d", splitBytes)
		got, bad := filetest.ReadAll(t, r, true)
		require.Empty(t, bad)
		require.EqualValues(t, rows, got.NumRows(), "splitBytes %d", splitBytes)
		ids, texts, ns := got.Column(0).(*array.Int64), got.Column(1).(*array.String), got.Column(2).(*array.Int64)
		for i := 0; i < rows; i++ {
			require.EqualValues(t, i+1, ids.Value(i))
			require.Equal(t, want[i+1], texts.Value(i))
			require.EqualValues(t, 2*(i+1), ns.Value(i))
		}
		got.Release()
	}
}

// TestMalformed: each bad line is a dirty row naming the file, the line
// and (for a bad value) the column; the good lines are read.
func TestMalformed(t *testing.T) {
	content := "id,name,amount\n" +
		"1,ok,1.50\n" + // line 2
		"2,too,many,fields\n" + // line 3
		"3,\"bad\xff utf8\",2\n" + // line 4
		"4,\"multi\nline\",3.25\n" + // lines 5-6
		"5,x,not-a-number\n" + // line 7
		"6,\"quote\"junk,1\n" + // line 8
		"7,short\n" + // line 9
		"8,last,4\n" + // line 10
		"9,\"never closed,5\n10,x,6\n" // line 11, runs to EOF
	path := writeFile(t, "bad.csv", content)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema, err := fileset.ParseColumns("id:int64,name:utf8,amount:decimal(10,2)")
	require.NoError(t, err)
	got, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema, Allocator: mem}), true)
	defer got.Release()
	ids := got.Column(0).(*array.Int64)
	var gotIDs []int64
	for i := 0; i < ids.Len(); i++ {
		gotIDs = append(gotIDs, ids.Value(i))
	}
	require.Equal(t, []int64{1, 4, 8}, gotIDs)
	want := []struct {
		line   int64
		column string
		is     error
		text   string
	}{
		{3, "", csvreader.ErrFieldCount, "got 4, want 3"},
		{4, "name", nil, "invalid UTF-8"},
		{7, "amount", nil, "not-a-number"},
		{8, "", csvreader.ErrAfterQuote, "closing quote"},
		{9, "", csvreader.ErrFieldCount, "got 2, want 3"},
		{11, "", csvreader.ErrUnterminatedQuote, "unterminated"},
	}
	require.Len(t, bad, len(want), "%v", bad)
	for i, w := range want {
		require.Equal(t, w.line, bad[i].Row, "%v", bad[i])
		require.Equal(t, w.column, bad[i].Column)
		require.ErrorContains(t, bad[i].Err, fmt.Sprintf("%s line %d", path, w.line))
		require.ErrorContains(t, bad[i].Err, w.text)
		if w.is != nil {
			require.ErrorIs(t, bad[i].Err, w.is)
		}
		require.NotNil(t, bad[i].Value)
	}
}

func TestNullVsEmpty(t *testing.T) {
	schema, err := fileset.ParseColumns("id:int64,s:utf8,n:int64")
	require.NoError(t, err)
	for _, tc := range []struct {
		null, content string
		want          []any // s per row
		wantN         []any
	}{
		{"", "id,s,n\n1,,\n2,\"\",\"\"\n3,\\N,5\n", []any{nil, "", `\N`}, []any{nil, nil, int64(5)}},
		{`\N`, "id,s,n\n1,\\N,\\N\n2,,\n3,\"\\N\",5\n", []any{nil, "", `\N`}, []any{nil, nil, int64(5)}},
	} {
		path := writeFile(t, "n.csv", tc.content)
		got, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema, NullString: tc.null}), true)
		require.Empty(t, bad)
		s, n := got.Column(1).(*array.String), got.Column(2).(*array.Int64)
		for i := range tc.want {
			if tc.want[i] == nil {
				require.True(t, s.IsNull(i), "null %q row %d", tc.null, i)
			} else {
				require.Equal(t, tc.want[i], s.Value(i), "null %q row %d", tc.null, i)
			}
			if tc.wantN[i] == nil {
				require.True(t, n.IsNull(i))
			} else {
				require.Equal(t, tc.wantN[i], n.Value(i))
			}
		}
		got.Release()
	}
}

func TestInferSchema(t *testing.T) {
	path := writeFile(t, "i.csv", "\xEF\xBB\xBFi,f,d,ts,tz,b,s,empty\n"+
		"1,1.5,2024-01-02,2024-01-02 03:04:05.123456,2024-01-02T03:04:05Z,true,x,\n"+
		"-9223372036854775808,NaN,0001-01-01,2024-01-02T03:04:05,2024-01-02T03:04:05+08:00,false,1,\n"+
		",,,,,,,\n")
	r := open(t, csvreader.Config{Path: path})
	s, err := r.Schema(context.Background())
	require.NoError(t, err)
	var got []string
	for _, f := range s.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	require.Equal(t, []string{"i:int64", "f:float64", "d:date32", "ts:timestamp[us]", "tz:timestamp[us, tz=UTC]", "b:bool", "s:utf8", "empty:utf8"}, got)
	b, bad := filetest.ReadAll(t, r, false)
	defer b.Release()
	require.Empty(t, bad)
	require.EqualValues(t, 3, b.NumRows())
	require.Equal(t, "2024-01-01T19:04:05Z", b.Column(4).(*array.Timestamp).ValueStr(1))
}

func TestNoHeaderTabGBK(t *testing.T) {
	text := "1\t中文\n2\t\"tab\tinside\"\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	require.NoError(t, err)
	path := writeFile(t, "g.tsv", gbk)
	r := open(t, csvreader.Config{Path: path, NoHeader: true, Delimiter: '\t', Encoding: "gbk"})
	b, bad := filetest.ReadAll(t, r, true)
	defer b.Release()
	require.Empty(t, bad)
	require.Equal(t, "c1", b.Schema().Field(0).Name)
	require.Equal(t, "中文", b.Column(1).(*array.String).Value(0))
	require.Equal(t, "tab\tinside", b.Column(1).(*array.String).Value(1))
}

func TestGlobDirAndHeaderOrder(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.csv"), []byte("id,v\n1,a\n2,b\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.csv"), []byte("v,id,extra\nc,3,x\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.csv"), []byte("id,v\n99,z\n"), 0o644))
	schema, _ := fileset.ParseColumns("id:int64,v:utf8")
	for _, p := range []string{dir, filepath.Join(dir, "*.csv")} {
		r := open(t, csvreader.Config{Path: p, Schema: schema})
		b, bad := filetest.ReadAll(t, r, true)
		require.Empty(t, bad)
		require.EqualValues(t, 3, b.NumRows(), p)
		require.Equal(t, "c", b.Column(1).(*array.String).Value(2))
		b.Release()
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.csv"), []byte("id,w\n4,d\n"), 0o644))
	r := open(t, csvreader.Config{Path: dir, Schema: schema})
	splits, err := r.Splits(context.Background(), 1)
	require.NoError(t, err)
	_, err = r.Read(context.Background(), splits[2])
	require.ErrorContains(t, err, "c.csv: header has no column v")
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	_, err := csvreader.Open(ctx, csvreader.Config{Path: "/nonexistent/x.csv"})
	require.ErrorContains(t, err, "/nonexistent/x.csv")
	require.ErrorIs(t, err, os.ErrNotExist)

	path := writeFile(t, "locked.csv", "a\n1\n")
	require.NoError(t, os.Chmod(path, 0))
	if os.Getuid() != 0 {
		_, err = csvreader.Open(ctx, csvreader.Config{Path: path})
		require.ErrorContains(t, err, path)
		require.ErrorIs(t, err, os.ErrPermission)
	}
	_, err = csvreader.Open(ctx, csvreader.Config{Path: writeFile(t, "empty.csv", "")})
	require.ErrorContains(t, err, "empty.csv is empty")
}

func TestParseConfig(t *testing.T) {
	cfg, err := csvreader.ParseConfig(`csv:///data/x.csv?header=false&delimiter=tab&quote='&nullString=%5CN&encoding=gbk&columns=id:int64,amount:decimal(12,2),ts:timestamp[us,UTC]&batchRows=10&splitBytes=-1&sampleRows=5`)
	require.NoError(t, err)
	require.Equal(t, "/data/x.csv", cfg.Path)
	require.True(t, cfg.NoHeader)
	require.Equal(t, byte('\t'), cfg.Delimiter)
	require.Equal(t, byte('\''), cfg.Quote)
	require.Equal(t, `\N`, cfg.NullString)
	require.Equal(t, 3, cfg.Schema.NumFields())
	require.True(t, arrow.TypeEqual(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, cfg.Schema.Field(2).Type))
	require.Equal(t, int64(-1), cfg.SplitBytes)

	cfg, err = csvreader.ParseConfig("csv://rel/dir/x.csv")
	require.NoError(t, err)
	require.Equal(t, "rel/dir/x.csv", cfg.Path)

	for _, bad := range []string{"csv:///x.csv?bogus=1", "csv:///x.csv?delimiter=ab", "csv:///x.csv?columns=a:nope", "csv:///x.csv?header=maybe", "csv://"} {
		_, err := csvreader.ParseConfig(bad)
		require.Error(t, err, bad)
		require.ErrorContains(t, err, "csvreader")
	}
	_, err = ferry.OpenReader(context.Background(), "csv:///nonexistent.csv")
	require.ErrorContains(t, err, "nonexistent.csv")
}

var _ = errors.New
