package ferry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferrydata/ferry/internal/crashpoint"
)

// ErrIncomplete is wrapped by Finish's error when splits of the plan are not
// done; the run is left as it is, to be completed and finished again.
var ErrIncomplete = errors.New("ferry: splits of the run are not done")

// Finish commits the run planned as pl, once. results are the accounts of
// the splits other processes copied (CopySplit's return values), used for the
// dirty-data policy's final check and the Summary; splits copied by this
// Pipeline are counted already.
//
// With a StageWriter, Finish first reads the stage's status from the
// destination: a run already committed returns at once (Finish is
// idempotent), and a run with splits not done returns an error wrapping
// ErrIncomplete and changes nothing. A commit whose outcome is unknown is
// resolved from the status, never guessed. Any other failure aborts the run.
func (p *Pipeline) Finish(ctx context.Context, pl *Plan, results []SplitSummary) (*Summary, error) {
	if err := p.attachForFinish(ctx, pl); err != nil {
		return nil, err
	}
	p.run.start = time.Now()
	p.run.beginProgress()
	sum, err := p.finish(ctx, pl, results, nil)
	p.run.endProgress(finalPhase(err))
	p.run.end = time.Now()
	if err != nil {
		sum.Error = err.Error()
	}
	return sum, err
}

func (p *Pipeline) attachForFinish(ctx context.Context, pl *Plan) error {
	p.mu.Lock()
	attached := p.plan != nil
	p.mu.Unlock()
	if attached {
		return nil
	}
	return p.attach(ctx, pl)
}

