package parquetreader_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// writeParquet writes data to path with parquetwriter.
func writeParquet(t testing.TB, path string, data arrow.RecordBatch, cfg parquetwriter.Config) {
	t.Helper()
	ctx := context.Background()
	cfg.Path = path
	w, err := parquetwriter.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Prepare(ctx, data.Schema()); err != nil {
		t.Fatal(err)
	}
	bw, err := w.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Write(ctx, data); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
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
