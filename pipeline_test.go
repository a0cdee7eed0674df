package ferry_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// fixture is a memreader over n batches of rows rows, a memwriter into a
// fresh table, and a checked allocator verified at the end of the test.
type fixture struct {
	mem *memory.CheckedAllocator
	r   *memreader.Reader
	tbl *memwriter.Table
	w   *memwriter.Writer
}

func newFixture(t *testing.T, n, rows int, ro *memreader.Options, wo *memwriter.Options) *fixture {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	in := seqBatches(t, mem, n, rows)
	f := &fixture{mem: mem, r: memreader.New(in, ro), tbl: memwriter.NewTable()}
	releaseAll(in)
	f.w = memwriter.New(f.tbl, wo)
	t.Cleanup(func() {
		f.tbl.Release()
		f.r.Close()
		mem.AssertSize(t, 0)
	})
	return f
}

func (f *fixture) run(t *testing.T, ctx context.Context, o *ferry.Options) (*ferry.Summary, error) {
	t.Helper()
	if o == nil {
		o = &ferry.Options{}
	}
	if o.Allocator == nil {
		o.Allocator = f.mem
	}
	return ferry.New(f.r, f.w, o).Run(ctx)
}

func TestPipelineCopiesEveryRow(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			f := newFixture(t, 10, 1000, nil, nil)
			sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: workers, BatchRows: 300})
			require.NoError(t, err)
			require.EqualValues(t, 10000, sum.RowsRead)
			require.EqualValues(t, 10000, sum.RowsWritten)
			require.EqualValues(t, 10000, f.tbl.NumRows())
			require.True(t, sum.Committed)
			require.Equal(t, 10, sum.SplitsDone)
			require.Len(t, sum.Splits, 10)
			require.Greater(t, sum.BytesWritten, int64(0))
			// Every id arrived exactly once.
			got, err := f.tbl.Batch(nil, nil)
			require.NoError(t, err)
			defer got.Release()
			seen := map[int64]bool{}
			ids := got.Column(0).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				require.False(t, seen[ids.Value(i)], "id %d twice", ids.Value(i))
				seen[ids.Value(i)] = true
			}
			require.Len(t, seen, 10000)
		})
	}
}

func TestConcurrencyRunsNSplitsAtOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("workers=%d", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, 12, 10, &memreader.Options{Delay: 50 * time.Millisecond}, nil)
				sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: n})
				require.NoError(t, err)
				require.Equal(t, n, f.r.MaxConcurrent(), "splits read at once")
				require.Equal(t, n, f.w.MaxOpen(), "batch writers open at once")
				// 12 splits of 50ms each on n workers take 12/n rounds (fake clock).
				require.Equal(t, time.Duration(12/n)*50*time.Millisecond, sum.Elapsed)
			})
		})
	}
}

func TestRateLimitRows(t *testing.T) {
	// Under synctest the limiter's clock is the bubble's fake clock, so the
	// run's duration is exact and repeatable: no wall-clock assertion.
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, 20, 500, nil, nil) // 10,000 rows
		sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 2, RowsPerSecond: 5000})
		require.NoError(t, err)
		require.EqualValues(t, 10000, sum.RowsWritten)
		// 10,000 rows at 5,000 rows/s: 2 s, less the initial burst of 0.1 s.
		rate := float64(sum.RowsWritten) / sum.Elapsed.Seconds()
		require.InDelta(t, 5000, rate, 500, "rows/s over %s", sum.Elapsed)
	})
}

func TestRateLimitBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, 20, 500, nil, nil)
		const limit = 100_000 // bytes/s
		sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 2, BytesPerSecond: limit})
		require.NoError(t, err)
		rate := float64(sum.BytesWritten) / sum.Elapsed.Seconds()
		require.Greater(t, sum.Elapsed, 1500*time.Millisecond)
		require.InDelta(t, limit, rate, limit/10, "bytes/s over %s (%d bytes)", sum.Elapsed, sum.BytesWritten)
	})
}

// rejectMultiplesOf makes every row whose id is a multiple of k dirty.
func rejectMultiplesOf(k int64) func(b arrow.RecordBatch, row int) error {
	return func(b arrow.RecordBatch, row int) error {
		if id := b.Column(0).(*array.Int64).Value(row); id%k == 0 {
			return fmt.Errorf("id %d is a multiple of %d", id, k)
		}
		return nil
	}
}

