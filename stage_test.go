package ferry_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// world is a source of n batches of rows rows and one destination Table,
// from which any number of readers and staged writers are opened: each
// Pipeline over them stands in for one process.
type world struct {
	t   *testing.T
	mem *memory.CheckedAllocator
	in  []arrow.RecordBatch
	tbl *memwriter.Table
}

func newWorld(t *testing.T, n, rows int) *world {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	w := &world{t: t, mem: mem, in: seqBatches(t, mem, n, rows), tbl: memwriter.NewTable()}
	t.Cleanup(func() {
		w.tbl.Release()
		releaseAll(w.in)
		mem.AssertSize(t, 0)
	})
	return w
}

func (w *world) reader(o *memreader.Options) *memreader.Reader { return memreader.New(w.in, o) }

func (w *world) writer(o *memwriter.Options) *memwriter.StagedWriter {
	return memwriter.NewStaged(w.tbl, o)
}

func (w *world) pipeline(o *ferry.Options, ro *memreader.Options, wo *memwriter.Options) *ferry.Pipeline {
	if o == nil {
		o = &ferry.Options{}
	}
	o.Allocator = w.mem
	return ferry.New(w.reader(ro), w.writer(wo), o)
}

// exact checks that the Table holds ids 1..n once each.
func (w *world) exact(n int) {
	t := w.t
	t.Helper()
	got, err := w.tbl.Batch(nil, smallSchema)
	require.NoError(t, err)
	defer got.Release()
	ids := got.Column(0).(*array.Int64)
	seen := map[int64]int{}
	for i := 0; i < ids.Len(); i++ {
		seen[ids.Value(i)]++
	}
	for id, c := range seen {
		require.Equal(t, 1, c, "id %d arrived %d times", id, c)
	}
	require.Len(t, seen, n)
	for id := int64(1); id <= int64(n); id++ {
		if seen[id] != 1 {
			t.Fatalf("id %d missing", id)
		}
	}
}

func TestStagedRunCopiesEveryRowOnce(t *testing.T) {
	w := newWorld(t, 8, 500)
	var mu sync.Mutex
	kinds := map[ferry.EventKind]int{}
	obs := ferry.ObserverFunc(func(e ferry.Event) {
		mu.Lock()
		kinds[e.Kind]++
		mu.Unlock()
	})
	sum, err := w.pipeline(&ferry.Options{Concurrency: 3, RunID: "run_a", Observer: obs}, nil, nil).Run(context.Background())
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.Equal(t, "run_a", sum.RunID)
	require.EqualValues(t, 4000, sum.RowsWritten)
	w.exact(4000)
	require.Empty(t, w.tbl.Stages())
	require.Equal(t, 1, kinds[ferry.EventPlanned])
	require.Equal(t, 8, kinds[ferry.EventSplitStarted])
	require.Equal(t, 8, kinds[ferry.EventSplitFinished])
	require.Equal(t, 8, kinds[ferry.EventBatchWritten])
	require.Equal(t, 1, kinds[ferry.EventCommitted])
	require.Zero(t, kinds[ferry.EventAborted])
}

// Three "processes" share one run: the first plans, two others copy
// disjoint splits (one split twice), a fourth finishes.
func TestStepsAcrossProcesses(t *testing.T) {
	w := newWorld(t, 6, 100)
	ctx := context.Background()

	planner := w.pipeline(&ferry.Options{RunID: "shared_run"}, nil, nil)
	pl, err := planner.Plan(ctx)
	require.NoError(t, err)
	require.True(t, pl.Staged)
	require.NoError(t, planner.Close())
	// The plan travels as JSON.
	raw, err := json.Marshal(pl)
	require.NoError(t, err)
	var shipped ferry.Plan
	require.NoError(t, json.Unmarshal(raw, &shipped))

	var results []ferry.SplitSummary
	for _, part := range [][]string{shipped.SplitIDs()[:3], shipped.SplitIDs()[2:]} {
		p := w.pipeline(nil, nil, nil)
		for _, id := range part {
			res, err := p.CopySplit(ctx, &shipped, id)
			require.NoError(t, err)
			require.True(t, res.Done)
			require.EqualValues(t, 100, res.RowsWritten)
			results = append(results, res)
		}
		require.NoError(t, p.Close())
	}
	require.Zero(t, w.tbl.NumRows(), "nothing is visible before Finish")

	fin := w.pipeline(nil, nil, nil)
	sum, err := fin.Finish(ctx, &shipped, results)
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.EqualValues(t, 600, sum.RowsWritten)
	require.Equal(t, 6, sum.SplitsDone)
	require.NoError(t, fin.Close())
	w.exact(600)

	// Finish is idempotent, from any process.
	again := w.pipeline(nil, nil, nil)
	sum, err = again.Finish(ctx, &shipped, nil)
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.NoError(t, again.Close())
	w.exact(600)
}

