package jsonlreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/jsonlreader"
)

// FuzzJSONLReader feeds arbitrary bytes to the reader, typed and inferred,
// in one split and in tiny byte-range splits: it must never panic or leak,
// and the splits must see exactly the rows and dirty lines one split sees.
// Seeds: f.Add below and testdata/fuzz/FuzzJSONLReader.
func FuzzJSONLReader(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"s":"a","n":1.5}` + "\n",
		`{"id":1,"s":"a\nb","n":"2.25","l":[1,2],"m":[{"key":"k","value":1}]}` + "\n\n" + `{"id":2}` + "\n",
		`{"id":9223372036854775807,"s":null}` + "\n" + `[1,2]` + "\n" + `{"id":"x"}` + "\n" + "\xff\n",
		"\xEF\xBB\xBF" + `{"id":-1,"s":"\u00e9\ud83d\ude00","st":{"a":1}}` + "\r\n" + `{"id":3,` + "\n",
	} {
		f.Add([]byte(s))
	}
	schema, err := fileset.ParseColumns("id:int64,s:utf8,n:decimal(12,2),l:list<int32>,m:map<utf8,int64>,st:struct<a:int64>")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		filetest.FuzzSplits(t, "f.jsonl", data, func(path string, mem memory.Allocator, typed bool, split int64) (ferry.Reader, error) {
			cfg := jsonlreader.Config{Path: path, Allocator: mem, BatchRows: 3, SplitBytes: split}
			if typed {
				cfg.Schema = schema
			}
			return jsonlreader.Open(context.Background(), cfg)
		})
	})
}
