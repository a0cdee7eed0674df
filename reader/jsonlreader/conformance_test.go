package jsonlreader_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
)

// writeJSONL writes data to path with jsonlwriter.
func writeJSONL(t testing.TB, path string, data arrow.RecordBatch, cfg jsonlwriter.Config) {
	t.Helper()
	cfg.Path = path
	w, err := jsonlwriter.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	filetest.WriteAll(t, w, data)
}

// TestConformance runs connectortest with the schema given as Config.Schema
// and 4 KiB splits cut at line starts.
func TestConformance(t *testing.T) {
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			path := filepath.Join(t.TempDir(), "data.jsonl")
			writeJSONL(t, path, data, jsonlwriter.Config{})
			r, err := jsonlreader.Open(ctx, jsonlreader.Config{Path: path, Schema: data.Schema(), BatchRows: batchRows, Allocator: mem, SplitBytes: 4096})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	})
}
