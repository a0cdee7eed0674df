package pgreader_test

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/pgreader"
)

// load creates a table for data's columns and writes data into it with pgwriter.
func load(t testing.TB, data arrow.RecordBatch) string {
	t.Helper()
	ctx := context.Background()
	name := tableName(t, "src")
	createTable(t, name, data.Schema(), "")
	w := newWriter(t, name, ferry.ModeInsert, nil)
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
	return name
}

func TestConformance(t *testing.T) {
	connect(t)
	var last sync.Map // test name → table of its last New
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			name := load(t, data)
			last.Store(t.Name(), name)
			r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: name, BatchRows: batchRows, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		// a second Reader from the same configuration, as in another process
		Open: func(t *testing.T, ctx context.Context, mem memory.Allocator, batchRows int) ferry.Reader {
			name, ok := last.Load(t.Name())
			if !ok {
				t.Fatal("Open before New")
			}
			r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: name.(string), BatchRows: batchRows, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		Types: readTypes,
	})
}
