package jsonlwriter_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
)

// TestConformance writes into a directory per destination and reads back
// with jsonlreader.
func TestConformance(t *testing.T) {
	connectortest.RunWriterTests(t, filetest.WriterHarness(
		func(ctx context.Context, dir string, mode ferry.WriteMode) (ferry.Writer, error) {
			return jsonlwriter.Open(ctx, jsonlwriter.Config{Path: dir, Mode: mode})
		},
		func(ctx context.Context, dir string, schema *arrow.Schema) (ferry.Reader, error) {
			return jsonlreader.Open(ctx, jsonlreader.Config{Path: dir, Schema: schema})
		},
	))
}