// finish checks the splits and the dirty-data policy and commits; results
// are splits copied elsewhere (nil in Run).
func (p *Pipeline) finish(ctx context.Context, pl *Plan, results []SplitSummary, ck *checkpoint) (*Summary, error) {
	r := p.run
	r.setPhase(PhaseCommitting)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		if r.committed {
			return r.summary(), nil
		}
		return r.summary(), errors.New("ferry: the run was aborted")
	}
	fail := func(err error) (*Summary, error) {
		err = errors.Join(err, p.abortWriter(ctx, err))
		if ck != nil {
			ck.setStatus(statusAborted, err)
		}
		return r.summary(), err
	}

	// Splits copied elsewhere count in the totals and in the policy.
	for _, res := range results {
		i, ok := r.index[res.ID]
		if !ok {
			return r.summary(), fmt.Errorf("ferry: run %s has no split %q", pl.RunID, res.ID)
		}
		st := &r.states[i]
		if st.Done || !res.Done {
			continue
		}
		st.SplitSummary = res
		r.splitsDone.Add(1)
		r.rowsRead.Add(res.RowsRead)
		r.rowsWritten.Add(res.RowsWritten)
		r.rowsFiltered.Add(res.RowsFiltered)
		r.rowsDirty.Add(res.RowsDirty)
		r.bytesRead.Add(res.BytesRead)
		r.bytesWritten.Add(res.BytesWritten)
		r.counter.AddFinished(res.RowsDirty)
	}

	stagedRows := int64(-1)
	sw, staged := p.stager()
	if staged {
		st, err := sw.Status(ctx)
		if err != nil {
			return r.summary(), fmt.Errorf("ferry: stage status: %w", err)
		}
		if st.Committed {
			p.ended, r.committed = true, true
			if ck != nil {
				ck.setStatus(statusCommitted, nil)
			}
			return r.summary(), nil
		}
		if st.Aborted {
			p.ended = true
			return r.summary(), fmt.Errorf("ferry: run %s was aborted", pl.RunID)
		}
		if missing := notDone(pl, st); len(missing) > 0 {
			return r.summary(), fmt.Errorf("%w: %d of %d not marked in the destination (%s)", ErrIncomplete, len(missing), len(pl.Splits), abbreviate(missing, 5))
		}
		stagedRows = 0
		for _, m := range st.Done {
			stagedRows += m.Rows
		}
	} else {
		if !p.planner {
			return r.summary(), ErrNotStaged
		}
		for i := range r.states {
			if st := &r.states[i]; !st.Done {
				return r.summary(), fmt.Errorf("%w: split %s", ErrIncomplete, st.ID)
			}
		}
		// Flush every batch writer before the commit.
		for _, bw := range p.opened {
			if err := bw.Close(ctx); err != nil {
				return fail(fmt.Errorf("ferry: close batch writer: %w", err))
			}
		}
		p.opened, p.idle = nil, nil
	}

	if err := r.counter.Final(r.rowsRead.Load()); err != nil {
		return fail(err)
	}
	if ck != nil {
		ck.setStatus(statusCommitting, nil)
	}
	crashpoint.Hit("ferry.commit.before")
	var err error
	if cc, ok := p.w.(CheckedCommitter); ok && len(p.opts.Checks) > 0 {
		err = cc.CommitChecked(ctx, func(ctx context.Context, q Querier) error {
			r.setPhase(PhaseChecking)
			_, err := p.verifyChecks(ctx, q, stagedRows)
			r.setPhase(PhaseCommitting)
			return err
		})
	} else {
		if len(p.opts.Checks) > 0 {
			r.setPhase(PhaseChecking)
		}
		if _, err := p.verifyChecks(ctx, nil, stagedRows); err != nil {
			return fail(err)
		}
		r.setPhase(PhaseCommitting)
		err = p.w.Commit(ctx)
	}
	crashpoint.Hit("ferry.commit.after")
	if err != nil && staged && IsOutcomeUnknown(err) {
		// The commit may have happened: the destination knows.
		if st, serr := sw.Status(context.WithoutCancel(ctx)); serr == nil && st.Committed {
			err = nil
		} else {
			if ck != nil {
				ck.setStatus(statusCommitting, err)
			}
			return r.summary(), fmt.Errorf("ferry: commit: %w (resume the run to learn its outcome)", err)
		}
	}
	if err != nil {
		return fail(fmt.Errorf("ferry: commit: %w", err))
	}
	if d := r.rowsDirty.Load(); d > 0 && r.rowsWritten.Load() == 0 {
		// The policy tolerated every row: the commit wrote nothing, and an
		// overwrite emptied the destination. Say so loudly.
		msg := fmt.Sprintf("every row read was dirty (%d): no row was written, and an overwrite left the destination empty; a row-count check (ferry --min-rows 1) makes such a run fail", d)
		p.opts.Logger.WarnContext(ctx, "ferry: "+msg)
		r.note(msg)
	}
	p.ended, r.committed = true, true
	if ck != nil {
		ck.setStatus(statusCommitted, nil)
	}
	p.observe(Event{Kind: EventCommitted, Rows: r.rowsWritten.Load(), Bytes: r.bytesWritten.Load()})
	return r.summary(), nil
}

func notDone(pl *Plan, st StageStatus) []string {
	done := make(map[string]bool, len(st.Done))
	for _, m := range st.Done {
		done[m.Split] = true
	}
	var missing []string
	for _, s := range pl.Splits {
		if !done[s.ID] {
			missing = append(missing, s.ID)
		}
	}
	return missing
}

func abbreviate(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(slices.Clip(ids[:n]), ", ") + fmt.Sprintf(", and %d more", len(ids)-n)
}

// Abort undoes the run planned as pl: the destination is left as it was (or
// as the write mode promises) and a StageWriter's stage is dropped. It may be
// called from any process that opened the same writer configuration, for a
// StageWriter; otherwise only from the process that planned. cause is the
// reason.
func (p *Pipeline) Abort(ctx context.Context, pl *Plan, cause error) error {
	if err := p.attachForFinish(ctx, pl); err != nil && !errors.Is(err, ErrNotStaged) {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.abortWriter(ctx, cause)
}
