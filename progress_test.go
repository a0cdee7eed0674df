package ferry_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// slowCommit is a writer whose Commit takes d (in a synctest bubble, no
// real time).
type slowCommit struct {
	*memwriter.Writer
	d time.Duration
}

func (w slowCommit) Commit(ctx context.Context) error {
	time.Sleep(w.d)
	return w.Writer.Commit(ctx)
}

// phases returns the phases of events, consecutive repeats removed.
func phases(events []ferry.Progress) []ferry.Phase {
	var out []ferry.Phase
	for _, e := range events {
		if len(out) == 0 || out[len(out)-1] != e.Phase {
			out = append(out, e.Phase)
		}
	}
	return out
}

func TestProgressPhasesAndEstimate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, 10, 10, &memreader.Options{Delay: 100 * time.Millisecond}, nil)
		var events []ferry.Progress
		opts := &ferry.Options{Concurrency: 1, ProgressInterval: 250 * time.Millisecond, Allocator: f.mem,
			Progress: func(p ferry.Progress) { events = append(events, p) }}
		_, err := ferry.New(f.r, slowCommit{f.w, 2 * time.Second}, opts).Run(context.Background())
		require.NoError(t, err)
		require.Equal(t, []ferry.Phase{ferry.PhasePlanning, ferry.PhaseCopying, ferry.PhaseCommitting, ferry.PhaseDone}, phases(events))
		committing := 0
		for _, e := range events {
			if e.Phase == ferry.PhaseCommitting {
				committing++
				require.False(t, e.Final)
			}
			if e.Phase != ferry.PhasePlanning {
				// memreader's estimate is exact: 10 batches of 10 rows.
				require.EqualValues(t, 100, e.RowsTotal, "%+v", e)
				require.True(t, e.RowsTotalExact)
				require.Equal(t, 10, e.SplitsTotal)
			}
		}
		// The 2 s commit is not silent: the ticker goes on (every 250 ms).
		require.GreaterOrEqual(t, committing, 8)
		last := events[len(events)-1]
		require.True(t, last.Final)
		pc, ok := last.Percent()
		require.True(t, ok)
		require.EqualValues(t, 100, pc)
		require.Contains(t, last.String(), "done")
	})
}

// slowCheck is a check whose Verify takes a second.
type slowCheck struct{}

func (slowCheck) Name() string                { return "slow" }
func (slowCheck) Begin(*arrow.Schema) error   { return nil }
func (slowCheck) NewSplit() ferry.SplitCheck  { return nil }
func (slowCheck) Merge(json.RawMessage) error { return nil }
func (slowCheck) Verify(ctx context.Context, in ferry.CheckInput) ferry.CheckResult {
	time.Sleep(time.Second)
	return ferry.CheckResult{Name: "slow", Blocking: true, Passed: true}
}

// TestProgressCheckingPhase: checks run before the commit, in their own
// phase.
func TestProgressCheckingPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, 2, 10, nil, nil)
		var events []ferry.Progress
		_, err := f.run(t, context.Background(), &ferry.Options{ProgressInterval: 250 * time.Millisecond, Checks: []ferry.Check{slowCheck{}},
			Progress: func(p ferry.Progress) { events = append(events, p) }})
		require.NoError(t, err)
		require.Equal(t, []ferry.Phase{ferry.PhasePlanning, ferry.PhaseCopying, ferry.PhaseCommitting, ferry.PhaseChecking, ferry.PhaseCommitting, ferry.PhaseDone}, phases(events))
	})
}

func TestProgressFailedRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		f := newFixture(t, 4, 10, &memreader.Options{BatchErr: func(split string, batch int) error {
			if split == "mem[2,3)" {
				return boom
			}
			return nil
		}}, nil)
		var events []ferry.Progress
		_, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 1,
			Progress: func(p ferry.Progress) { events = append(events, p) }})
		require.ErrorIs(t, err, boom)
		last := events[len(events)-1]
		require.True(t, last.Final)
		require.Equal(t, ferry.PhaseFailed, last.Phase)
		_, ok := last.Percent()
		require.True(t, ok)
	})
}

