package csvreader_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
)

// writeCSV writes data to path with csvwriter.
func writeCSV(t testing.TB, path string, data arrow.RecordBatch, cfg csvwriter.Config) {
	t.Helper()
	cfg.Path = path
	w, err := csvwriter.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	filetest.WriteAll(t, w, data)
}

// TestConformance runs connectortest with the schema given as Config.Schema
// and files small enough splits (4 KiB) that records with quoted line
// breaks straddle split boundaries.
func TestConformance(t *testing.T) {
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			path := filepath.Join(t.TempDir(), "data.csv")
			writeCSV(t, path, data, csvwriter.Config{})
			r, err := csvreader.Open(ctx, csvreader.Config{Path: path, Schema: data.Schema(), BatchRows: batchRows, Allocator: mem, SplitBytes: 4096})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	})
}
