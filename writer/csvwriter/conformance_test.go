package csvwriter_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
)

// TestConformance writes into a directory per destination and reads back
// with csvreader.
func TestConformance(t *testing.T) {
	connectortest.RunWriterTests(t, filetest.WriterHarness(
		func(ctx context.Context, dir string, mode ferry.WriteMode) (ferry.Writer, error) {
			return csvwriter.Open(ctx, csvwriter.Config{Path: dir, Mode: mode})
		},
		func(ctx context.Context, dir string, schema *arrow.Schema) (ferry.Reader, error) {
			return csvreader.Open(ctx, csvreader.Config{Path: dir, Schema: schema})
		},
	))
}
