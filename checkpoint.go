package ferry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferrydata/ferry/internal/atomicfile"
)

// The files of a checkpoint directory.
const (
	checkpointFile = "checkpoint.json" // the plan and origin, written once
	statusFile     = "status.json"     // the run's status, rewritten atomically
	splitsFile     = "splits.jsonl"    // one line per finished split, appended
	lockFile       = "lock"            // flock'ed by the process working on the run
)

const (
	checkpointFormat  = "ferry-checkpoint"
	checkpointVersion = 1
)

// The statuses a checkpoint records.
const (
	statusCopying    = "copying"
	statusFailed     = "failed"
	statusCommitting = "committing"
	statusCommitted  = "committed"
	statusAborted    = "aborted"
)

type checkpointDoc struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	RunID   string          `json:"run_id"`
	Created time.Time       `json:"created"`
	Origin  json.RawMessage `json:"origin,omitempty"`
	Plan    *Plan           `json:"plan"`
}

type statusDoc struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	RunID   string    `json:"run_id"`
	Status  string    `json:"status"`
	Error   string    `json:"error,omitempty"`
	Updated time.Time `json:"updated"`
}

// CheckpointInfo is what a checkpoint directory says of its run.
type CheckpointInfo struct {
	Dir    string
	RunID  string
	Status string // copying, failed, committing, committed or aborted
	Error  string // the error that stopped the run, if it failed
	// Origin is Options.CheckpointOrigin as the run gave it.
	Origin json.RawMessage
	Plan   *Plan
	// Splits are the accounts of the splits the run finished, as the
	// checkpoint recorded them (the destination's markers are the truth).
	Splits []SplitSummary
}

// checkpoint is an open checkpoint directory.
type checkpoint struct {
	dir    string
	origin json.RawMessage
	plan   *Plan
	status string
	splits map[string]SplitSummary
	unlock func()

	mu sync.Mutex
}

// createCheckpoint opens dir for a new run; it fails if dir holds a run.
func createCheckpoint(dir string, origin json.RawMessage) (*checkpoint, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ferry: checkpoint: %w", err)
	}
	if info, err := ReadCheckpoint(dir); err == nil {
		return nil, fmt.Errorf("ferry: checkpoint %s already holds run %s (%s): resume it, or use another directory", dir, info.RunID, info.Status)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	return &checkpoint{dir: dir, origin: origin, splits: map[string]SplitSummary{}, unlock: unlock}, nil
}

// ReadCheckpoint reads the checkpoint directory dir. A directory without a
// checkpoint gives an error wrapping fs.ErrNotExist; a corrupt or foreign
// one a clear error naming the file.
func ReadCheckpoint(dir string) (*CheckpointInfo, error) {
	name := filepath.Join(dir, checkpointFile)
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("ferry: checkpoint: %w", err)
	}
	var doc checkpointDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("ferry: checkpoint %s is corrupt: %v", name, err)
	}
	if doc.Format != checkpointFormat {
		return nil, fmt.Errorf("ferry: %s is not a Ferry checkpoint (format %q)", name, doc.Format)
	}
	if doc.Version != checkpointVersion {
		return nil, fmt.Errorf("ferry: checkpoint %s has version %d; this Ferry reads version %d", name, doc.Version, checkpointVersion)
	}
	if err := doc.Plan.check(); err != nil {
		return nil, fmt.Errorf("ferry: checkpoint %s: %w", name, err)
	}
	if doc.RunID != doc.Plan.RunID {
		return nil, fmt.Errorf("ferry: checkpoint %s names run %s but holds the plan of run %s", name, doc.RunID, doc.Plan.RunID)
	}
	info := &CheckpointInfo{Dir: dir, RunID: doc.RunID, Status: statusCopying, Origin: doc.Origin, Plan: doc.Plan}

	sname := filepath.Join(dir, statusFile)
	if b, err := os.ReadFile(sname); err == nil {
		var st statusDoc
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("ferry: checkpoint %s is corrupt: %v", sname, err)
		}
		if st.Format != checkpointFormat+"-status" || st.RunID != doc.RunID {
			return nil, fmt.Errorf("ferry: checkpoint %s does not belong to run %s", sname, doc.RunID)
		}
		info.Status, info.Error = st.Status, st.Error
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ferry: checkpoint: %w", err)
	}

	lname := filepath.Join(dir, splitsFile)
	if b, err := os.ReadFile(lname); err == nil {
		lines := bytes.Split(b, []byte("\n"))
		for i, line := range lines {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var s SplitSummary
			if err := json.Unmarshal(line, &s); err != nil {
				if i == len(lines)-1 {
					break // a line torn by a kill: that split is redone
				}
				return nil, fmt.Errorf("ferry: checkpoint %s line %d is corrupt: %v", lname, i+1, err)
			}
			if _, ok := doc.Plan.Split(s.ID); !ok {
				return nil, fmt.Errorf("ferry: checkpoint %s line %d names split %q, which the plan does not have", lname, i+1, s.ID)
			}
			info.Splits = append(info.Splits, s)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ferry: checkpoint: %w", err)
	}
	return info, nil
}

