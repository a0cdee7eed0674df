package memwriter

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// stage is a staged run kept in the Table, so that several Writers (stand-ins
// for several processes) share it the way they would share a database.
type stage struct {
	schema    *arrow.Schema
	splits    map[string][]arrow.RecordBatch // marked attempts
	order     []string                       // splits in the order they were first marked
	marks     map[string]int64
	committed bool
	aborted   bool
}

// StagedWriter is a Writer that offers the staged protocol
// (ferry.StageWriter): its stage lives in the Table, keyed by the run ID, so
// two StagedWriters on one Table behave like two processes writing one run
// into one database.
type StagedWriter struct {
	*Writer
	runID string
}

var _ ferry.StageWriter = (*StagedWriter)(nil)

// NewStaged returns a StagedWriter into t.
func NewStaged(t *Table, opts *Options) *StagedWriter {
	return &StagedWriter{Writer: New(t, opts)}
}

// PrepareStage creates the run's stage in the Table, or attaches to it.
func (w *StagedWriter) PrepareStage(ctx context.Context, runID string, schema *arrow.Schema) error {
	if err := ferry.CheckRunID(runID); err != nil {
		return err
	}
	if err := w.Writer.Prepare(ctx, schema); err != nil {
		return err
	}
	w.runID = runID
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stages == nil {
		t.stages = map[string]*stage{}
	}
	if st, ok := t.stages[runID]; ok {
		if !st.schema.Equal(schema) {
			return fmt.Errorf("memwriter: run %s was staged with schema %s, not %s", runID, st.schema, schema)
		}
		return nil
	}
	t.stages[runID] = &stage{schema: schema, splits: map[string][]arrow.RecordBatch{}, marks: map[string]int64{}}
	return nil
}

// Prepare is PrepareStage under a new run ID, for callers of the plain
// Writer protocol.
func (w *StagedWriter) Prepare(ctx context.Context, schema *arrow.Schema) error {
	return w.PrepareStage(ctx, ferry.NewRunID(), schema)
}

func (w *StagedWriter) stage() (*stage, error) {
	st, ok := w.t.stages[w.runID]
	if !ok || w.runID == "" {
		return nil, fmt.Errorf("memwriter: no stage for run %q (PrepareStage first)", w.runID)
	}
	return st, nil
}

// Open is not offered: a staged run is written split by split.
func (w *StagedWriter) Open(ctx context.Context) (ferry.BatchWriter, error) {
	return nil, fmt.Errorf("memwriter: a StagedWriter writes through OpenSplit")
}

// OpenSplit returns the writer of one attempt at split.
func (w *StagedWriter) OpenSplit(ctx context.Context, split string) (ferry.SplitWriter, error) {
	if w.runID == "" {
		return nil, fmt.Errorf("memwriter: OpenSplit before PrepareStage")
	}
	w.t.mu.Lock()
	if w.opts.Fault == FaultMarkOnOpen {
		if st, err := w.stage(); err == nil {
			st.marks[split] = 0
			if !slices.Contains(st.order, split) {
				st.order = append(st.order, split)
			}
		}
	}
	w.t.mu.Unlock()
	n := w.open.Add(1)
	for m := w.maxOpen.Load(); n > m && !w.maxOpen.CompareAndSwap(m, n); m = w.maxOpen.Load() {
	}
	return &splitWriter{w: w, split: split, bw: batchWriter{w: w.Writer, sink: new([]arrow.RecordBatch)}}, nil
}

// Status reports the stage's marks, read from the Table.
func (w *StagedWriter) Status(ctx context.Context) (ferry.StageStatus, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	st, err := w.stage()
	if err != nil {
		return ferry.StageStatus{}, err
	}
	out := ferry.StageStatus{Committed: st.committed, Aborted: st.aborted}
	for _, id := range st.order {
		if rows, ok := st.marks[id]; ok {
			out.Done = append(out.Done, ferry.SplitMark{Split: id, Rows: rows})
		}
	}
	return out, nil
}

// Commit applies the marked splits to the Table, once.
func (w *StagedWriter) Commit(ctx context.Context) error {
	if w.opts.CommitErr != nil {
		return w.opts.CommitErr
	}
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := w.stage()
	if err != nil {
		return err
	}
	if st.aborted {
		return fmt.Errorf("memwriter: run %s was aborted", w.runID)
	}
	if st.committed && w.opts.Fault != FaultCommitTwice {
		return nil
	}
	var rows []arrow.RecordBatch
	for _, id := range st.order {
		for _, b := range st.splits[id] {
			b.Retain()
			rows = append(rows, b)
		}
	}
	t.apply(w.Writer, rows)
	st.committed = true
	w.mu.Lock()
	w.committed = true
	w.mu.Unlock()
	return nil
}

// Abort drops the run's stage; the Table keeps its rows.
func (w *StagedWriter) Abort(ctx context.Context, cause error) error {
	w.mu.Lock()
	w.aborted, w.cause = true, cause
	w.mu.Unlock()
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := w.stage()
	if err != nil {
		return nil // nothing staged
	}
	if st.committed {
		return fmt.Errorf("memwriter: run %s is committed; it cannot be aborted", w.runID)
	}
	if w.opts.Fault == FaultCommitOnAbort {
		var rows []arrow.RecordBatch
		for _, id := range st.order {
			rows = append(rows, st.splits[id]...)
		}
		st.splits = nil
		t.apply(w.Writer, rows)
		st.aborted = true
		return nil
	}
	st.drop()
	st.aborted = true
	return nil
}

func (st *stage) drop() {
	for _, bs := range st.splits {
		for _, b := range bs {
			b.Release()
		}
	}
	st.splits = map[string][]arrow.RecordBatch{}
	st.marks = map[string]int64{}
	st.order = nil
}

// splitWriter is one attempt at one split.
type splitWriter struct {
	w     *StagedWriter
	split string
	bw    batchWriter
	ended bool
}

func (sw *splitWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	return sw.bw.Write(ctx, b)
}

// Close marks the split done with the attempt's rows, replacing an earlier
// attempt.
func (sw *splitWriter) Close(ctx context.Context) error {
	if sw.ended {
		return fmt.Errorf("memwriter: split %s: Close after Close or Discard", sw.split)
	}
	sw.ended = true
	sw.w.open.Add(-1)
	rows := *sw.bw.sink
	var n int64
	for _, b := range rows {
		n += b.NumRows()
	}
	t := sw.w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := sw.w.stage()
	if err != nil {
		release(rows)
		return err
	}
	if st.committed || st.aborted {
		release(rows)
		return fmt.Errorf("memwriter: split %s: run %s is already committed or aborted", sw.split, sw.w.runID)
	}
	if old, ok := st.splits[sw.split]; ok && sw.w.opts.Fault != FaultReplaceAdds {
		release(old)
	} else if ok {
		rows = append(old, rows...)
		n += st.marks[sw.split]
	}
	st.splits[sw.split] = rows
	st.marks[sw.split] = n
	if !slices.Contains(st.order, sw.split) {
		st.order = append(st.order, sw.split)
	}
	return nil
}

// Discard drops the attempt.
func (sw *splitWriter) Discard(ctx context.Context) error {
	if sw.ended {
		return nil
	}
	sw.ended = true
	sw.w.open.Add(-1)
	if sw.w.opts.Fault == FaultDiscardKeeps {
		return sw.keep()
	}
	release(*sw.bw.sink)
	*sw.bw.sink = nil
	return nil
}

func (sw *splitWriter) keep() error {
	sw.ended = false
	sw.w.open.Add(1)
	return sw.Close(context.Background())
}

func release(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
