package jsonlreader_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/jsonlreader"
)

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// TestMalformed: a line that is not JSON, not an object, not UTF-8, or has
// a value of the wrong type is a dirty row naming file, line and column.
func TestMalformed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	path := writeFile(t, "bad.jsonl", `{"id":1,"v":"a","f":1.5}
{"id":2,"v":"b",
{"id":3,"v":"\u00e9","f":"NaN","extra":[1]}

[1,2,3]
{"id":5,"v":"`+"\xff"+`"}
{"id":6,"v":7}
{"id":"x"}
null
{"id":9,"f":"-Inf"}
`)
	schema, err := fileset.ParseColumns("id:int64,v:utf8,f:float64")
	require.NoError(t, err)
	r, err := jsonlreader.Open(context.Background(), jsonlreader.Config{Path: path, Schema: schema, Allocator: mem})
	require.NoError(t, err)
	b, bad := filetest.ReadAll(t, r, true)
	defer b.Release()
	var ids []int64
	for i := 0; i < int(b.NumRows()); i++ {
		ids = append(ids, b.Column(0).(*array.Int64).Value(i))
	}
	require.Equal(t, []int64{1, 3, 9}, ids)
	require.Equal(t, "é", b.Column(1).(*array.String).Value(1))
	require.Equal(t, "NaN", b.Column(2).ValueStr(1))
	require.True(t, b.Column(1).IsNull(2))
	want := []struct {
		line   int64
		column string
		text   string
	}{
		{2, "", "not a JSON object"},
		{5, "", "not a JSON object"},
		{6, "", "invalid UTF-8"},
		{7, "v", "want a JSON string"},
		{8, "id", "not an integer"},
		{9, "", "not a JSON object"},
	}
	require.Len(t, bad, len(want), "%v", bad)
	for i, w := range want {
		require.Equal(t, w.line, bad[i].Row, "%v", bad[i])
		require.Equal(t, w.column, bad[i].Column)
		require.ErrorContains(t, bad[i].Err, path)
		require.ErrorContains(t, bad[i].Err, w.text)
	}
}

func TestInferAndSplits(t *testing.T) {
	content := ""
	for i := 0; i < 300; i++ {
		content += `{"id":` + itoa(i) + `,"name":"n` + itoa(i) + `","score":` + itoa(i) + `.5,"ok":true,"tags":["a"],"mixed":` + map[bool]string{true: "1", false: `"x"`}[i%2 == 0] + "}\n"
	}
	path := writeFile(t, "i.jsonl", content)
	r, err := jsonlreader.Open(context.Background(), jsonlreader.Config{Path: path, SplitBytes: 500})
	require.NoError(t, err)
	s, _ := r.Schema(context.Background())
	var got []string
	for _, f := range s.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	require.Equal(t, []string{"id:int64", "name:utf8", "score:float64", "ok:bool", "tags:extension<arrow.json[storage_type=utf8]>", "mixed:extension<arrow.json[storage_type=utf8]>"}, got)
	splits, err := r.Splits(context.Background(), 4)
	require.NoError(t, err)
	require.Greater(t, len(splits), 10)
	b, bad := filetest.ReadAll(t, r, true)
	defer b.Release()
	require.Empty(t, bad)
	require.EqualValues(t, 300, b.NumRows())
	for i := 0; i < 300; i++ {
		require.EqualValues(t, i, b.Column(0).(*array.Int64).Value(i))
	}
}

func itoa(i int) string { return fmtInt(int64(i)) }

func fmtInt(i int64) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestParseConfig(t *testing.T) {
	cfg, err := jsonlreader.ParseConfig("jsonl:///d/x.jsonl?columns=id:int64,v:utf8&batchRows=5&splitBytes=-1&sampleRows=3")
	require.NoError(t, err)
	require.Equal(t, "/d/x.jsonl", cfg.Path)
	require.Equal(t, 2, cfg.Schema.NumFields())
	require.Equal(t, 5, cfg.BatchRows)
	for _, bad := range []string{"jsonl:///x?nope=1", "jsonl://", "jsonl:///x?columns=a:bad"} {
		_, err := jsonlreader.ParseConfig(bad)
		require.ErrorContains(t, err, "jsonlreader", bad)
	}
	_, err = ferry.OpenReader(context.Background(), "jsonl:///nonexistent/x.jsonl")
	require.ErrorContains(t, err, "/nonexistent/x.jsonl")
}