func openCheckpoint(dir string) (*checkpoint, error) {
	info, err := ReadCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	ck := &checkpoint{dir: dir, origin: info.Origin, plan: info.Plan, status: info.Status, splits: map[string]SplitSummary{}, unlock: unlock}
	for _, s := range info.Splits {
		ck.splits[s.ID] = s
	}
	return ck, nil
}

func (ck *checkpoint) close() {
	if ck != nil && ck.unlock != nil {
		ck.unlock()
		ck.unlock = nil
	}
}

func (ck *checkpoint) savePlan(pl *Plan) error {
	ck.mu.Lock()
	defer ck.mu.Unlock()
	doc := checkpointDoc{Format: checkpointFormat, Version: checkpointVersion, RunID: pl.RunID, Created: time.Now().UTC(), Origin: ck.origin, Plan: pl}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("ferry: checkpoint: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(ck.dir, checkpointFile), b); err != nil {
		return err
	}
	ck.plan = pl
	return ck.writeStatus(statusCopying, nil)
}

// saveSplit appends a finished split's account.
func (ck *checkpoint) saveSplit(s SplitSummary) error {
	ck.mu.Lock()
	defer ck.mu.Unlock()
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("ferry: checkpoint: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(ck.dir, splitsFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("ferry: checkpoint: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ferry: checkpoint: %w", err)
	}
	ck.splits[s.ID] = s
	return nil
}

// setStatus records the run's status; a failure to record it is logged by
// the caller's error path only, since the destination is the truth.
func (ck *checkpoint) setStatus(status string, cause error) {
	ck.mu.Lock()
	defer ck.mu.Unlock()
	ck.writeStatus(status, cause)
}

