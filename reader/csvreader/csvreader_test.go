package csvreader_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
		"9,\"never closed,5\n10,x,6\n" // line 11, runs to EOF: only line 11 is skipped
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
	require.Equal(t, []int64{1, 4, 8, 10}, gotIDs, "the line after an unterminated quote is read")
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

// TestUnterminatedQuoteResyncs: with a dirty tolerance, a stray quote costs
// its line, not the rest of the file: the 10,001 lines after it are read,
// in one split and in many, and each bad line is reported on its own (the
// first quote pairs with a later one, a character after which makes the
// record bad; the second runs to the end of the file).
func TestUnterminatedQuoteResyncs(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("id,name\n1,\"oops\n") // line 2: never closed
	for i := 2; i <= 10002; i++ {
		fmt.Fprintf(&sb, "%d,n%d\n", i, i)
	}
	sb.WriteString("10003,\"again\n10004,x,extra\n10005,y\n") // lines 10004..10006
	path := writeFile(t, "q.csv", sb.String())
	schema, err := fileset.ParseColumns("id:int64,name:utf8")
	require.NoError(t, err)
	for _, split := range []int64{-1, 4096} {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		got, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema, SplitBytes: split, Allocator: mem}), true)
		require.EqualValues(t, 10002, got.NumRows(), "split %d", split)
		ids := got.Column(0).(*array.Int64)
		require.EqualValues(t, 2, ids.Value(0))
		require.EqualValues(t, 10005, ids.Value(int(got.NumRows())-1))
		got.Release()
		mem.AssertSize(t, 0)
		require.Equal(t, 3, len(bad))
		require.EqualValues(t, 2, bad[0].Row)
		require.ErrorIs(t, bad[0].Err, csvreader.ErrAfterQuote)
		require.Equal(t, "1,\"oops\n", bad[0].Value)
		require.EqualValues(t, 10004, bad[1].Row)
		require.ErrorIs(t, bad[1].Err, csvreader.ErrUnterminatedQuote)
		require.EqualValues(t, 10005, bad[2].Row)
		require.ErrorIs(t, bad[2].Err, csvreader.ErrFieldCount)
	}
}

// TestUnterminatedQuoteToEOF is the reported case: a quote never closed,
// then 10,001 good lines: one dirty row, 10,001 rows read.
func TestUnterminatedQuoteToEOF(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("id,name\n1,\"oops\n")
	for i := 2; i <= 10002; i++ {
		fmt.Fprintf(&sb, "%d,n%d\n", i, i)
	}
	path := writeFile(t, "q.csv", sb.String())
	schema, err := fileset.ParseColumns("id:int64,name:utf8")
	require.NoError(t, err)
	got, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema, SplitBytes: 1000}), true)
	defer got.Release()
	require.EqualValues(t, 10001, got.NumRows())
	require.Equal(t, 1, len(bad))
	require.EqualValues(t, 2, bad[0].Row)
	require.ErrorIs(t, bad[0].Err, csvreader.ErrUnterminatedQuote)
}

