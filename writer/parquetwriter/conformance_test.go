package parquetwriter_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// TestConformance writes into a directory per destination and reads back
// with parquetreader.
func TestConformance(t *testing.T) {
	connectortest.RunWriterTests(t, filetest.WriterHarness(
		func(ctx context.Context, dir string, mode ferry.WriteMode) (ferry.Writer, error) {
			return parquetwriter.Open(ctx, parquetwriter.Config{Path: dir, Mode: mode})
		},
		func(ctx context.Context, dir string, schema *arrow.Schema) (ferry.Reader, error) {
			return parquetreader.Open(ctx, parquetreader.Config{Path: dir})
		},
	))
}
