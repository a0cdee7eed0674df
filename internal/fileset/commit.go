package fileset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
)

var errNoExchange = errors.New("atomic exchange not supported")

// forceNoExchange makes Commit use the two-rename fallback (tests).
var forceNoExchange bool

// renameIfAbsent is the fallback of renameNoReplace (racy between the
// check and the rename, which the stage lock makes moot for our own runs).
func renameIfAbsent(a, b string) error {
	if exists(b) {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: os.ErrExist}
	}
	return os.Rename(a, b)
}

// Commit makes the files of every marked split the output in one step (see
// Output). It is idempotent, works in any process attached with
// PrepareStage, and a Commit that was killed half-way is finished by the
// next one.
func (o *Output) Commit(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.prepared(); err != nil {
		return err
	}
	if exists(o.sp(stageAborted)) {
		return fmt.Errorf("%s: run %s was aborted: nothing to commit", o.cfg.Pkg, o.runID)
	}
	var p commitPlan
	if exists(o.sp(stageDone)) {
		if err := readJSON(o.sp(stagePlan), &p); err == nil {
			o.outputs = o.outputNames(&p)
		}
		return nil
	}
	if err := readJSON(o.sp(stagePlan), &p); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: stage %s: %s: %w", o.cfg.Pkg, o.stage, stagePlan, err)
		}
		if p, err = o.makePlan(); err != nil {
			return err
		}
	}
	if !o.switched(&p) {
		if err := o.doSwitch(&p); err != nil {
			return err
		}
	}
	crashpoint.Hit("fileset.commit.after-switch")
	if err := writeJSONAtomic(o.stage, stageDone, map[string]any{"run": o.runID, "committed": time.Now().UTC()}); err != nil {
		return fmt.Errorf("%s: mark run %s committed: %w", o.cfg.Pkg, o.runID, err)
	}
	o.outputs = o.outputNames(&p)
	o.cleanStage(false)
	return nil
}

func (o *Output) outputNames(p *commitPlan) []string {
	if p.Kind == "file" {
		return []string{o.target}
	}
	out := make([]string, len(p.Files))
	for i, f := range p.Files {
		out[i] = filepath.Join(o.target, f.Dst)
	}
	return out
}