func (ck *checkpoint) writeStatus(status string, cause error) error {
	doc := statusDoc{Format: checkpointFormat + "-status", Version: checkpointVersion, RunID: ck.plan.RunID, Status: status, Updated: time.Now().UTC()}
	if cause != nil {
		doc.Error = cause.Error()
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	if err := writeFileAtomic(filepath.Join(ck.dir, statusFile), b); err != nil {
		return err
	}
	ck.status = status
	return nil
}

// writeFileAtomic writes name so that a kill leaves the old content or the
// new.
func writeFileAtomic(name string, b []byte) error {
	if err := atomicfile.WriteFile(name, b, 0o600); err != nil {
		return fmt.Errorf("ferry: checkpoint: %w", err)
	}
	return nil
}

// Resume finishes the run whose checkpoint is in dir, with a Reader and a
// Writer opened from the same configuration as the run's (CheckpointInfo's
// Origin says how the run opened them). It keeps the run's ID and plan: with
// a StageWriter it attaches to the stage, skips the splits the destination
// marks done, copies the others and commits once; a run whose commit had
// happened is only recorded as committed. A writer that cannot stage
// (SQLite, say) kept nothing of the failed run, so every split is copied
// again, and the Summary says so. The reader gets the plan's state; when
// that cannot be used any more (the snapshot died with the failed process)
// the reader's note on the consistency it gives instead is in the Summary.
//
// Resume takes ownership of r and w, as Run does. opts are the run's options
// (RunID and Checkpoint are taken from the checkpoint).
func Resume(ctx context.Context, dir string, r Reader, w Writer, opts *Options) (*Summary, error) {
	ck, err := openCheckpoint(dir)
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	defer ck.close()
	var o Options
	if opts != nil {
		o = *opts
	}
	o.RunID, o.Checkpoint = ck.plan.RunID, dir
	p := New(r, w, &o)
	p.ran.Store(true)
	p.run.resumed = true
	switch ck.status {
	case statusCommitted:
		p.run.committed = true
		p.run.note("the run was already committed; nothing was copied")
		p.Close()
		sum := p.run.summary()
		return sum, nil
	case statusAborted:
		p.Close()
		return nil, fmt.Errorf("ferry: run %s was aborted; there is nothing to resume", ck.plan.RunID)
	}
	return p.runAll(ctx, ck)
}

// resumeAttach prepares this process to finish the checkpointed run pl.
func (p *Pipeline) resumeAttach(ctx context.Context, pl *Plan, ck *checkpoint) error {
	r := p.run
	sw, staged := p.stager()
	if !staged || !pl.Staged {
		// Nothing of the failed run survived in the destination: the same
		// plan is copied again in full.
		if err := pl.check(); err != nil {
			return err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		rs, err := p.r.Schema(ctx)
		if err != nil {
			return fmt.Errorf("ferry: read schema: %w", err)
		}
		want, _ := decodeSchema(pl.ReaderSchema)
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
		if sr, ok := p.r.(StatefulReader); ok && len(pl.ReaderState) > 0 {
			note, err := sr.ImportState(ctx, pl.ReaderState)
			if err != nil {
				return fmt.Errorf("ferry: import reader state: %w", err)
			}
			if note != "" {
				r.note(note)
			}
		}
		r.note("the writer cannot stage a run, so the resumed run copied every split again")
		p.plan, p.planner, p.schema = pl, true, schema
		r.setPlan(pl)
		p.prepared = true
		if err := p.w.Prepare(ctx, schema); err != nil {
			err = fmt.Errorf("ferry: prepare writer: %w", err)
			return errors.Join(err, p.abortWriter(ctx, err))
		}
		p.negotiate()
		return nil
	}
	if err := p.attach(ctx, pl); err != nil {
		return err
	}
	// The planner's process is gone: this one may open batch writers.
	p.mu.Lock()
	p.planner = true
	p.mu.Unlock()
	st, err := sw.Status(ctx)
	if err != nil {
		return fmt.Errorf("ferry: stage status: %w", err)
	}
	if st.Aborted {
		return fmt.Errorf("ferry: run %s was aborted; there is nothing to resume", pl.RunID)
	}
	for _, m := range st.Done {
		i, ok := r.index[m.Split]
		if !ok {
			return fmt.Errorf("ferry: the destination marks split %q done, which run %s does not have", m.Split, pl.RunID)
		}
		s := &r.states[i]
		if prev, ok := ck.splits[m.Split]; ok {
			s.SplitSummary = prev
			r.rowsRead.Add(prev.RowsRead)
			r.rowsDirty.Add(prev.RowsDirty)
			r.rowsFiltered.Add(prev.RowsFiltered)
			r.counter.AddFinished(prev.RowsDirty)
		}
		s.ID, s.Done, s.Skipped, s.RowsWritten = m.Split, true, true, m.Rows
		r.rowsWritten.Add(m.Rows)
		r.splitsDone.Add(1)
		r.splitsSkipped.Add(1)
		r.rowsSkipped.Add(m.Rows)
		p.observe(Event{Kind: EventSplitSkipped, Split: m.Split, Rows: m.Rows})
	}
	if st.Committed {
		p.mu.Lock()
		p.ended, r.committed = true, true
		p.mu.Unlock()
		ck.setStatus(statusCommitted, nil)
		r.note("the destination shows the run committed: its commit had happened before the failure")
	}
	return nil
}
