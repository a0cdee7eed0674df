// Package memreader is an in-memory ferry.Reader for tests: it serves
// batches it is given, one split per batch (or per group of batches), with
// knobs to inject dirty rows, retryable and fatal errors, and slow reads.
//
// A pipeline unit test is a few lines long:
//
//	r := memreader.New(batches, nil)
//	w := memwriter.New(memwriter.NewTable(), nil)
//	sum, err := ferry.New(r, w, nil).Run(ctx)
package memreader

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
)

// Options are the knobs of a Reader. The zero value serves every batch once,
// one split per batch, as fast as it can.
type Options struct {
	// BatchesPerSplit groups consecutive batches into one split; 0 means 1.
	BatchesPerSplit int
	// Repeat serves the batches this many times over (as more splits),
	// without copying them: a large table in constant memory. 0 means 1.
	Repeat int
	// Delay is slept (honouring the context) before each batch.
	Delay time.Duration
	// OpenErr, when set, is called at every Read; a non-nil error fails
	// that Read. attempt counts the Reads of the split, from 1.
	OpenErr func(split string, attempt int) error
	// BatchErr, when set, is called before each batch of a split; a
	// non-nil error ends the split with that error. Wrap it with
	// ferry.Retryable to make it retryable.
	BatchErr func(split string, batch int) error
	// Dirty, when set, is called after each batch; the rows it returns are
	// reported through ferry.DirtyReporter as rows the reader skipped.
	Dirty func(split string, batch int) []dirty.RowError
	// Fault makes the reader break its contract on purpose, so that tests
	// can prove the conformance suite catches it. "" is a correct reader.
	Fault Fault
}

// A Fault is a deliberate contract breach, for testing test suites.
type Fault string

// The faults.
const (
	FaultDropRow      Fault = "drop-row"      // every batch loses its last row
	FaultDuplicateRow Fault = "duplicate-row" // every split's first batch comes twice
	FaultLeak         Fault = "leak"          // every batch returned is retained forever
	FaultIgnoreCancel Fault = "ignore-cancel" // reads go on after the context is cancelled
	FaultOverlap      Fault = "overlap"       // a split also reads the first batch of the next
	FaultPlannerOnly  Fault = "planner-only"  // only the Reader that planned a split can read it
)

// Reader serves batches from memory. It is safe for concurrent use.
type Reader struct {
	planned sync.Map // split IDs this Reader made (FaultPlannerOnly)
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	opts    Options

	mu       sync.Mutex
	attempts map[string]int

	active, maxActive atomic.Int64
	closed            atomic.Bool
}

var _ ferry.Reader = (*Reader)(nil)

// New returns a Reader over batches, which must share one schema and must
// not be empty. New retains the batches; Close releases them.
func New(batches []arrow.RecordBatch, opts *Options) *Reader {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BatchesPerSplit <= 0 {
		o.BatchesPerSplit = 1
	}
	if o.Repeat <= 0 {
		o.Repeat = 1
	}
	for _, b := range batches {
		b.Retain()
	}
	var schema *arrow.Schema
	if len(batches) > 0 {
		schema = batches[0].Schema()
	}
	return &Reader{schema: schema, batches: batches, opts: o, attempts: map[string]int{}}
}

// NewWithSchema returns an empty Reader with schema: no rows, one split.
func NewWithSchema(schema *arrow.Schema) *Reader {
	return &Reader{schema: schema, opts: Options{BatchesPerSplit: 1, Repeat: 1}, attempts: map[string]int{}}
}

type spec struct {
	First int `json:"first"` // index of the first batch, over all repeats
	Count int `json:"count"`
}

// Schema returns the batches' schema.
func (r *Reader) Schema(context.Context) (*arrow.Schema, error) {
	if r.schema == nil {
		return nil, fmt.Errorf("memreader: no batches and no schema")
	}
	return r.schema, nil
}

// Splits returns one split per BatchesPerSplit batches (over all repeats);
// hint is ignored.
func (r *Reader) Splits(context.Context, int) ([]ferry.Split, error) {
	total := len(r.batches) * r.opts.Repeat
	if total == 0 {
		sp, _ := json.Marshal(spec{})
		return []ferry.Split{{ID: "mem[empty]", Spec: sp}}, nil
	}
	var out []ferry.Split
	for first := 0; first < total; first += r.opts.BatchesPerSplit {
		n := min(r.opts.BatchesPerSplit, total-first)
		sp, _ := json.Marshal(spec{First: first, Count: n})
		out = append(out, ferry.Split{ID: fmt.Sprintf("mem[%d,%d)", first, first+n), Spec: sp})
	}
	for _, s := range out {
		r.planned.Store(s.ID, true)
	}
	return out, nil
}

