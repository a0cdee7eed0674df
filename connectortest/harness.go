// Package connectortest is Ferry's public conformance suite. Every connector,
// built in or third party, proves its contract by calling RunReaderTests and
// RunWriterTests from its own tests with a small harness that creates and
// inspects the real source or destination:
//
//	func TestConformance(t *testing.T) {
//		connectortest.RunWriterTests(t, connectortest.WriterHarness{
//			New:      newWriter,
//			ReadBack: readBack,
//			Modes:    []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite},
//		})
//	}
//
// The suite round-trips every Arrow type of Ferry's type mapping (DESIGN.md
// §3) with NULLs, extreme values and nasty strings, cancels mid-stream, checks
// that Close leaves no Arrow memory behind (with a checked allocator), that a
// failed run leaves the destination as it was, that dirty rows are isolated,
// and each write mode the writer claims.
package connectortest

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// ReaderHarness adapts a reader to the suite.
type ReaderHarness struct {
	// New stores exactly the rows of data in a fresh source (a table, a file)
	// and returns a Reader over it that allocates from mem and returns
	// batches of at most batchRows rows. data's first column is "id", a
	// non-null int64 key, unique and ascending. New registers clean-up with
	// t.Cleanup; the suite closes the Reader.
	New func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader

	// Open, when set, returns another Reader over the source that the last
	// New call of the test made, opened from the same configuration the way
	// a second process would open it. The suite then checks that splits
	// planned by the first Reader are read exactly by this one.
	Open func(t *testing.T, ctx context.Context, mem memory.Allocator, batchRows int) ferry.Reader

	// Columns lists the standard columns (see Columns) the source can hold;
	// nil means all of them. "id" and "str" are always included.
	Columns []string

	// Types maps a column name to the Arrow type the reader returns for it
	// when that differs from the standard type (a CSV reader without a
	// schema gives utf8, say). Values are then compared by their text form.
	Types map[string]arrow.DataType
}

// WriterHarness adapts a writer to the suite.
type WriterHarness struct {
	// New returns a Writer into the destination named dest, for batches of
	// schema, in write mode mode, allocating from mem. The same dest within
	// one test means the same destination: the harness creates it (empty,
	// with key column "id") the first time, and keeps it for later calls.
	// For ModeUpsert and ModeReplace the key is "id".
	New func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer

	// ReadBack returns every row of dest ordered by id, as a batch of
	// schema (or of the types given in Types), read independently of the
	// Writer (a separate connection). The caller releases it.
	ReadBack func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch

	// Columns lists the standard columns the destination can hold; nil
	// means all. "id" and "str" are always included.
	Columns []string

	// Types maps column names to the type ReadBack returns when it differs
	// from the standard type; values are then compared by their text form.
	Types map[string]arrow.DataType

	// Modes lists the write modes the writer claims; nil means insert only.
	// The suite tests ModeInsert, ModeOverwrite, ModeUpsert and ModeReplace.
	Modes []ferry.WriteMode

	// Dirty, when set, returns a batch of schema in which the rows at the
	// returned indexes are rejected by the destination (a NOT NULL or length
	// constraint the harness set up, say) and the others accepted. The suite
	// checks that Write reports exactly those rows in a *dirty.RowErrors and
	// writes the others.
	Dirty func(t *testing.T, mem memory.Allocator, schema *arrow.Schema) (b arrow.RecordBatch, bad []int)

	// NoConcurrentOpen says the writer supports only one BatchWriter at a
	// time (a single output file, say).
	NoConcurrentOpen bool
}