// makePlan gathers the marked files, builds the new output in the stage
// (a directory out/ for several files) and writes the plan.
func (o *Output) makePlan() (commitPlan, error) {
	p := commitPlan{Version: stageVersion}
	marks, err := o.readMarks()
	if err != nil {
		return p, err
	}
	var srcs []string
	for _, m := range marks {
		srcs = append(srcs, m.Files...)
		p.Rows += m.Rows
	}
	if len(srcs) == 0 {
		// no rows at all: one empty file (a header, a footer)
		name := fmt.Sprintf("%s%s-0%s", dataPrefix, emptySplitKey, o.ext)
		if !exists(o.sp(name)) {
			os.Remove(o.sp(name + ".tmp"))
			fw, err := o.startFile(o.sp(name+".tmp"), o.schema)
			if err != nil {
				return p, err
			}
			if err := fw.finish(); err != nil {
				return p, fmt.Errorf("%s: write %s: %w", o.cfg.Pkg, name, err)
			}
			if err := os.Rename(o.sp(name+".tmp"), o.sp(name)); err != nil {
				return p, fmt.Errorf("%s: %w", o.cfg.Pkg, err)
			}
		}
		srcs = []string{name}
	}
	switch {
	case o.dirTarget && o.cfg.Mode == ferry.ModeInsert && isDir(o.target):
		p.Kind = "add"
	case !o.dirTarget && len(srcs) == 1:
		p.Kind = "file"
	default:
		p.Kind = "dir"
	}
	for i, s := range srcs {
		f := planFile{Src: s}
		if p.Kind != "file" {
			f.Dst = fmt.Sprintf("part-%s-%05d%s", o.runID, i, o.ext)
		}
		p.Files = append(p.Files, f)
	}
	switch p.Kind {
	case "file":
		st, err := os.Lstat(o.sp(srcs[0]))
		if err != nil {
			return p, fmt.Errorf("%s: stage %s: %w", o.cfg.Pkg, o.stage, err)
		}
		p.Ino = inode(st)
	case "dir":
		out := o.sp(stageOut)
		if err := os.Mkdir(out, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return p, fmt.Errorf("%s: %w", o.cfg.Pkg, err)
		}
		rm := runMarker{Run: o.runID, Rows: p.Rows, FilePath: !o.dirTarget}
		want := map[string]bool{RunMarker: true}
		for _, f := range p.Files {
			want[f.Dst] = true
		}
		if es, err := os.ReadDir(out); err == nil {
			for _, e := range es {
				if !want[e.Name()] {
					os.RemoveAll(filepath.Join(out, e.Name())) // an earlier, killed Commit's
				}
			}
		}
		for _, f := range p.Files {
			rm.Files = append(rm.Files, f.Dst)
			if exists(o.sp(f.Src)) {
				if err := os.Rename(o.sp(f.Src), filepath.Join(out, f.Dst)); err != nil {
					return p, fmt.Errorf("%s: %w", o.cfg.Pkg, err)
				}
			} else if !exists(filepath.Join(out, f.Dst)) {
				return p, fmt.Errorf("%s: stage %s lost %s", o.cfg.Pkg, o.stage, f.Src)
			}
		}
		if err := writeJSONAtomic(out, RunMarker, rm); err != nil {
			return p, fmt.Errorf("%s: %w", o.cfg.Pkg, err)
		}
		st, err := os.Lstat(out)
		if err != nil {
			return p, fmt.Errorf("%s: %w", o.cfg.Pkg, err)
		}
		p.Ino = inode(st)
	}
	if err := syncDir(o.stage); err != nil {
		return p, fmt.Errorf("%s: sync %s: %w", o.cfg.Pkg, o.stage, err)
	}
	crashpoint.Hit("fileset.commit.before-plan")
	if err := writeJSONAtomic(o.stage, stagePlan, p); err != nil {
		return p, fmt.Errorf("%s: write commit plan in %s: %w", o.cfg.Pkg, o.stage, err)
	}
	return p, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// newPath is where the plan's new output waits in the stage.
func (o *Output) newPath(p *commitPlan) string {
	if p.Kind == "file" {
		return o.sp(p.Files[0].Src)
	}
	return o.sp(stageOut)
}

// switched reports whether the plan's switch happened.
func (o *Output) switched(p *commitPlan) bool {
	if p.Kind == "add" {
		for _, f := range p.Files {
			if exists(o.sp(f.Src)) || !exists(filepath.Join(o.target, f.Dst)) {
				return false
			}
		}
		return true
	}
	st, err := os.Lstat(o.target)
	return err == nil && p.Ino != 0 && inode(st) == p.Ino
}

// doSwitch puts the new output in place of the target.
func (o *Output) doSwitch(p *commitPlan) error {
	pkg := o.cfg.Pkg
	if p.Kind == "add" {
		for _, f := range p.Files {
			crashpoint.Hit("fileset.commit.add")
			if !exists(o.sp(f.Src)) {
				continue
			}
			dst := filepath.Join(o.target, f.Dst)
			if err := renameNoReplace(o.sp(f.Src), dst); err != nil {
				if errors.Is(err, os.ErrExist) {
					return fmt.Errorf("%s: %s already exists (insert mode never replaces a file)", pkg, dst)
				}
				return fmt.Errorf("%s: %w", pkg, err)
			}
		}
		return o.syncDirErr(o.target)
	}
	newp := o.newPath(p)
	crashpoint.Hit("fileset.commit.switch")
	_, err := os.Lstat(o.target)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// first output, or the fallback's second rename
		if err := renameNoReplace(newp, o.target); err != nil {
			return fmt.Errorf("%s: rename %s to %s: %w", pkg, newp, o.target, err)
		}
	case err != nil:
		return fmt.Errorf("%s: %w", pkg, err)
	case o.cfg.Mode == ferry.ModeInsert:
		return fmt.Errorf("%s: %s already exists (insert mode never replaces a file; use mode=overwrite)", pkg, o.target)
	default:
		if err := o.replaceable(o.target); err != nil {
			return err
		}
		err := errNoExchange
		if !forceNoExchange {
			err = exchange(newp, o.target)
		}
		if errors.Is(err, errNoExchange) {
			// two renames: a reader sees no output between them, and a
			// kill there is finished by the next Commit (or undone by
			// Abort and CollectStages)
			if err := os.Rename(o.target, o.sp(stageOld)); err != nil {
				return fmt.Errorf("%s: move old output %s aside: %w", pkg, o.target, err)
			}
			crashpoint.Hit("fileset.commit.between-renames")
			err = os.Rename(newp, o.target)
		}
		if err != nil {
			return fmt.Errorf("%s: switch %s to the new output: %w", pkg, o.target, err)
		}
	}
	return o.syncDirErr(o.parent)
}

func (o *Output) syncDirErr(dir string) error {
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("%s: sync %s: %w", o.cfg.Pkg, dir, err)
	}
	return nil
}

