package ferry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// PlanVersion is the version of the Plan format this package writes and
// reads.
const PlanVersion = 1

// A Plan is the plain-data description of a planned run: what a process
// needs, besides the reader and writer configuration, to copy any of its
// splits or to finish it. It marshals to JSON, so it can be kept in a
// checkpoint directory or shipped to other processes and machines.
type Plan struct {
	Version int       `json:"version"`
	RunID   string    `json:"run_id"`
	Created time.Time `json:"created"`
	// ReaderSchema is the schema of the reader's batches and Schema the
	// schema the writer receives (after the transformers), both in Arrow
	// IPC form.
	ReaderSchema []byte `json:"reader_schema"`
	Schema       []byte `json:"schema"`
	// Splits are the reader's splits, in plan order; their IDs are unique.
	Splits []Split `json:"splits"`
	// ReaderState is what a StatefulReader exported (a snapshot id, say).
	ReaderState json.RawMessage `json:"reader_state,omitempty"`
	// Staged reports whether the writer is a StageWriter: only then can
	// other processes copy splits, and a resumed run skip done ones.
	Staged bool `json:"staged"`
	// Estimate is the reader's estimate of the source's size (an
	// Estimator's), for progress; nil when unknown.
	Estimate *Estimate `json:"estimate,omitempty"`
}

// ErrNotStaged is returned when a step needs a StageWriter (copying a split
// or finishing in a process that did not plan) and the writer is not one.
var ErrNotStaged = errors.New("ferry: the writer cannot stage a run across processes (it is not a StageWriter); run it in one process")

// Split returns the plan's split with the given ID.
func (pl *Plan) Split(id string) (Split, bool) {
	for _, s := range pl.Splits {
		if s.ID == id {
			return s, true
		}
	}
	return Split{}, false
}

// SplitIDs returns the IDs of the plan's splits, in plan order.
func (pl *Plan) SplitIDs() []string {
	ids := make([]string, len(pl.Splits))
	for i, s := range pl.Splits {
		ids[i] = s.ID
	}
	return ids
}

// check reports a plan this package cannot use.
func (pl *Plan) check() error {
	if pl == nil {
		return errors.New("ferry: nil plan")
	}
	if pl.Version != PlanVersion {
		return fmt.Errorf("ferry: plan version %d, want %d", pl.Version, PlanVersion)
	}
	if err := CheckRunID(pl.RunID); err != nil {
		return err
	}
	if err := uniqueSplits(pl.Splits); err != nil {
		return err
	}
	if _, err := decodeSchema(pl.Schema); err != nil {
		return fmt.Errorf("ferry: plan schema: %w", err)
	}
	return nil
}

func uniqueSplits(splits []Split) error {
	seen := make(map[string]bool, len(splits))
	for _, s := range splits {
		if s.ID == "" {
			return errors.New("ferry: a split has an empty ID")
		}
		if seen[s.ID] {
			return fmt.Errorf("ferry: split ID %q is not unique", s.ID)
		}
		seen[s.ID] = true
	}
	return nil
}

func encodeSchema(s *arrow.Schema) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s))
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeSchema(b []byte) (*arrow.Schema, error) {
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	return r.Schema(), nil
}

// sameColumns reports how got differs from want in names or types
// (metadata aside), or "" when they agree.
func sameColumns(want, got *arrow.Schema) string {
	if want.NumFields() != got.NumFields() {
		return fmt.Sprintf("%d columns, the plan has %d", got.NumFields(), want.NumFields())
	}
	var diffs []string
	for i, f := range want.Fields() {
		g := got.Field(i)
		if f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
			diffs = append(diffs, fmt.Sprintf("column %d is %s %s, the plan has %s %s", i+1, g.Name, g.Type, f.Name, f.Type))
		}
	}
	return strings.Join(diffs, "; ")
}

