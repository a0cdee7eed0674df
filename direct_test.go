package ferry_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// directProbe is a StageWriter that is also a DirectWriter: it records
// what the Pipeline asked and which protocol it then used (the plain one of
// the embedded memwriter.Writer, or the staged one).
type directProbe struct {
	*memwriter.StagedWriter
	yes    bool
	asked  []int            // the splits Direct was asked about
	est    []ferry.Estimate // and the estimates
	staged bool             // PrepareStage was called
	plain  bool             // Prepare was called
}

func (d *directProbe) Direct(ctx context.Context, splits int, est ferry.Estimate) bool {
	d.asked, d.est = append(d.asked, splits), append(d.est, est)
	return d.yes
}

func (d *directProbe) PrepareStage(ctx context.Context, runID string, s *arrow.Schema) error {
	d.staged = true
	return d.StagedWriter.PrepareStage(ctx, runID, s)
}

func (d *directProbe) Prepare(ctx context.Context, s *arrow.Schema) error {
	d.plain = true
	return d.StagedWriter.Writer.Prepare(ctx, s)
}

func (d *directProbe) Open(ctx context.Context) (ferry.BatchWriter, error) {
	return d.StagedWriter.Writer.Open(ctx)
}

func (d *directProbe) Commit(ctx context.Context) error {
	if d.plain {
		return d.StagedWriter.Writer.Commit(ctx)
	}
	return d.StagedWriter.Commit(ctx)
}

func (d *directProbe) Abort(ctx context.Context, cause error) error {
	if d.plain {
		return d.StagedWriter.Writer.Abort(ctx, cause)
	}
	return d.StagedWriter.Abort(ctx, cause)
}

// TestDirectWriter: Run without a checkpoint asks a DirectWriter once,
// with the splits and the reader's estimate, and takes the plain protocol
// when it says yes; with a checkpoint, or through Plan by itself, it never
// asks and stages.
func TestDirectWriter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		yes        bool
		checkpoint bool
		wantAsked  bool
		wantStaged bool
	}{
		{name: "yes", yes: true, wantAsked: true},
		{name: "no", yes: false, wantAsked: true, wantStaged: true},
		{name: "checkpoint", yes: true, checkpoint: true, wantStaged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 3, 10)
			d := &directProbe{StagedWriter: w.writer(nil), yes: tc.yes}
			o := &ferry.Options{Allocator: w.mem, Concurrency: 2}
			if tc.checkpoint {
				o.Checkpoint = t.TempDir()
			}
			sum, err := ferry.New(w.reader(nil), d, o).Run(context.Background())
			require.NoError(t, err)
			require.EqualValues(t, 30, sum.RowsWritten)
			w.exact(30)
			if tc.wantAsked {
				require.Len(t, d.asked, 1)
				require.Equal(t, 3, d.asked[0], "splits")
			} else {
				require.Empty(t, d.asked)
			}
			require.Equal(t, tc.wantStaged, d.staged, "staged protocol")
			require.Equal(t, !tc.wantStaged, d.plain, "plain protocol")
			if !tc.wantStaged {
				require.Empty(t, w.tbl.Stages(), "a direct run leaves no stage")
			}
		})
	}
	t.Run("Plan by itself", func(t *testing.T) {
		w := newWorld(t, 1, 10)
		d := &directProbe{StagedWriter: w.writer(nil), yes: true}
		p := ferry.New(w.reader(nil), d, &ferry.Options{Allocator: w.mem})
		defer p.Close()
		pl, err := p.Plan(context.Background())
		require.NoError(t, err)
		require.True(t, pl.Staged)
		require.Empty(t, d.asked, "distributed steps never go direct")
		require.NoError(t, p.Abort(context.Background(), pl, nil))
	})
}
