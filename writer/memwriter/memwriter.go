// Package memwriter is an in-memory ferry.Writer for tests. Rows are staged
// per run and land in a Table at Commit, according to the write mode; Abort
// drops them. Knobs inject dirty rows, retryable and fatal errors, and slow
// writes.
package memwriter

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/arrowval"
)

// Table is the committed content of an in-memory destination. It outlives
// the Writers that write into it, so a test can run several pipelines
// against one Table.
type Table struct {
	mu     sync.Mutex
	rows   []arrow.RecordBatch // committed slices, in order
	stages map[string]*stage   // staged runs (StagedWriter), by run ID
}

// NewTable returns an empty Table.
func NewTable() *Table { return &Table{} }

// NumRows returns the number of committed rows.
func (t *Table) NumRows() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, b := range t.rows {
		n += b.NumRows()
	}
	return n
}

// Batch returns the committed rows as one batch of schema (nil means the
// committed batches' own schema), allocated from mem (nil: the default
// allocator). The caller releases it.
func (t *Table) Batch(mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if schema == nil {
		if len(t.rows) == 0 {
			return nil, fmt.Errorf("memwriter: empty table has no schema")
		}
		schema = t.rows[0].Schema()
	}
	if len(t.rows) == 0 {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		return b.NewRecordBatch(), nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, b := range t.rows {
		n += b.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(t.rows))
		for i, b := range t.rows {
			parts[i] = b.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			return nil, fmt.Errorf("memwriter: %w", err)
		}
		cols[c] = a
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	return out, nil
}

// Release drops the committed rows and every stage.
func (t *Table) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.rows {
		b.Release()
	}
	t.rows = nil
	for _, st := range t.stages {
		st.drop()
	}
	t.stages = nil
}

// Stages returns the IDs of the runs staged in t that are neither committed
// nor aborted (what a crash would leave behind).
func (t *Table) Stages() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for id, st := range t.stages {
		if !st.committed && !st.aborted {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Options are the knobs of a Writer. The zero value appends every row.
type Options struct {
	// Mode is the write mode: insert (default), overwrite, upsert or
	// replace (the same as upsert here).
	Mode ferry.WriteMode
	// Key names the key columns for upsert; nil means the first column.
	Key []string
	// Delay is slept (honouring the context) in every Write.
	Delay time.Duration
	// Reject, when set, is asked about every row; a non-nil error makes the
	// row dirty with that error.
	Reject func(b arrow.RecordBatch, row int) error
	// WriteErr, when set, is called before every Write with a count of the
	// writer's Write calls from 1; a non-nil error fails that Write with
	// nothing applied (wrap it with ferry.Retryable to make it retryable).
	WriteErr func(call int64) error
	// Discard counts rows without keeping them (for benchmarks): Commit
	// then leaves the Table unchanged.
	Discard bool
	// PrepareErr and CommitErr, when set, fail Prepare and Commit.
	PrepareErr, CommitErr error
	// Fault makes the writer break its contract on purpose, so that tests
	// can prove the conformance suite catches it. "" is a correct writer.
	Fault Fault
	// Allocator is what FaultLeak leaks from; nil means the default.
	Allocator memory.Allocator
}

// A Fault is a deliberate contract breach, for testing test suites.
type Fault string

// The faults.
const (
	FaultDropRow       Fault = "drop-row"        // every batch loses its last row, silently
	FaultDuplicateRow  Fault = "duplicate-row"   // every batch's first row is written twice
	FaultCommitOnAbort Fault = "commit-on-abort" // Abort applies the staged rows
	FaultLeak          Fault = "leak"            // every written batch is retained forever
	FaultIgnoreCancel  Fault = "ignore-cancel"   // Write succeeds on a cancelled context
	FaultReplaceAdds   Fault = "replace-adds"    // a split copied again adds its rows (staged)
	FaultDiscardKeeps  Fault = "discard-keeps"   // Discard marks the attempt done (staged)
	FaultMarkOnOpen    Fault = "mark-on-open"    // OpenSplit marks the split done at once (staged)
	FaultCommitTwice   Fault = "commit-twice"    // a second Commit applies the rows again (staged)
	FaultEarlyVisible  Fault = "early-visible"   // rows are visible before Commit
)

// Writer writes into a Table.
type Writer struct {
	t    *Table
	opts Options

	mu        sync.Mutex
	staged    []arrow.RecordBatch
	schema    *arrow.Schema
	calls     atomic.Int64
	discarded atomic.Int64
	open      atomic.Int64
	maxOpen   atomic.Int64

	prepared, committed, aborted, closed bool
	cause                                error
}

var _ ferry.Writer = (*Writer)(nil)

// New returns a Writer into t.
func New(t *Table, opts *Options) *Writer {
	var o Options
	if opts != nil {
		o = *opts
	}
	return &Writer{t: t, opts: o}
}

// Prepare checks the mode and remembers the schema.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	switch w.opts.Mode {
	case "", ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace:
	default:
		return fmt.Errorf("memwriter: write mode %q not supported", w.opts.Mode)
	}
	for _, k := range w.opts.Key {
		if len(schema.FieldIndices(k)) == 0 {
			return fmt.Errorf("memwriter: key column %q not in schema", k)
		}
	}
	if w.opts.PrepareErr != nil {
		return w.opts.PrepareErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.schema = schema
	w.prepared = true
	return nil
}

// Open returns a BatchWriter.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	if !w.prepared {
		return nil, fmt.Errorf("memwriter: Open before Prepare")
	}
	n := w.open.Add(1)
	for m := w.maxOpen.Load(); n > m && !w.maxOpen.CompareAndSwap(m, n); m = w.maxOpen.Load() {
	}
	return &batchWriter{w: w}, nil
}