func TestDirtyPolicies(t *testing.T) {
	// 1,000 rows; ids that are multiples of 100 are dirty: 10 dirty rows.
	tests := []struct {
		name    string
		policy  dirty.Policy
		wantErr bool
	}{
		{"fail on first", dirty.FailOnFirst(), true},
		{"zero policy fails on first", dirty.Policy{}, true},
		{"tolerate 10", dirty.TolerateRows(10), false},
		{"tolerate 9", dirty.TolerateRows(9), true},
		{"ignore all", dirty.IgnoreAll(), false},
		{"ratio 2% ok", dirty.Policy{Mode: dirty.Ignore, MaxRatio: 0.02}, false},
		{"ratio 0.5% breaks", dirty.Policy{Mode: dirty.Ignore, MaxRatio: 0.005}, true},
		{"ratio checked at the end below the minimum", dirty.Policy{Mode: dirty.Ignore, MaxRatio: 0.005, MinRowsForRatio: 1 << 40}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 4, 250, nil, &memwriter.Options{Reject: rejectMultiplesOf(100)})
			path := filepath.Join(t.TempDir(), "dirty.jsonl")
			sink, err := dirty.CreateFileSink(path)
			require.NoError(t, err)
			var calls atomic.Int64
			cb := dirty.SinkFunc(func(ctx context.Context, r dirty.Record) error { calls.Add(1); return nil })
			sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 2, Dirty: tt.policy, DirtySinks: []dirty.Sink{sink, cb}})
			lines := countLines(t, path)
			if tt.wantErr {
				require.Error(t, err)
				var le *dirty.LimitError
				require.ErrorAs(t, err, &le)
				require.Contains(t, err.Error(), path, "the error says where dirty rows went")
				require.Contains(t, err.Error(), "dirty rows")
				require.False(t, sum.Committed)
				require.Zero(t, f.tbl.NumRows(), "a failed run commits nothing")
				require.GreaterOrEqual(t, lines, 1)
				return
			}
			require.NoError(t, err)
			require.True(t, sum.Committed)
			require.EqualValues(t, 10, sum.RowsDirty)
			require.EqualValues(t, 990, sum.RowsWritten)
			require.EqualValues(t, 990, f.tbl.NumRows())
			require.Equal(t, 10, lines)
			require.EqualValues(t, 10, calls.Load())
			require.Equal(t, []string{path}, sum.DirtyWrittenTo)
		})
	}
}

func TestDirtyRecordHasRowValuesAndReason(t *testing.T) {
	f := newFixture(t, 2, 150, nil, &memwriter.Options{Reject: rejectMultiplesOf(100)})
	var recs []dirty.Record
	sink := dirty.SinkFunc(func(ctx context.Context, r dirty.Record) error { recs = append(recs, r); return nil })
	_, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 1, Dirty: dirty.IgnoreAll(), DirtySinks: []dirty.Sink{sink}})
	require.NoError(t, err)
	require.Len(t, recs, 3) // ids 100, 200, 300
	r := recs[0]
	require.Equal(t, "mem[0,1)", r.Split)
	require.EqualValues(t, 99, r.Row, "row index within the split")
	require.Equal(t, "id 100 is a multiple of 100", r.Reason)
	require.Equal(t, int64(100), r.Values["id"])
	require.Equal(t, "name 100", r.Values["name"])
}

func TestReaderDirtyRows(t *testing.T) {
	ro := &memreader.Options{Dirty: func(split string, batch int) []dirty.RowError {
		return []dirty.RowError{{Row: 7, Column: "name", Value: "x\xff", Err: errors.New("invalid UTF-8")}}
	}}
	f := newFixture(t, 3, 10, ro, nil)
	sum, err := f.run(t, context.Background(), &ferry.Options{Dirty: dirty.TolerateRows(3), DirtySinks: []dirty.Sink{&dirty.LogSink{}}})
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.RowsDirty)
	require.EqualValues(t, 30, sum.RowsWritten)
	require.EqualValues(t, 33, sum.RowsRead, "rows the reader skipped were read")
	require.EqualValues(t, 3, sum.DirtyByReason["invalid UTF-8"])
}

func TestFatalWriteAbortsAndNeverCommits(t *testing.T) {
	boom := errors.New("disk on fire")
	f := newFixture(t, 10, 100, nil, &memwriter.Options{WriteErr: func(call int64) error {
		if call == 3 {
			return boom
		}
		return nil
	}})
	sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 2})
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), "split mem[")
	committed, aborted, closed, cause := f.w.State()
	require.False(t, committed)
	require.True(t, aborted)
	require.True(t, closed)
	require.ErrorIs(t, cause, boom)
	require.False(t, sum.Committed)
	require.Zero(t, f.tbl.NumRows())
	require.Equal(t, err.Error(), sum.Error)
}

func TestCommitFailureAborts(t *testing.T) {
	f := newFixture(t, 2, 10, nil, &memwriter.Options{CommitErr: errors.New("no space")})
	_, err := f.run(t, context.Background(), nil)
	require.ErrorContains(t, err, "commit: no space")
	_, aborted, _, _ := f.w.State()
	require.True(t, aborted)
}