// TestRecordTooLarge: a record over MaxRecordBytes (one long line, or a
// quoted field running over many lines) is a dirty row naming its line and
// the limit; reading goes on with the next line, memory stays bounded.
func TestRecordTooLarge(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	content := "id,name\n1,a\n2," + big + "\n3,b\n4,\"" + strings.Repeat("y\n", 1<<20) + "\"\n5,c\n"
	path := writeFile(t, "big.csv", content)
	schema, err := fileset.ParseColumns("id:int64,name:utf8")
	require.NoError(t, err)
	for _, split := range []int64{-1, 1 << 20} {
		got, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema, MaxRecordBytes: 1 << 20, SplitBytes: split}), true)
		ids := got.Column(0).(*array.Int64)
		var gotIDs []int64
		for i := 0; i < ids.Len(); i++ {
			gotIDs = append(gotIDs, ids.Value(i))
		}
		got.Release()
		require.Equal(t, []int64{1, 3, 5}, gotIDs, "split %d", split)
		// line 3 is too long; the record at line 5 is too large, and each of
		// the 2^20-1 lines "y" after it is a record with too few fields, and
		// its closing line "\"" an unterminated quote
		require.Equal(t, 2+(1<<20-1)+1, len(bad), "split %d", split)
		require.ErrorIs(t, bad[len(bad)-1].Err, csvreader.ErrUnterminatedQuote)
		require.EqualValues(t, 3, bad[0].Row)
		require.ErrorIs(t, bad[0].Err, csvreader.ErrRecordTooLarge)
		require.ErrorContains(t, bad[0].Err, "line 3")
		require.ErrorContains(t, bad[0].Err, "maxRecordBytes=1048576")
		require.LessOrEqual(t, len(bad[0].Value.(string)), 1<<20+1)
		require.EqualValues(t, 5, bad[1].Row)
		require.ErrorIs(t, bad[1].Err, csvreader.ErrRecordTooLarge)
		require.EqualValues(t, 6, bad[2].Row)
		require.ErrorIs(t, bad[2].Err, csvreader.ErrFieldCount)
	}
	// the default limit is 16 MiB, and raising it reads the record
	got, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema}), true)
	require.EqualValues(t, 5, got.NumRows())
	require.Equal(t, big, got.Column(1).(*array.String).Value(1))
	got.Release()
	require.Empty(t, bad)
}

// TestCompressed reads gzip and bzip2 files, by extension and by the
// compress parameter.
func TestCompressed(t *testing.T) {
	dir := t.TempDir()
	content := "id,name\n1,a\n2,\"b\nc\"\n"
	plain := filepath.Join(dir, "t.csv")
	require.NoError(t, os.WriteFile(plain, []byte(content), 0o644))
	for _, tool := range []string{"gzip", "bzip2"} {
		require.NoError(t, exec.Command(tool, "-k", plain).Run(), tool)
	}
	require.NoError(t, os.Rename(filepath.Join(dir, "t.csv.gz"), filepath.Join(dir, "z.data")))
	os.Remove(plain)
	for _, c := range []struct{ url, path string }{
		{"csv://" + dir + "/t.csv.bz2", ""},
		{"csv://" + dir + "/z.data?compress=gzip", ""},
	} {
		r, err := ferry.OpenReader(context.Background(), c.url)
		require.NoError(t, err, c.url)
		got, bad := filetest.ReadAll(t, r, true)
		require.Empty(t, bad)
		require.EqualValues(t, 2, got.NumRows(), c.url)
		require.Equal(t, "b\nc", got.Column(1).(*array.String).Value(1))
		got.Release()
	}
	_, err := csvreader.ParseConfig("csv:///x.csv?compress=zip")
	require.NoError(t, err)
	_, err = csvreader.Open(context.Background(), csvreader.Config{Path: dir, Compress: "zip"})
	require.ErrorContains(t, err, "compress")
}

