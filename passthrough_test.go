package ferry_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/quality"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// passReader is a memreader that records the passthrough formats offered.
type passReader struct {
	*memreader.Reader
	format  string   // the format it takes
	offered []string // what the Pipeline offered ("" not counted)
	on      bool     // the last answer
}

func (r *passReader) Passthrough(format string) bool {
	if format != "" {
		r.offered = append(r.offered, format)
	}
	r.on = format != "" && format == r.format
	return r.on
}

// passWriter is a memwriter whose format is known only after Prepare.
type passWriter struct {
	*memwriter.StagedWriter
	format   string
	prepared bool
}

func (w *passWriter) PrepareStage(ctx context.Context, runID string, s *arrow.Schema) error {
	w.prepared = true
	return w.StagedWriter.PrepareStage(ctx, runID, s)
}

func (w *passWriter) PassthroughFormat() string {
	if !w.prepared {
		return ""
	}
	return w.format
}

// TestPassthroughNegotiation: the Pipeline offers the prepared writer's
// format to the reader, unless transformers, checks or NoPassthrough need
// (or ask for) decoded batches; Summary.Passthrough says whether the two
// agreed. Plan and CopySplit in another Pipeline offer it too.
func TestPassthroughNegotiation(t *testing.T) {
	identity := ferry.TransformFunc(func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		b.Retain()
		return b, nil
	})
	for _, tc := range []struct {
		name         string
		rformat      string
		wformat      string
		opts         func(*ferry.Options)
		offered      bool
		wantPassthru bool
	}{
		{name: "same format", rformat: "f1", wformat: "f1", offered: true, wantPassthru: true},
		{name: "other format", rformat: "f1", wformat: "f2", offered: true},
		{name: "writer has none", rformat: "f1", wformat: ""},
		{name: "a transformer", rformat: "f1", wformat: "f1",
			opts: func(o *ferry.Options) { o.Transformers = []ferry.Transformer{identity} }},
		{name: "a check", rformat: "f1", wformat: "f1",
			opts: func(o *ferry.Options) { o.Checks = []ferry.Check{quality.NotNull(quality.Warning, "id")} }},
		{name: "NoPassthrough", rformat: "f1", wformat: "f1", opts: func(o *ferry.Options) { o.NoPassthrough = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 2, 10)
			r := &passReader{Reader: w.reader(nil), format: tc.rformat}
			pw := &passWriter{StagedWriter: w.writer(nil), format: tc.wformat}
			o := &ferry.Options{Allocator: w.mem}
			if tc.opts != nil {
				tc.opts(o)
			}
			sum, err := ferry.New(r, pw, o).Run(context.Background())
			require.NoError(t, err)
			w.exact(20)
			if tc.offered {
				require.Equal(t, []string{tc.wformat}, r.offered)
			} else {
				require.Empty(t, r.offered)
			}
			require.Equal(t, tc.wantPassthru, sum.Passthrough)
			require.Equal(t, tc.wantPassthru, r.on)
		})
	}
	t.Run("a reader left in passthrough is told to decode", func(t *testing.T) {
		w := newWorld(t, 2, 10)
		r := &passReader{Reader: w.reader(nil), format: "f1"}
		require.True(t, r.Passthrough("f1")) // as an earlier Pipeline would have
		sum, err := ferry.New(r, w.writer(nil), &ferry.Options{Allocator: w.mem}).Run(context.Background())
		require.NoError(t, err)
		require.False(t, sum.Passthrough)
		require.False(t, r.on, "told to decode again")
	})
	t.Run("CopySplit in another Pipeline", func(t *testing.T) {
		ctx := context.Background()
		w := newWorld(t, 2, 10)
		pr := &passReader{Reader: w.reader(nil), format: "f1"}
		planner := ferry.New(pr, &passWriter{StagedWriter: w.writer(nil), format: "f1"}, &ferry.Options{Allocator: w.mem})
		defer planner.Close()
		pl, err := planner.Plan(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"f1"}, pr.offered)
		wr := &passReader{Reader: w.reader(nil), format: "f1"}
		worker := ferry.New(wr, &passWriter{StagedWriter: w.writer(nil), format: "f1"}, &ferry.Options{Allocator: w.mem})
		var results []ferry.SplitSummary
		for _, s := range pl.Splits {
			res, err := worker.CopySplit(ctx, pl, s.ID)
			require.NoError(t, err)
			results = append(results, res)
		}
		require.Equal(t, []string{"f1"}, wr.offered, "offered once, when the worker attached")
		require.NoError(t, worker.Close())
		_, err = planner.Finish(ctx, pl, results)
		require.NoError(t, err)
		w.exact(20)
	})
}
