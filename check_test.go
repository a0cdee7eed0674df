package ferry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
)

// maxID is a Check that the largest id written stays under a limit, from
// the rows as they were written (state per split, merged at the end).
type maxID struct {
	limit    int64
	blocking bool
	max      atomic.Int64
	merged   atomic.Int64
}

func (c *maxID) Name() string { return "max-id" }

func (c *maxID) Begin(s *arrow.Schema) error {
	if len(s.FieldIndices("id")) == 0 {
		return fmt.Errorf("no column id")
	}
	return nil
}

func (c *maxID) NewSplit() ferry.SplitCheck { return &maxIDSplit{} }

func (c *maxID) Merge(state json.RawMessage) error {
	v, err := strconv.ParseInt(string(state), 10, 64)
	if err != nil {
		return err
	}
	for m := c.max.Load(); v > m && !c.max.CompareAndSwap(m, v); m = c.max.Load() {
	}
	c.merged.Add(1)
	return nil
}

func (c *maxID) Verify(ctx context.Context, in ferry.CheckInput) ferry.CheckResult {
	return ferry.CheckResult{Blocking: c.blocking, Passed: c.max.Load() <= c.limit,
		Detail: fmt.Sprintf("max id %d (limit %d) over %d rows, %d staged", c.max.Load(), c.limit, in.RowsWritten, in.StagedRows)}
}

type maxIDSplit struct{ max int64 }

func (s *maxIDSplit) Observe(b arrow.RecordBatch, rejected []int) {
	ids := b.Column(0).(*array.Int64)
	for i := 0; i < ids.Len(); i++ {
		s.max = max(s.max, ids.Value(i))
	}
}

func (s *maxIDSplit) State() json.RawMessage { return json.RawMessage(strconv.FormatInt(s.max, 10)) }

func TestChecksBeforeCommit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		limit    int64
		blocking bool
		commit   bool
	}{
		{"passes", 1000, true, true},
		{"blocking fails", 999, true, false},
		{"warning fails", 999, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 10, 100)
			c := &maxID{limit: tc.limit, blocking: tc.blocking}
			sum, err := w.pipeline(&ferry.Options{Concurrency: 2, Checks: []ferry.Check{c}}, nil, nil).Run(context.Background())
			require.Equal(t, tc.commit, sum.Committed)
			require.Len(t, sum.Checks, 1)
			require.Equal(t, "max-id", sum.Checks[0].Name)
			require.Contains(t, sum.Checks[0].Detail, "max id 1000")
			require.Contains(t, sum.Checks[0].Detail, "1000 staged")
			require.EqualValues(t, 10, c.merged.Load())
			require.Contains(t, sum.Report(), "check                  max-id")
			if tc.commit {
				require.NoError(t, err)
				w.exact(1000)
			} else {
				require.ErrorIs(t, err, ferry.ErrCheckFailed)
				require.Zero(t, w.tbl.NumRows(), "a failed blocking check leaves the old rows")
				require.Empty(t, w.tbl.Stages())
			}
		})
	}
}

func TestChecksAcrossProcesses(t *testing.T) {
	w := newWorld(t, 4, 50)
	ctx := context.Background()
	plan := func(c ferry.Check) *ferry.Pipeline {
		return w.pipeline(&ferry.Options{Checks: []ferry.Check{c}}, nil, nil)
	}
	planner := plan(&maxID{limit: 150, blocking: true})
	pl, err := planner.Plan(ctx)
	require.NoError(t, err)
	require.NoError(t, planner.Close())
	copier := plan(&maxID{limit: 150, blocking: true})
	var results []ferry.SplitSummary
	for _, id := range pl.SplitIDs() {
		res, err := copier.CopySplit(ctx, pl, id)
		require.NoError(t, err)
		results = append(results, res)
	}
	require.NoError(t, copier.Close())
	// The finisher never saw a row: the states travel in the results.
	c := &maxID{limit: 150, blocking: true}
	fin := plan(c)
	sum, err := fin.Finish(ctx, pl, results)
	require.NoError(t, fin.Close())
	require.ErrorIs(t, err, ferry.ErrCheckFailed)
	require.Contains(t, err.Error(), "max id 200 (limit 150)")
	require.False(t, sum.Committed)
	require.Zero(t, w.tbl.NumRows())
}

func TestCheckBeginFailsBeforeWriting(t *testing.T) {
	w := newWorld(t, 2, 10)
	r := memreader.NewWithSchema(arrow.NewSchema([]arrow.Field{{Name: "other", Type: arrow.PrimitiveTypes.Int64}}, nil))
	_, err := ferry.New(r, w.writer(nil), &ferry.Options{Checks: []ferry.Check{&maxID{}}}).Run(context.Background())
	require.ErrorContains(t, err, "check max-id: no column id")
	require.Empty(t, w.tbl.Stages())
}