// Read serves the batches of s.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	if r.closed.Load() {
		return nil, fmt.Errorf("memreader: read after Close")
	}
	var sp spec
	if err := json.Unmarshal(s.Spec, &sp); err != nil {
		return nil, fmt.Errorf("memreader: split %s: %w", s.ID, err)
	}
	if _, ok := r.planned.Load(s.ID); !ok && r.opts.Fault == FaultPlannerOnly {
		return nil, fmt.Errorf("memreader: split %s was not planned by this reader", s.ID)
	}
	if r.opts.Fault == FaultOverlap && sp.Count > 0 && sp.First+sp.Count < len(r.batches)*r.opts.Repeat {
		sp.Count++
	}
	r.mu.Lock()
	r.attempts[s.ID]++
	attempt := r.attempts[s.ID]
	r.mu.Unlock()
	if r.opts.OpenErr != nil {
		if err := r.opts.OpenErr(s.ID, attempt); err != nil {
			return nil, err
		}
	}
	n := r.active.Add(1)
	for m := r.maxActive.Load(); n > m && !r.maxActive.CompareAndSwap(m, n); m = r.maxActive.Load() {
	}
	return &recordReader{r: r, ctx: ctx, id: s.ID, sp: sp, refs: 1}, nil
}

// MaxConcurrent returns the most splits that were being read at once.
func (r *Reader) MaxConcurrent() int { return int(r.maxActive.Load()) }

// Attempts returns how many times the split was opened.
func (r *Reader) Attempts(split string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts[split]
}

// Close releases the batches.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	for _, b := range r.batches {
		b.Release()
	}
	return nil
}

type recordReader struct {
	r     *Reader
	ctx   context.Context
	id    string
	sp    spec
	i     int
	cur   arrow.RecordBatch
	err   error
	refs  int64
	dirty []dirty.RowError
	done  bool

	owned      arrow.RecordBatch // a slice made for a fault, released on Next
	duplicated bool
}

var (
	_ array.RecordReader  = (*recordReader)(nil)
	_ ferry.DirtyReporter = (*recordReader)(nil)
)

func (rr *recordReader) Retain() { atomic.AddInt64(&rr.refs, 1) }

func (rr *recordReader) Release() {
	if atomic.AddInt64(&rr.refs, -1) == 0 {
		rr.finish()
	}
}

func (rr *recordReader) finish() {
	if rr.owned != nil {
		rr.owned.Release()
		rr.owned = nil
	}
	if !rr.done {
		rr.done = true
		rr.r.active.Add(-1)
	}
}

func (rr *recordReader) Schema() *arrow.Schema { return rr.r.schema }

func (rr *recordReader) Next() bool {
	if rr.err != nil || rr.i >= rr.sp.Count {
		rr.finish()
		return false
	}
	if rr.owned != nil {
		rr.owned.Release()
		rr.owned = nil
	}
	fault := rr.r.opts.Fault
	if err := rr.ctx.Err(); err != nil && fault != FaultIgnoreCancel {
		rr.err = fmt.Errorf("memreader: split %s: %w", rr.id, err)
		return false
	}
	if d := rr.r.opts.Delay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-rr.ctx.Done():
			t.Stop()
			rr.err = fmt.Errorf("memreader: split %s: %w", rr.id, rr.ctx.Err())
			return false
		}
	}
	if f := rr.r.opts.BatchErr; f != nil {
		if err := f(rr.id, rr.i); err != nil {
			rr.err = err
			return false
		}
	}
	rr.cur = rr.r.batches[(rr.sp.First+rr.i)%len(rr.r.batches)]
	if f := rr.r.opts.Dirty; f != nil {
		rr.dirty = append(rr.dirty, f(rr.id, rr.i)...)
	}
	switch fault {
	case FaultDropRow:
		if n := rr.cur.NumRows(); n > 0 {
			rr.owned = rr.cur.NewSlice(0, n-1)
			rr.cur = rr.owned
		}
	case FaultDuplicateRow:
		if rr.i == 0 && !rr.duplicated {
			rr.duplicated = true
			return true // the same batch again next time
		}
	case FaultLeak:
		rr.cur.Retain()
	}
	rr.i++
	return true
}

func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (rr *recordReader) Record() arrow.RecordBatch { return rr.cur }

func (rr *recordReader) Err() error { return rr.err }

func (rr *recordReader) TakeDirty() []dirty.RowError {
	d := rr.dirty
	rr.dirty = nil
	return d
}
