package connectortest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// writerHarness is the in-memory writer's harness, with a fault, staged or
// not.
func writerHarness(fault memwriter.Fault, staged bool) connectortest.WriterHarness {
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
	return connectortest.WriterHarness{
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			opts := &memwriter.Options{Mode: mode, Fault: fault, Allocator: mem}
			if dest == "dirty" {
				opts.Reject = func(b arrow.RecordBatch, row int) error {
					if s := b.Column(1).(*array.String); s.IsValid(row) && s.Value(row) == "" {
						return errors.New("str must not be empty")
					}
					return nil
				}
			}
			if staged {
				return memwriter.NewStaged(table(t, dest), opts)
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
			return connectortest.Batch(mem, schema, 12), []int{0}
		},
	}
}

// readerHarness is the in-memory reader's harness, with a fault.
func readerHarness(fault memreader.Fault) connectortest.ReaderHarness {
	var mu sync.Mutex
	sources := map[string][]arrow.RecordBatch{}
	opts := &memreader.Options{BatchesPerSplit: 3, Fault: fault}
	return connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			if data.NumRows() == 0 {
				return memreader.NewWithSchema(data.Schema())
			}
			var batches []arrow.RecordBatch
			for lo := int64(0); lo < data.NumRows(); lo += int64(batchRows) {
				s := data.NewSlice(lo, min(lo+int64(batchRows), data.NumRows()))
				batches = append(batches, copyBatch(t, mem, s))
				s.Release()
			}
			r := memreader.New(batches, opts)
			mu.Lock()
			sources[t.Name()] = batches // the Reader holds them; released with it
			mu.Unlock()
			for _, b := range batches {
				b.Release()
			}
			return r
		},
		Open: func(t *testing.T, ctx context.Context, mem memory.Allocator, batchRows int) ferry.Reader {
			mu.Lock()
			defer mu.Unlock()
			return memreader.New(sources[t.Name()], opts)
		},
	}
}

func copyBatch(t *testing.T, mem memory.Allocator, b arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, b.NumCols())
	for i := range cols {
		a, err := array.Concatenate([]arrow.Array{b.Column(i)}, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = a
	}
	out := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
	for _, a := range cols {
		a.Release()
	}
	return out
}

// The suite passes correct in-memory connectors, plain and staged.
func TestSuitePassesCorrectConnectors(t *testing.T) {
	t.Run("writer", func(t *testing.T) { connectortest.RunWriterTests(t, writerHarness("", false)) })
	t.Run("staged-writer", func(t *testing.T) { connectortest.RunWriterTests(t, writerHarness("", true)) })
	t.Run("reader", func(t *testing.T) { connectortest.RunReaderTests(t, readerHarness("")) })
}

// The suite fails every deliberately broken connector.
func TestSuiteCatchesBrokenWriters(t *testing.T) {
	cases := []struct {
		fault  memwriter.Fault
		staged bool
	}{
		{memwriter.FaultDropRow, false},
		{memwriter.FaultDuplicateRow, false},
		{memwriter.FaultCommitOnAbort, false},
		{memwriter.FaultLeak, false},
		{memwriter.FaultEarlyVisible, false},
		{memwriter.FaultDropRow, true},
		{memwriter.FaultDuplicateRow, true},
		{memwriter.FaultCommitOnAbort, true},
		{memwriter.FaultLeak, true},
		{memwriter.FaultEarlyVisible, true},
		{memwriter.FaultReplaceAdds, true},
		{memwriter.FaultDiscardKeeps, true},
		{memwriter.FaultMarkOnOpen, true},
		{memwriter.FaultCommitTwice, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/staged=%v", c.fault, c.staged), func(t *testing.T) {
			rec := connectortest.NewRecorder(t)
			connectortest.RunWriterTests(rec, writerHarness(c.fault, c.staged))
			rec.Finish()
			if !rec.Failed() {
				t.Fatalf("the suite passed a writer with fault %s", c.fault)
			}
			t.Logf("caught %s: %s", c.fault, rec.Messages()[0])
		})
	}
}

func TestSuiteCatchesBrokenReaders(t *testing.T) {
	for _, fault := range []memreader.Fault{
		memreader.FaultDropRow, memreader.FaultDuplicateRow, memreader.FaultLeak,
		memreader.FaultIgnoreCancel, memreader.FaultOverlap, memreader.FaultPlannerOnly,
	} {
		t.Run(string(fault), func(t *testing.T) {
			rec := connectortest.NewRecorder(t)
			connectortest.RunReaderTests(rec, readerHarness(fault))
			rec.Finish()
			if !rec.Failed() {
				t.Fatalf("the suite passed a reader with fault %s", fault)
			}
			t.Logf("caught %s: %s", fault, rec.Messages()[0])
		})
	}
}
