package parquetreader_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// writeParquet writes data to path with parquetwriter.
func writeParquet(t testing.TB, path string, data arrow.RecordBatch, cfg parquetwriter.Config) {
	t.Helper()
	cfg.Path = path
	w, err := parquetwriter.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	filetest.WriteAll(t, w, data)
}

// TestConformance: every standard column, in files of 700-row row groups
// (one split per row group).
func TestConformance(t *testing.T) {
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			path := filepath.Join(t.TempDir(), "data.parquet")
			writeParquet(t, path, data, parquetwriter.Config{RowGroupRows: 700})
			r, err := parquetreader.Open(ctx, parquetreader.Config{Path: path, BatchRows: batchRows, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	})
}
