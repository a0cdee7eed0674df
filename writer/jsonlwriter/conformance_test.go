package jsonlwriter_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
)

var (
	dirsMu sync.Mutex
	dirs   = map[*testing.T]string{}
)

// destDir maps a harness destination to a directory of the test.
func destDir(t *testing.T, dest string) string {
	dirsMu.Lock()
	defer dirsMu.Unlock()
	base, ok := dirs[t]
	if !ok {
		base = t.TempDir()
		dirs[t] = base
		t.Cleanup(func() {
			dirsMu.Lock()
			delete(dirs, t)
			dirsMu.Unlock()
		})
	}
	return filepath.Join(base, dest) + "/"
}

// TestConformance writes into a directory per destination (insert adds
// part files, overwrite replaces them at Commit) and reads back with
// jsonlreader given the schema.
func TestConformance(t *testing.T) {
	connectortest.RunWriterTests(t, connectortest.WriterHarness{
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			w, err := jsonlwriter.Open(ctx, jsonlwriter.Config{Path: destDir(t, dest), Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			return w
		},
		ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
			r, err := jsonlreader.Open(ctx, jsonlreader.Config{Path: destDir(t, dest), Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			b, bad := filetest.ReadAll(t, r, true)
			if len(bad) > 0 {
				t.Fatalf("dirty rows reading back: %v", bad)
			}
			return b
		},
		Modes: []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite},
	})
}