func TestFinishRefusesAnIncompleteRun(t *testing.T) {
	w := newWorld(t, 4, 10)
	ctx := context.Background()
	p := w.pipeline(nil, nil, nil)
	pl, err := p.Plan(ctx)
	require.NoError(t, err)
	_, err = p.CopySplit(ctx, pl, pl.Splits[0].ID)
	require.NoError(t, err)
	_, err = p.Finish(ctx, pl, nil)
	require.ErrorIs(t, err, ferry.ErrIncomplete)
	require.ErrorContains(t, err, "3 of 4 not marked")
	require.Zero(t, w.tbl.NumRows())
	require.Equal(t, []string{pl.RunID}, w.tbl.Stages(), "the run stays resumable")
	require.NoError(t, p.Abort(ctx, pl, errors.New("test over")))
	require.Empty(t, w.tbl.Stages())
	require.NoError(t, p.Close())
}

func TestCopySplitNeedsAStageWriterElsewhere(t *testing.T) {
	w := newWorld(t, 2, 10)
	ctx := context.Background()
	p := w.pipeline(nil, nil, nil)
	pl, err := p.Plan(ctx)
	require.NoError(t, err)
	plain := ferry.New(w.reader(nil), memwriter.New(w.tbl, nil), nil)
	_, err = plain.CopySplit(ctx, pl, pl.Splits[0].ID)
	require.ErrorIs(t, err, ferry.ErrNotStaged)
	require.NoError(t, plain.Close())
	_, err = p.CopySplit(ctx, pl, "no such split")
	require.ErrorContains(t, err, `has no split "no such split"`)
	require.NoError(t, p.Abort(ctx, pl, errors.New("done")))
	require.NoError(t, p.Close())
}

func TestStagedSplitRetriedAfterRowsWereWritten(t *testing.T) {
	// A retryable failure in the middle of a split: the attempt is
	// discarded and the split copied again, so no row arrives twice.
	w := newWorld(t, 6, 100)
	var calls int
	var mu sync.Mutex
	wo := &memwriter.Options{WriteErr: func(call int64) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 2 {
			return ferry.Retryable(errors.New("connection reset"))
		}
		return nil
	}}
	// One split of 3 batches of 100 rows, sliced into batches of 100.
	sum, err := w.pipeline(&ferry.Options{Concurrency: 1, Retry: ferry.RetryPolicy{MaxAttempts: 2, InitialBackoff: 1}}, &memreader.Options{BatchesPerSplit: 3}, wo).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, sum.Retries)
	require.EqualValues(t, 600, sum.RowsWritten, "the discarded attempt is not counted")
	require.EqualValues(t, 600, sum.RowsRead)
	w.exact(600)
}

func TestCheckpointResumeSkipsDoneSplits(t *testing.T) {
	w := newWorld(t, 10, 50)
	dir := t.TempDir()
	ctx := context.Background()
	// The first run fails for good on split 7's first batch: splits before
	// it are done and marked.
	ro := &memreader.Options{BatchErr: func(split string, batch int) error {
		if split == "mem[6,7)" {
			return errors.New("source went away")
		}
		return nil
	}}
	origin := json.RawMessage(`{"from":"mem://"}`)
	sum, err := w.pipeline(&ferry.Options{Concurrency: 1, Checkpoint: dir, CheckpointOrigin: origin}, ro, nil).Run(ctx)
	require.ErrorContains(t, err, "source went away")
	require.ErrorContains(t, err, "resume")
	require.False(t, sum.Committed)
	require.Zero(t, w.tbl.NumRows(), "the destination keeps its old rows")
	runID := sum.RunID
	require.Equal(t, []string{runID}, w.tbl.Stages())

	info, err := ferry.ReadCheckpoint(dir)
	require.NoError(t, err)
	require.Equal(t, runID, info.RunID)
	require.Equal(t, "failed", info.Status)
	require.JSONEq(t, string(origin), string(info.Origin))
	require.Len(t, info.Splits, 6)

	// A second Run into the same directory is refused.
	_, err = w.pipeline(&ferry.Options{Checkpoint: dir}, nil, nil).Run(ctx)
	require.ErrorContains(t, err, "already holds run "+runID)

	sum, err = ferry.Resume(ctx, dir, w.reader(nil), w.writer(nil), &ferry.Options{Allocator: w.mem, Concurrency: 2})
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.True(t, sum.Resumed)
	require.Equal(t, runID, sum.RunID)
	require.Equal(t, 6, sum.SplitsSkipped)
	require.EqualValues(t, 300, sum.RowsSkipped)
	require.EqualValues(t, 500, sum.RowsWritten)
	require.Equal(t, 10, sum.SplitsDone)
	w.exact(500)
	require.Empty(t, w.tbl.Stages())

	// Resuming a committed run does nothing.
	sum, err = ferry.Resume(ctx, dir, w.reader(nil), w.writer(nil), nil)
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.Contains(t, sum.Notes[0], "already committed")
	w.exact(500)
}