// cleanStage removes the stage's data (after Commit: the old output too),
// keeping its metadata and markers so Status still answers. all also
// removes the plan.
func (o *Output) cleanStage(all bool) {
	es, err := os.ReadDir(o.stage)
	if err != nil {
		return
	}
	for _, e := range es {
		n := e.Name()
		switch {
		case n == stageInfo || n == stageLock || n == stageDone || n == stageAborted:
		case n == stagePlan && !all:
		case strings.HasPrefix(n, markPrefix) && strings.HasSuffix(n, ".json"):
		default:
			os.RemoveAll(o.sp(n))
		}
	}
}

// Abort drops the stage's data; the target is left as it was (a Commit
// killed half-way is undone). It works in any process attached with
// PrepareStage, and fails once the run is committed.
func (o *Output) Abort(ctx context.Context, cause error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.prepared(); err != nil {
		return err
	}
	return o.abortLocked()
}

func (o *Output) abortLocked() error {
	if o.committedLocked() {
		return fmt.Errorf("%s: run %s is already committed", o.cfg.Pkg, o.runID)
	}
	if err := writeJSONAtomic(o.stage, stageAborted, map[string]any{"run": o.runID, "aborted": time.Now().UTC()}); err != nil {
		return fmt.Errorf("%s: mark run %s aborted: %w", o.cfg.Pkg, o.runID, err)
	}
	if err := o.undo(); err != nil {
		return err
	}
	o.cleanStage(true)
	return nil
}

// undo reverts a Commit killed before its switch completed.
func (o *Output) undo() error {
	var p commitPlan
	if readJSON(o.sp(stagePlan), &p) != nil {
		return nil
	}
	if p.Kind == "add" {
		for _, f := range p.Files {
			if !exists(o.sp(f.Src)) {
				os.Remove(filepath.Join(o.target, f.Dst))
			}
		}
		return nil
	}
	if exists(o.sp(stageOld)) && !exists(o.target) {
		if err := os.Rename(o.sp(stageOld), o.target); err != nil {
			return fmt.Errorf("%s: put the old output back at %s: %w", o.cfg.Pkg, o.target, err)
		}
	}
	return nil
}

// CollectStages removes the stages of other runs of this target that no
// live process holds (by its flock) and that are older than minAge, and
// returns their paths. A stage killed in the middle of its Commit is undone
// first (the old output is put back where the fallback had moved it
// aside). With dryRun it only lists them.
func (o *Output) CollectStages(ctx context.Context, minAge time.Duration, dryRun bool) ([]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.collect(ctx, minAge, dryRun, false)
}

func (o *Output) collect(ctx context.Context, minAge time.Duration, dryRun, doneAnyAge bool) ([]string, error) {
	es, err := os.ReadDir(o.parent)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: list %s: %w", o.cfg.Pkg, o.parent, err)
	}
	prefix := StagePrefix + o.base + "."
	var out []string
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		n := e.Name()
		run, ok := strings.CutPrefix(n, prefix)
		if !ok || !e.IsDir() || strings.Contains(run, ".") || ferry.CheckRunID(run) != nil || run == o.runID {
			continue
		}
		dir := filepath.Join(o.parent, n)
		lock, err := tryLockExclusive(filepath.Join(dir, stageLock))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return out, fmt.Errorf("%s: lock stage %s: %w", o.cfg.Pkg, dir, err)
		}
		if err == nil && lock == nil {
			continue // a live run holds it
		}
		var meta stageMeta
		created := time.Time{}
		if readJSON(filepath.Join(dir, stageInfo), &meta) == nil {
			created = meta.Created
		} else if fi, err := e.Info(); err == nil {
			created = fi.ModTime()
		}
		done := exists(filepath.Join(dir, stageDone)) || exists(filepath.Join(dir, stageAborted))
		if time.Since(created) < minAge && !(doneAnyAge && done) {
			if lock != nil {
				lock.Close()
			}
			continue
		}
		if !dryRun {
			other := &Output{cfg: o.cfg, target: o.target, dirTarget: o.dirTarget, parent: o.parent, base: o.base, ext: o.ext, stage: dir, runID: run}
			if !other.committedLocked() {
				if err := other.undo(); err != nil {
					if lock != nil {
						lock.Close()
					}
					return out, err
				}
			}
			if err := os.RemoveAll(dir); err != nil {
				if lock != nil {
					lock.Close()
				}
				return out, fmt.Errorf("%s: remove stage %s: %w", o.cfg.Pkg, dir, err)
			}
		}
		if lock != nil {
			lock.Close()
		}
		out = append(out, dir)
	}
	return out, nil
}