// Plan makes the run's plan: it reads the reader's schema and splits (and
// its state, for a StatefulReader), derives the schema the writer receives
// through the transformers, and prepares the writer (its stage, for a
// StageWriter). Reading comes first, so a source that cannot be read never
// touches the destination. After Plan succeeded, the run ends with Finish or
// Abort.
func (p *Pipeline) Plan(ctx context.Context) (*Plan, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan != nil {
		return nil, errors.New("ferry: this pipeline already has a plan")
	}
	if err := CheckRunID(p.opts.RunID); err != nil {
		return nil, err
	}
	p.run.beginProgress()
	p.run.setPhase(PhasePlanning)
	if wm, ok := p.w.(Warmer); ok {
		wm.Warm(ctx)
	}
	rs, err := p.r.Schema(ctx)
	if err != nil {
		return nil, fmt.Errorf("ferry: read schema: %w", err)
	}
	schema, err := p.outputSchema(rs)
	if err != nil {
		return nil, err
	}
	if err := p.beginChecks(schema); err != nil {
		return nil, err
	}
	splits, err := p.r.Splits(ctx, p.opts.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("ferry: plan splits: %w", err)
	}
	if err := uniqueSplits(splits); err != nil {
		return nil, fmt.Errorf("ferry: plan splits: %w", err)
	}
	pl := &Plan{Version: PlanVersion, RunID: p.opts.RunID, Created: time.Now().UTC(), Splits: slices.Clip(splits), Estimate: p.estimate(ctx)}
	if pl.ReaderSchema, err = encodeSchema(rs); err != nil {
		return nil, fmt.Errorf("ferry: encode schema: %w", err)
	}
	if pl.Schema, err = encodeSchema(schema); err != nil {
		return nil, fmt.Errorf("ferry: encode schema: %w", err)
	}
	if sr, ok := p.r.(StatefulReader); ok {
		if pl.ReaderState, err = sr.ExportState(ctx); err != nil {
			return nil, fmt.Errorf("ferry: export reader state: %w", err)
		}
	}
	if dw, ok := p.w.(DirectWriter); ok && p.mayDirect {
		var est Estimate
		if pl.Estimate != nil {
			est = *pl.Estimate
		}
		p.direct = dw.Direct(ctx, len(pl.Splits), est)
	}
	sw, staged := p.stager()
	pl.Staged = staged
	if staged {
		err = sw.PrepareStage(ctx, pl.RunID, schema)
	} else {
		err = p.w.Prepare(ctx, schema)
	}
	p.prepared = true
	if err != nil {
		err = fmt.Errorf("ferry: prepare writer: %w", err)
		return nil, errors.Join(err, p.abortWriter(ctx, err))
	}
	p.plan, p.planner, p.schema = pl, true, schema
	p.run.setPlan(pl)
	p.negotiate()
	p.observe(Event{Kind: EventPlanned, Rows: int64(len(pl.Splits))})
	return pl, nil
}

func (p *Pipeline) outputSchema(s *arrow.Schema) (*arrow.Schema, error) {
	var err error
	for i, t := range p.opts.Transformers {
		if s, err = t.OutputSchema(s); err != nil {
			return nil, fmt.Errorf("ferry: transformer %d: %w", i, err)
		}
	}
	return s, nil
}

// attach makes this process ready to work on pl, which another process (or
// an earlier run of this one) planned: the reader gets the plan's state, its
// schema is checked against the plan's, and a StageWriter attaches to the
// stage. It is a no-op in the planning process and after the first call.
func (p *Pipeline) attach(ctx context.Context, pl *Plan) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan != nil {
		if p.plan.RunID != pl.RunID {
			return fmt.Errorf("ferry: this pipeline works on run %s, not %s", p.plan.RunID, pl.RunID)
		}
		return nil
	}
	if err := pl.check(); err != nil {
		return err
	}
	sw, staged := p.w.(StageWriter)
	if !staged || !pl.Staged {
		return ErrNotStaged
	}
	want, err := decodeSchema(pl.ReaderSchema)
	if err != nil {
		return fmt.Errorf("ferry: plan reader schema: %w", err)
	}
	rs, err := p.r.Schema(ctx)
	if err != nil {
		return fmt.Errorf("ferry: read schema: %w", err)
	}
	if d := sameColumns(want, rs); d != "" {
		return fmt.Errorf("ferry: the source changed since run %s was planned: %s", pl.RunID, d)
	}
	schema, err := p.outputSchema(rs)
	if err != nil {
		return err
	}
	if err := p.beginChecks(schema); err != nil {
		return err
	}
	if len(pl.ReaderState) > 0 {
		sr, ok := p.r.(StatefulReader)
		if !ok {
			return errors.New("ferry: the plan carries reader state but the reader cannot take it (a different reader configuration?)")
		}
		note, err := sr.ImportState(ctx, pl.ReaderState)
		if err != nil {
			return fmt.Errorf("ferry: import reader state: %w", err)
		}
		if note != "" {
			p.run.note(note)
		}
	}
	if err := sw.PrepareStage(ctx, pl.RunID, schema); err != nil {
		return fmt.Errorf("ferry: attach to the stage of run %s: %w", pl.RunID, err)
	}
	p.prepared = true
	p.plan, p.schema = pl, schema
	p.run.setPlan(pl)
	p.negotiate()
	return nil
}