// outcomeUnknown wraps a StagedWriter whose Commit happens but reports its
// connection lost.
type outcomeUnknown struct{ *memwriter.StagedWriter }

func (o outcomeUnknown) Commit(ctx context.Context) error {
	if err := o.StagedWriter.Commit(ctx); err != nil {
		return err
	}
	return ferry.OutcomeUnknown(errors.New("connection lost after COMMIT"))
}

func TestOutcomeUnknownCommitResolvedFromStatus(t *testing.T) {
	w := newWorld(t, 3, 10)
	p := ferry.New(w.reader(nil), outcomeUnknown{w.writer(nil)}, &ferry.Options{Allocator: w.mem})
	sum, err := p.Run(context.Background())
	require.NoError(t, err)
	require.True(t, sum.Committed)
	w.exact(30)
	require.Equal(t, ferry.ClassOutcomeUnknown, ferry.Classify(ferry.OutcomeUnknown(errors.New("x"))))
}

func TestResumeWithAWriterThatCannotStage(t *testing.T) {
	w := newWorld(t, 4, 10)
	dir := t.TempDir()
	ctx := context.Background()
	ro := &memreader.Options{BatchErr: func(split string, batch int) error {
		if split == "mem[2,3)" {
			return errors.New("boom")
		}
		return nil
	}}
	_, err := ferry.New(w.reader(ro), memwriter.New(w.tbl, nil), &ferry.Options{Allocator: w.mem, Concurrency: 1, Checkpoint: dir}).Run(ctx)
	require.ErrorContains(t, err, "boom")
	info, err := ferry.ReadCheckpoint(dir)
	require.NoError(t, err)
	require.Equal(t, "aborted", info.Status, "a writer without a stage is aborted")
	_, err = ferry.Resume(ctx, dir, w.reader(nil), memwriter.New(w.tbl, nil), nil)
	require.ErrorContains(t, err, "aborted; there is nothing to resume")
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ferry.ReadCheckpoint(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
	for name, body := range map[string]string{
		"corrupt": `{"format": "ferry-checkpoint", "vers`,
		"foreign": `{"format": "something-else", "version": 1}`,
		"future":  `{"format": "ferry-checkpoint", "version": 9}`,
		"no plan": `{"format": "ferry-checkpoint", "version": 1, "run_id": "x"}`,
	} {
		d := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(d, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, "checkpoint.json"), []byte(body), 0o600))
		_, err := ferry.ReadCheckpoint(d)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), "checkpoint.json", name)
	}
}

// A retryable Transform error is retried for that batch; Close is called.
type flakyTransform struct {
	calls, closes int
}

func (f *flakyTransform) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) { return in, nil }

func (f *flakyTransform) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	f.calls++
	if f.calls == 1 {
		return nil, ferry.Retryable(errors.New("HTTP 429"))
	}
	b.Retain()
	return b, nil
}

func (f *flakyTransform) Close() error { f.closes++; return nil }

func TestRetryableTransformAndClose(t *testing.T) {
	w := newWorld(t, 3, 10)
	tr := &flakyTransform{}
	sum, err := w.pipeline(&ferry.Options{Concurrency: 1, Transformers: []ferry.Transformer{tr}, Retry: ferry.RetryPolicy{InitialBackoff: 1}}, nil, nil).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, sum.Retries)
	require.Equal(t, 4, tr.calls)
	require.Equal(t, 1, tr.closes)
	w.exact(30)
}

func TestStagedDirtyPolicyAcrossSplits(t *testing.T) {
	w := newWorld(t, 4, 10)
	ro := &memreader.Options{Dirty: func(split string, batch int) []dirty.RowError {
		return []dirty.RowError{{Row: 1, Err: errors.New("bad")}}
	}}
	sum, err := w.pipeline(&ferry.Options{Dirty: dirty.TolerateRows(3)}, ro, nil).Run(context.Background())
	require.Error(t, err)
	var le *dirty.LimitError
	require.ErrorAs(t, err, &le)
	require.False(t, sum.Committed)
	require.Zero(t, w.tbl.NumRows())
	require.Empty(t, w.tbl.Stages())
}
