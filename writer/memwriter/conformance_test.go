package memwriter_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/writer/memwriter"
)

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	tables := map[string]*memwriter.Table{}
	table := func(t *testing.T, dest string) *memwriter.Table {
		mu.Lock()
		defer mu.Unlock()
		key := t.Name() + "/" + dest
		tbl, ok := tables[key]
		if !ok {
			tbl = memwriter.NewTable()
			tables[key] = tbl
			t.Cleanup(tbl.Release)
		}
		return tbl
	}
	connectortest.RunWriterTests(t, connectortest.WriterHarness{
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			opts := &memwriter.Options{Mode: mode}
			if dest == "dirty" {
				// Reject rows whose str is empty, as a NOT NULL/CHECK constraint would.
				opts.Reject = func(b arrow.RecordBatch, row int) error {
					if s := b.Column(1).(*array.String); s.IsValid(row) && s.Value(row) == "" {
						return errors.New("str must not be empty")
					}
					return nil
				}
			}
			return memwriter.New(table(t, dest), opts)
		},
		ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
			b, err := table(t, dest).Batch(nil, schema)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		Modes: []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace},
		Dirty: func(t *testing.T, mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, []int) {
			// connectortest's row 0 holds the empty string in str.
			return connectortest.Batch(mem, schema, 12), []int{0}
		},
	})
}