// Commit applies the staged rows to the Table according to the mode.
func (w *Writer) Commit(ctx context.Context) error {
	if w.opts.CommitErr != nil {
		return w.opts.CommitErr
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.committed || w.aborted {
		return fmt.Errorf("memwriter: Commit after Commit or Abort")
	}
	w.committed = true
	staged := w.staged
	w.staged = nil
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	w.t.apply(w, staged)
	return nil
}

// apply lands staged rows in t according to w's mode; t.mu is held. It
// takes over the references of staged.
func (t *Table) apply(w *Writer, staged []arrow.RecordBatch) {
	switch w.opts.Mode {
	case ferry.ModeOverwrite:
		for _, b := range t.rows {
			b.Release()
		}
		t.rows = staged
	case ferry.ModeUpsert, ferry.ModeReplace:
		t.rows = upsert(t.rows, staged, w.keyIndexes())
	default:
		t.rows = append(t.rows, staged...)
	}
}

func (w *Writer) keyIndexes() []int {
	if len(w.opts.Key) == 0 {
		return []int{0}
	}
	var idx []int
	for _, k := range w.opts.Key {
		idx = append(idx, w.schema.FieldIndices(k)[0])
	}
	return idx
}

// upsert merges staged rows into old ones: the last row for a key wins and
// takes the key's first position.
func upsert(old, staged []arrow.RecordBatch, key []int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	slots := map[string]int{}
	add := func(b arrow.RecordBatch) {
		for i := 0; i < int(b.NumRows()); i++ {
			k := rowKey(b, i, key)
			row := b.NewSlice(int64(i), int64(i+1))
			if s, ok := slots[k]; ok {
				out[s].Release()
				out[s] = row
				continue
			}
			slots[k] = len(out)
			out = append(out, row)
		}
		b.Release()
	}
	for _, b := range old {
		add(b)
	}
	for _, b := range staged {
		add(b)
	}
	return out
}

func rowKey(b arrow.RecordBatch, i int, key []int) string {
	var k []byte
	for _, c := range key {
		k = fmt.Appendf(k, "%v\x00", arrowval.Value(b.Column(c), i))
	}
	return string(k)
}

// Abort drops the staged rows.
func (w *Writer) Abort(ctx context.Context, cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	w.cause = cause
	if w.opts.Fault == FaultCommitOnAbort {
		w.t.mu.Lock()
		w.t.apply(w, w.staged)
		w.t.mu.Unlock()
		w.staged = nil
		return nil
	}
	for _, b := range w.staged {
		b.Release()
	}
	w.staged = nil
	return nil
}

// Close releases what is still staged.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, b := range w.staged {
		b.Release()
	}
	w.staged = nil
	return nil
}