// TestInferNeverChangesAValue: leading zeros and long digit strings stay
// text, decimal literals become exact decimals (not float64), floats only
// where a value needs one, the boolean spellings of PostgreSQL, MySQL and
// Excel, PostgreSQL's timestamptz offsets, nanosecond fractions kept, and
// mixed zoned/zone-less timestamps left as text.
func TestInferNeverChangesAValue(t *testing.T) {
	path := writeFile(t, "i.csv", "zip,big,dec,flt,b,tz,ns,mixed,negzero,plus\n"+
		"08123,12345678901234567890123,12.50,1e3,t,2025-07-01 00:00:01+00,2025-07-01 00:00:01.123456789,2025-07-01 00:00:01+00,-0,+5\n"+
		"12345,1,3,2.5,f,2025-07-01 00:00:01+05:30,2025-07-01 00:00:02,2025-07-01 00:00:01,1,6\n"+
		"99999,2,-0.125,-7,TRUE,2025-07-01 00:00:01+0530,2025-07-01 00:00:03.5,,2,7\n"+
		",,,,no,,,,,\n")
	r := open(t, csvreader.Config{Path: path})
	s, err := r.Schema(context.Background())
	require.NoError(t, err)
	var got []string
	for _, f := range s.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	require.Equal(t, []string{"zip:utf8", "big:utf8", "dec:decimal(5, 3)", "flt:float64", "b:bool",
		"tz:timestamp[us, tz=UTC]", "ns:timestamp[ns]", "mixed:utf8", "negzero:utf8", "plus:utf8"}, got)
	b, bad := filetest.ReadAll(t, r, false)
	defer b.Release()
	require.Empty(t, bad)
	require.Equal(t, "08123", b.Column(0).(*array.String).Value(0))
	require.Equal(t, "12345678901234567890123", b.Column(1).(*array.String).Value(0))
	require.Equal(t, []string{"12.5", "3", "-0.125"}, []string{b.Column(2).ValueStr(0), b.Column(2).ValueStr(1), b.Column(2).ValueStr(2)})
	require.Equal(t, []string{"true", "false", "true", "false"}, []string{b.Column(4).ValueStr(0), b.Column(4).ValueStr(1), b.Column(4).ValueStr(2), b.Column(4).ValueStr(3)})
	tz := b.Column(5).(*array.Timestamp)
	require.Equal(t, []string{"2025-07-01T00:00:01Z", "2025-06-30T18:30:01Z", "2025-06-30T18:30:01Z"}, []string{tz.ValueStr(0), tz.ValueStr(1), tz.ValueStr(2)})
	require.Equal(t, "2025-07-01T00:00:01.123456789", b.Column(6).(*array.Timestamp).ValueStr(0))
	require.Equal(t, "-0", b.Column(8).(*array.String).Value(0))

	// an explicit timestamptz column takes the same offsets, booleans on/off
	path = writeFile(t, "tz.csv", "ts,b\n2025-07-01 00:00:01+00,on\n2025-07-01 00:00:01.5+0530,off\n2025-07-01 00:00:01-03,t\n")
	schema, err := fileset.ParseColumns("ts:timestamp[us,UTC],b:bool")
	require.NoError(t, err)
	b2, bad := filetest.ReadAll(t, open(t, csvreader.Config{Path: path, Schema: schema}), false)
	defer b2.Release()
	require.Empty(t, bad)
	ts := b2.Column(0).(*array.Timestamp)
	require.Equal(t, []string{"2025-07-01T00:00:01Z", "2025-06-30T18:30:01.5Z", "2025-07-01T03:00:01Z"}, []string{ts.ValueStr(0), ts.ValueStr(1), ts.ValueStr(2)})
	require.Equal(t, "true", b2.Column(1).ValueStr(0))
	require.Equal(t, "false", b2.Column(1).ValueStr(1))
}

// TestBatchBytes: a batch ends after about BatchBytes of input, before
// BatchRows, and no row is lost or repeated at the batch ends.
func TestBatchBytes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	content := "id,s\n"
	for i := 0; i < 100; i++ {
		content += fmt.Sprintf("%d,\"row %d, wide enough\"\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "b.csv")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	schema, err := csvreader.ParseColumns("id:int64,s:utf8")
	require.NoError(t, err)
	r, err := csvreader.Open(context.Background(), csvreader.Config{Path: path, Schema: schema, Allocator: mem, BatchBytes: 100, SplitBytes: -1})
	require.NoError(t, err)
	splits, err := r.Splits(context.Background(), 1)
	require.NoError(t, err)
	rr, err := r.Read(context.Background(), splits[0])
	require.NoError(t, err)
	defer rr.Release()
	var ids []int64
	batches := 0
	for rr.Next() {
		b := rr.RecordBatch()
		batches++
		require.LessOrEqual(t, b.NumRows(), int64(5), "a batch of about 100 bytes of rows of 25 bytes")
		for i := 0; i < int(b.NumRows()); i++ {
			ids = append(ids, b.Column(0).(*array.Int64).Value(i))
		}
	}
	require.NoError(t, rr.Err())
	require.Greater(t, batches, 20)
	require.Len(t, ids, 100)
	for i, id := range ids {
		require.EqualValues(t, i, id)
	}
}