func TestRetryableWriteIsRetried(t *testing.T) {
	var failed atomic.Bool
	f := newFixture(t, 4, 100, nil, &memwriter.Options{WriteErr: func(call int64) error {
		if call == 2 && !failed.Swap(true) {
			return ferry.Retryable(errors.New("connection reset"))
		}
		return nil
	}})
	sum, err := f.run(t, context.Background(), &ferry.Options{Retry: ferry.RetryPolicy{InitialBackoff: time.Millisecond}})
	require.NoError(t, err)
	require.EqualValues(t, 1, sum.Retries)
	require.EqualValues(t, 400, f.tbl.NumRows())
}

func TestRetryableWriteGivesUp(t *testing.T) {
	f := newFixture(t, 2, 10, nil, &memwriter.Options{WriteErr: func(int64) error {
		return ferry.Retryable(errors.New("deadlock"))
	}})
	sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 1, Retry: ferry.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond}})
	require.ErrorContains(t, err, "deadlock")
	require.EqualValues(t, 2, sum.Retries)
	require.False(t, sum.Committed)
}

func TestRetryableReadIsRetried(t *testing.T) {
	ro := &memreader.Options{OpenErr: func(split string, attempt int) error {
		if attempt == 1 {
			return ferry.Retryable(errors.New("too many connections"))
		}
		return nil
	}}
	f := newFixture(t, 3, 10, ro, nil)
	sum, err := f.run(t, context.Background(), &ferry.Options{Retry: ferry.RetryPolicy{InitialBackoff: time.Millisecond}})
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.Retries)
	require.Equal(t, 2, f.r.Attempts("mem[0,1)"))
	for _, s := range sum.Splits {
		require.Equal(t, 2, s.Attempts)
	}
}

func TestMidStreamReadErrorAfterWritesIsFatal(t *testing.T) {
	// A split that already delivered rows cannot be re-read without
	// duplicating them: a retryable error there fails the run.
	ro := &memreader.Options{BatchesPerSplit: 2, BatchErr: func(split string, batch int) error {
		if batch == 1 {
			return ferry.Retryable(errors.New("connection lost"))
		}
		return nil
	}}
	f := newFixture(t, 2, 10, ro, nil)
	_, err := f.run(t, context.Background(), &ferry.Options{Retry: ferry.RetryPolicy{InitialBackoff: time.Millisecond}})
	require.ErrorContains(t, err, "connection lost")
	require.Zero(t, f.tbl.NumRows())
}

func TestCancelStopsPromptlyWithoutLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newFixture(t, 1000, 10, &memreader.Options{Delay: 5 * time.Millisecond}, &memwriter.Options{Delay: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var progressed atomic.Bool
	opts := &ferry.Options{Concurrency: 2, ProgressInterval: 10 * time.Millisecond, Progress: func(p ferry.Progress) {
		if p.RowsWritten > 0 && progressed.CompareAndSwap(false, true) {
			cancel()
		}
	}}
	sum, err := f.run(t, ctx, opts)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, sum.SplitsDone, 1000)
	require.False(t, sum.Committed)
	_, aborted, closed, _ := f.w.State()
	require.True(t, aborted)
	require.True(t, closed)
	// Every goroutine the run started is gone (polled: they exit
	// asynchronously after Run returns at most).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines leaked")
}

func TestReadFailureNeverPreparesWriter(t *testing.T) {
	r := memreader.New(nil, nil) // no batches, no schema: Schema fails
	tbl := memwriter.NewTable()
	w := memwriter.New(tbl, &memwriter.Options{PrepareErr: errors.New("must not be called")})
	_, err := ferry.New(r, w, nil).Run(context.Background())
	require.ErrorContains(t, err, "read schema")
	require.NotContains(t, err.Error(), "must not be called")
	committed, aborted, closed, _ := w.State()
	require.False(t, committed)
	require.False(t, aborted, "nothing to abort: Prepare never ran")
	require.True(t, closed)
}

func TestPrepareFailureAborts(t *testing.T) {
	f := newFixture(t, 1, 1, nil, &memwriter.Options{PrepareErr: errors.New("no such table")})
	_, err := f.run(t, context.Background(), nil)
	require.ErrorContains(t, err, "prepare writer: no such table")
	_, aborted, _, _ := f.w.State()
	require.True(t, aborted)
}