// State reports what happened to the writer: whether it was committed,
// aborted (and why) and closed.
func (w *Writer) State() (committed, aborted, closed bool, cause error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committed, w.aborted, w.closed, w.cause
}

// Discarded returns how many rows a Discard writer counted.
func (w *Writer) Discarded() int64 { return w.discarded.Load() }

// MaxOpen returns the most BatchWriters that were open at once.
func (w *Writer) MaxOpen() int { return int(w.maxOpen.Load()) }

type batchWriter struct {
	w      *Writer
	closed bool
	sink   *[]arrow.RecordBatch // where accepted rows go; nil: the writer's stage
}

func (bw *batchWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	w := bw.w
	if bw.closed {
		return fmt.Errorf("memwriter: Write after Close")
	}
	if !w.schema.Equal(b.Schema()) {
		return fmt.Errorf("memwriter: batch schema %s does not match %s", b.Schema(), w.schema)
	}
	call := w.calls.Add(1)
	if f := w.opts.WriteErr; f != nil {
		if err := f(call); err != nil {
			return err
		}
	}
	if d := w.opts.Delay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			if w.opts.Fault != FaultIgnoreCancel {
				return ctx.Err()
			}
		}
	}
	if err := ctx.Err(); err != nil && w.opts.Fault != FaultIgnoreCancel {
		return err
	}
	switch w.opts.Fault {
	case FaultDropRow:
		if b.NumRows() > 0 {
			b = b.NewSlice(0, b.NumRows()-1)
			defer b.Release()
		}
	case FaultDuplicateRow:
		if b.NumRows() > 0 {
			first := b.NewSlice(0, 1)
			defer first.Release()
			if err := bw.store([]arrow.RecordBatch{retained(first)}); err != nil {
				return err
			}
		}
	case FaultLeak:
		mem := w.opts.Allocator
		if mem == nil {
			mem = memory.DefaultAllocator
		}
		memory.NewResizableBuffer(mem).Resize(64) // never released
	}
	var bad []dirty.RowError
	var keep []arrow.RecordBatch
	if w.opts.Discard && w.opts.Reject == nil {
		w.discarded.Add(b.NumRows())
		return nil
	}
	if f := w.opts.Reject; f != nil {
		lo := 0
		for i := 0; i < int(b.NumRows()); i++ {
			if err := f(b, i); err != nil {
				bad = append(bad, dirty.RowError{Row: int64(i), Err: err})
				if i > lo {
					keep = append(keep, b.NewSlice(int64(lo), int64(i)))
				}
				lo = i + 1
			}
		}
		if lo < int(b.NumRows()) {
			keep = append(keep, b.NewSlice(int64(lo), b.NumRows()))
		}
	} else {
		b.Retain()
		keep = []arrow.RecordBatch{b}
	}
	if err := bw.store(keep); err != nil {
		return err
	}
	if len(bad) > 0 {
		return &dirty.RowErrors{Rows: bad}
	}
	return nil
}

func (bw *batchWriter) Close(ctx context.Context) error {
	if !bw.closed {
		bw.closed = true
		bw.w.open.Add(-1)
	}
	return nil
}

// store keeps accepted rows: in the attempt's sink, in the writer's stage,
// or (FaultEarlyVisible) straight in the Table.
func (bw *batchWriter) store(keep []arrow.RecordBatch) error {
	w := bw.w
	switch {
	case w.opts.Fault == FaultEarlyVisible:
		w.t.mu.Lock()
		w.t.rows = append(w.t.rows, keep...)
		w.t.mu.Unlock()
	case bw.sink != nil:
		*bw.sink = append(*bw.sink, keep...)
	default:
		w.mu.Lock()
		w.staged = append(w.staged, keep...)
		w.mu.Unlock()
	}
	return nil
}

func retained(b arrow.RecordBatch) arrow.RecordBatch {
	b.Retain()
	return b
}
