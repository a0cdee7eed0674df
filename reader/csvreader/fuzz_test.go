package csvreader_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		count := func(cfg csvreader.Config) (int, []int64, bool) {
			cfg.Path, cfg.Allocator, cfg.BatchRows = path, mem, 3
			return filetest.CountSplits(t, func() (ferry.Reader, error) { return csvreader.Open(context.Background(), cfg) })
		}
		for _, typed := range []bool{true, false} {
			cfg := csvreader.Config{SplitBytes: -1}
			if typed {
				cfg.Schema = schema
				cfg.MaxRecordBytes = 12 // exercise the record limit and its resync
			}
			rows, one, ok := count(cfg)
			cfg.SplitBytes = 5
			rows2, many, ok2 := count(cfg)
			if ok != ok2 || rows != rows2 || !slices.Equal(one, many) {
				t.Fatalf("one split: %d rows, dirty lines %v (%v); 5-byte splits: %d rows, dirty lines %v (%v)", rows, one, ok, rows2, many, ok2)
			}
		}
	})
}