func TestTransformerFilterAndDirty(t *testing.T) {
	// Keep even ids; report id 7 of each batch as dirty.
	filter := ferry.TransformFunc(func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		ids := b.Column(0).(*array.Int64)
		mask := array.NewBooleanBuilder(memory.DefaultAllocator)
		defer mask.Release()
		var bad []dirty.RowError
		for i := 0; i < ids.Len(); i++ {
			mask.Append(ids.Value(i)%2 == 0)
			if ids.Value(i)%10 == 7 {
				bad = append(bad, dirty.RowError{Row: int64(i), Column: "id", Err: errors.New("seven")})
			}
		}
		m := mask.NewArray()
		defer m.Release()
		out, err := compute.FilterRecordBatch(ctx, b, m, compute.DefaultFilterOptions())
		if err != nil {
			return nil, err
		}
		if len(bad) > 0 {
			return out, &dirty.RowErrors{Rows: bad}
		}
		return out, nil
	})
	f := newFixture(t, 2, 10, nil, nil)
	sum, err := f.run(t, context.Background(), &ferry.Options{Transformers: []ferry.Transformer{filter}, Dirty: dirty.IgnoreAll()})
	require.NoError(t, err)
	require.EqualValues(t, 20, sum.RowsRead)
	require.EqualValues(t, 10, sum.RowsWritten)
	require.EqualValues(t, 2, sum.RowsDirty)
	require.EqualValues(t, 8, sum.RowsFiltered)
}

func TestPipelineRunsOnce(t *testing.T) {
	f := newFixture(t, 1, 1, nil, nil)
	p := ferry.New(f.r, f.w, &ferry.Options{Allocator: f.mem})
	_, err := p.Run(context.Background())
	require.NoError(t, err)
	_, err = p.Run(context.Background())
	require.ErrorIs(t, err, ferry.ErrAlreadyRan)
}

func TestProgressEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, 10, 10, &memreader.Options{Delay: 100 * time.Millisecond}, nil)
		var events []ferry.Progress
		_, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 1, ProgressInterval: 250 * time.Millisecond,
			Progress: func(p ferry.Progress) { events = append(events, p) }})
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(events), 4)
		last := events[len(events)-1]
		require.True(t, last.Final)
		require.EqualValues(t, 100, last.RowsWritten)
		require.Equal(t, 10, last.SplitsDone)
		require.Contains(t, last.String(), "written 100")
	})
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		require.True(t, strings.HasPrefix(sc.Text(), `{"split":`), sc.Text())
		n++
	}
	return n
}

func TestSharedLimitsAcrossPipelines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := ferry.NewLimits(5000, 0)
		f1 := newFixture(t, 20, 500, nil, nil) // 10,000 rows each
		f2 := newFixture(t, 20, 500, nil, nil)
		start := time.Now()
		var wg sync.WaitGroup
		for _, f := range []*fixture{f1, f2} {
			wg.Go(func() {
				sum, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 2, SharedLimits: shared, RowsPerSecond: 1e9})
				require.NoError(t, err)
				require.EqualValues(t, 10000, sum.RowsWritten)
			})
		}
		wg.Wait()
		// 20,000 rows through one budget of 5,000 rows/s: 4 s less the
		// initial burst (fake clock, exact).
		rate := 20000 / time.Since(start).Seconds()
		require.InDelta(t, 5000, rate, 500, "rows/s over %s", time.Since(start))
	})
}

// A cancelled run fails with context.Canceled even when the writer reports
// something else of its closed connection (the MySQL driver says "bad
// connection"); the writer's words stay in the message.
func TestCancelIsTheReason(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFixture(t, 4, 10, nil, &memwriter.Options{WriteErr: func(call int64) error {
		if call == 2 {
			cancel()
			return errors.New("driver: bad connection")
		}
		return nil
	}})
	sum, err := f.run(t, ctx, &ferry.Options{Concurrency: 1})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "bad connection")
	require.False(t, sum.Committed)
	require.Zero(t, f.tbl.NumRows())
}

// warmWriter records when Warm is called.
type warmWriter struct {
	*memwriter.Writer
	warmed int
}

func (w *warmWriter) Warm(ctx context.Context) { w.warmed++ }

// TestWarmBeforePlanning: Plan calls a Warmer's Warm once, before it reads
// the source (so a source that cannot be read still warmed it, and
// changed nothing).
func TestWarmBeforePlanning(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	in := seqBatches(t, mem, 3, 10)
	defer releaseAll(in)
	tbl := memwriter.NewTable()
	w := &warmWriter{Writer: memwriter.New(tbl, nil)}
	_, err := ferry.New(memreader.New(in, nil), w, nil).Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, w.warmed)
	require.Equal(t, int64(30), tbl.NumRows())
	tbl.Release()

	bad := &warmWriter{Writer: memwriter.New(memwriter.NewTable(), &memwriter.Options{PrepareErr: errors.New("must not be called")})}
	_, err = ferry.New(memreader.New(nil, nil), bad, nil).Run(ctx)
	require.ErrorContains(t, err, "read schema")
	require.Equal(t, 1, bad.warmed)
}