// TestProgressCurrentRate: the source slows down from 1000 to 100 rows/s
// halfway; the current rate follows, the average lags behind.
func TestProgressCurrentRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var batches atomic.Int64
		f := newFixture(t, 40, 100, &memreader.Options{Delay: 100 * time.Millisecond, BatchErr: func(string, int) error {
			if batches.Add(1) > 20 {
				time.Sleep(900 * time.Millisecond)
			}
			return nil
		}}, nil)
		var events []ferry.Progress
		_, err := f.run(t, context.Background(), &ferry.Options{Concurrency: 1, ProgressInterval: 500 * time.Millisecond,
			Progress: func(p ferry.Progress) { events = append(events, p) }})
		require.NoError(t, err)
		var fast, slow *ferry.Progress
		for i := range events {
			e := &events[i]
			if e.Phase != ferry.PhaseCopying {
				require.Zero(t, e.CurrentRowsPerSecond)
				continue
			}
			switch {
			case e.Elapsed >= 1500*time.Millisecond && e.Elapsed < 2*time.Second:
				fast = e // 1000 rows/s since the start
			case e.RowsRead >= 3500 && e.RowsRead < 3900:
				slow = e // 100 rows/s for the last 15 s
			}
		}
		require.NotNil(t, fast)
		require.NotNil(t, slow)
		require.InDelta(t, 1000, fast.CurrentRowsPerSecond, 150)
		require.InDelta(t, 100, slow.CurrentRowsPerSecond, 25)
		require.Greater(t, slow.RowsPerSecond, 150.0, "the average still counts the fast half")
		eta, ok := slow.ETA()
		require.True(t, ok)
		want := time.Duration(float64(4000-slow.RowsRead) / slow.CurrentRowsPerSecond * float64(time.Second))
		require.InDelta(t, want.Seconds(), eta.Seconds(), 0.01)
	})
}

// TestProgressSteps: Plan, CopySplit and Finish report their phases too,
// and the estimate travels in the plan's JSON.
func TestProgressSteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, 3, 10, nil, nil)
		var events []ferry.Progress
		p := ferry.New(f.r, slowCommit{f.w, time.Second}, &ferry.Options{Allocator: f.mem, ProgressInterval: 100 * time.Millisecond,
			Progress: func(p ferry.Progress) { events = append(events, p) }})
		pl, err := p.Plan(context.Background())
		require.NoError(t, err)
		require.Equal(t, &ferry.Estimate{Rows: 30, Exact: true}, pl.Estimate)
		b, err := json.Marshal(pl)
		require.NoError(t, err)
		var back ferry.Plan
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, pl.Estimate, back.Estimate)
		for _, id := range pl.SplitIDs() {
			_, err := p.CopySplit(context.Background(), pl, id)
			require.NoError(t, err)
		}
		sum, err := p.Finish(context.Background(), pl, nil)
		require.NoError(t, err)
		require.True(t, sum.Committed)
		require.NoError(t, p.Close())
		require.Equal(t, []ferry.Phase{ferry.PhasePlanning, ferry.PhaseCopying, ferry.PhaseCommitting, ferry.PhaseDone}, phases(events))
		require.True(t, events[len(events)-1].Final)
	})
}

// TestPlanWithoutEstimate: a version-1 plan written before estimates
// existed still reads.
func TestPlanWithoutEstimate(t *testing.T) {
	var pl ferry.Plan
	require.NoError(t, json.Unmarshal([]byte(`{"version":1,"run_id":"r1","splits":[{"id":"a"}],"staged":true}`), &pl))
	require.Nil(t, pl.Estimate)
	b, err := json.Marshal(pl)
	require.NoError(t, err)
	require.NotContains(t, string(b), "estimate")
}
