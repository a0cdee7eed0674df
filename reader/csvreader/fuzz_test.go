package csvreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/csvreader"
)

// FuzzCSVReader feeds arbitrary bytes to the reader, typed and inferred,
// in one split and in tiny byte-range splits: it must never panic or leak,
// and the splits must see exactly the rows and dirty rows (with their line
// numbers) one split sees.
func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"id,s,n\n1,a,2\n",
		"id,s,n\n1,\"q\"\"uote\nnl\",3\n2,,\n",
		"id,s,n\n1,\"unterminated\n2,x,3\n",
		"id,s,n\n1,\"a\"b,3\n\n\n4,\xff,5\r\n",
		"\xEF\xBB\xBFid,s,n\n-9223372036854775808,\\N,1e400\n",
		"id,s,n\n1,\"stray\n2,b,3\n3,\"x\"y,4\n5,c,6\n",
		"id,s,n\n1,abcdefghijklmnopqrstuvwxyz,2\n3,\"a\nbbbbbbbbbbbbbbbbbb\n\",4\n5,c,6\n",
	} {
		f.Add([]byte(s))
	}
	schema, err := fileset.ParseColumns("id:int64,s:utf8,n:decimal(12,2)")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		filetest.FuzzSplits(t, "f.csv", data, func(path string, mem memory.Allocator, typed bool, split int64) (ferry.Reader, error) {
			cfg := csvreader.Config{Path: path, Allocator: mem, BatchRows: 3, SplitBytes: split}
			if typed {
				cfg.Schema = schema
				cfg.MaxRecordBytes = 12 // exercise the record limit and its resync
			}
			return csvreader.Open(context.Background(), cfg)
		})
	})
}
