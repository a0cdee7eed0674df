package fileset_test

import (
	"testing"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/urlparam/urlparamtest"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// TestURLParamTable: for every file scheme, the parameters ferry help urls
// lists are the table the connector's parser reads, and the parser takes
// every one of them.
func TestURLParamTable(t *testing.T) {
	readers := map[string]func(string) error{
		"csv":     func(s string) error { _, err := csvreader.ParseConfig(s); return err },
		"jsonl":   func(s string) error { _, err := jsonlreader.ParseConfig(s); return err },
		"parquet": func(s string) error { _, err := parquetreader.ParseConfig(s); return err },
	}
	writers := map[string]func(string) error{
		"csv":     func(s string) error { _, err := csvwriter.ParseConfig(s); return err },
		"jsonl":   func(s string) error { _, err := jsonlwriter.ParseConfig(s); return err },
		"parquet": func(s string) error { _, err := parquetwriter.ParseConfig(s); return err },
	}
	for scheme, f := range readers {
		t.Run(scheme+" reader", func(t *testing.T) {
			listed, ok := ferry.DefaultURLMux().ReaderParams(scheme)
			urlparamtest.Check(t, fileset.ReaderParams(scheme), listed, ok, scheme+":///tmp/in?batchRows=10", f)
		})
	}
	for scheme, f := range writers {
		t.Run(scheme+" writer", func(t *testing.T) {
			listed, ok := ferry.DefaultURLMux().WriterParams(scheme)
			urlparamtest.Check(t, fileset.WriterParams(scheme), listed, ok, scheme+":///tmp/out/?mode=insert", f)
		})
	}
}
