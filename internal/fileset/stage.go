package fileset

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// StagePrefix starts the name of every stage directory:
// .ferry-stage.<target name>.<run ID>.
const StagePrefix = ".ferry-stage."

// RunMarker is the file in a directory output that names the run that
// wrote it and its files. Readers skip it (its name starts with "_").
const RunMarker = "_ferry_run.json"

// Names inside a stage directory.
const (
	stageInfo     = "stage.json"
	stageLock     = "lock"
	stagePlan     = "commit.json"
	stageDone     = "committed.json"
	stageAborted  = "aborted.json"
	stageOut      = "out"
	stageOld      = "old"
	markPrefix    = "m-"
	dataPrefix    = "a-"
	stageVersion  = 1
	emptySplitKey = "empty"
)

type stageMeta struct {
	Version int       `json:"version"`
	Run     string    `json:"run"`
	Target  string    `json:"target"`
	Mode    string    `json:"mode"`
	Created time.Time `json:"created"`
	Schema  string    `json:"schema"`
}

type splitMark struct {
	Split   string   `json:"split"`
	Attempt string   `json:"attempt"`
	Rows    int64    `json:"rows"`
	Files   []string `json:"files"`
}

type planFile struct {
	Src string `json:"src"` // in the stage
	Dst string `json:"dst"` // name in the output directory ("" for a file output)
}

type commitPlan struct {
	Version int        `json:"version"`
	Kind    string     `json:"kind"` // "file", "dir" or "add"
	Files   []planFile `json:"files"`
	Ino     uint64     `json:"ino,omitempty"`
	Rows    int64      `json:"rows"`
}

type runMarker struct {
	Run string `json:"run"`
	// FilePath: the output was named as a file (several files made it a
	// directory), so the next run may write it as one file again.
	FilePath bool     `json:"filePath,omitempty"`
	Rows     int64    `json:"rows"`
	Files    []string `json:"files"`
}

func (o *Output) stageDir(runID string) string {
	return filepath.Join(o.parent, StagePrefix+o.base+"."+runID)
}

func (o *Output) sp(name string) string { return filepath.Join(o.stage, name) }

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// PrepareStage creates the stage of run runID, or attaches to it when it
// exists (in this or another process). A new run first checks the target
// (insert never replaces a file; overwrite replaces only a directory of
// files Ferry wrote) and removes stale stages of other runs of the same
// target.
func (o *Output) PrepareStage(ctx context.Context, runID string, schema *arrow.Schema) error {
	if err := ferry.CheckRunID(runID); err != nil {
		return fmt.Errorf("%s: %w", o.cfg.Pkg, err)
	}
	if o.cfg.Check != nil {
		if err := o.cfg.Check(schema); err != nil {
			return err
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stage != "" {
		if o.runID == runID {
			return nil
		}
		return fmt.Errorf("%s: writer already prepared for run %s", o.cfg.Pkg, o.runID)
	}
	if err := os.MkdirAll(o.parent, 0o755); err != nil {
		return fmt.Errorf("%s: create directory %s: %w", o.cfg.Pkg, o.parent, err)
	}
	dir := o.stageDir(runID)
	meta := stageMeta{Version: stageVersion, Run: runID, Target: o.target, Mode: string(o.cfg.Mode), Created: time.Now().UTC(), Schema: schema.String()}
	for attempt := 0; ; attempt++ {
		fresh := false
		if !exists(dir) {
			if err := o.checkTarget(); err != nil {
				return err
			}
			if err := os.Mkdir(dir, 0o755); err == nil {
				fresh = true
			} else if !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s: create stage %s: %w", o.cfg.Pkg, dir, err)
			}
		}
		lock, err := lockShared(filepath.Join(dir, stageLock))
		if err != nil {
			if attempt < 3 && errors.Is(err, os.ErrNotExist) {
				continue // collected meanwhile
			}
			return fmt.Errorf("%s: lock stage %s: %w", o.cfg.Pkg, dir, err)
		}
		var got stageMeta
		b, err := os.ReadFile(filepath.Join(dir, stageInfo))
		switch {
		case err == nil:
			if err := json.Unmarshal(b, &got); err != nil || got.Version != stageVersion {
				lock.Close()
				return fmt.Errorf("%s: stage %s: unreadable %s (version %d): %v", o.cfg.Pkg, dir, stageInfo, got.Version, err)
			}
			if got.Target != o.target || got.Mode != meta.Mode || got.Schema != meta.Schema {
				lock.Close()
				return fmt.Errorf("%s: stage %s belongs to another configuration of run %s (target %s, mode %s)", o.cfg.Pkg, dir, runID, got.Target, got.Mode)
			}
		case errors.Is(err, os.ErrNotExist):
			if err := writeJSONAtomic(dir, stageInfo, meta); err != nil {
				lock.Close()
				if attempt < 3 && errors.Is(err, os.ErrNotExist) {
					continue
				}
				return fmt.Errorf("%s: stage %s: %w", o.cfg.Pkg, dir, err)
			}
		default:
			lock.Close()
			return fmt.Errorf("%s: stage %s: %w", o.cfg.Pkg, dir, err)
		}
		if exists(filepath.Join(dir, stageAborted)) {
			lock.Close()
			return fmt.Errorf("%s: run %s was aborted (stage %s)", o.cfg.Pkg, runID, dir)
		}
		o.stage, o.runID, o.schema, o.lock = dir, runID, schema, lock
		if fresh {
			// a new run cleans what killed runs of this target left
			if _, err := o.collect(ctx, o.cfg.StaleAge, false, true); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkTarget checks, before a new run, that the target can take its output.
func (o *Output) checkTarget() error {
	st, err := os.Lstat(o.target)
	if err != nil {
		return nil
	}
	switch {
	case o.cfg.Mode == ferry.ModeInsert && !o.dirTarget:
		return fmt.Errorf("%s: %s already exists (insert mode never replaces a file; use mode=overwrite, or a directory path to add files)", o.cfg.Pkg, o.target)
	case o.cfg.Mode == ferry.ModeOverwrite && st.IsDir():
		return o.replaceable(o.target)
	}
	return nil
}

// replaceable reports whether overwrite may replace path: a file, or a
// directory holding only part files and the run marker Ferry writes.
func (o *Output) replaceable(path string) error {
	st, err := os.Lstat(path)
	if err != nil || !st.IsDir() {
		return nil
	}
	es, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("%s: list %s: %w", o.cfg.Pkg, path, err)
	}
	for _, e := range es {
		if e.Name() == RunMarker || (e.Type().IsRegular() && IsPartName(e.Name())) {
			continue
		}
		return fmt.Errorf("%s: overwrite replaces the directory %s as a whole, and %s in it was not written by Ferry (move it away or write elsewhere)", o.cfg.Pkg, path, e.Name())
	}
	return nil
}

// IsPartName reports whether name is a part file name Ferry writes:
// part-<run>-<n><ext>.
func IsPartName(name string) bool {
	if !strings.HasPrefix(name, "part-") {
		return false
	}
	stem, _, _ := strings.Cut(name, ".")
	for _, c := range stem[len("part-"):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return len(stem) > len("part-")
}

func (o *Output) prepared() error {
	if o.stage == "" {
		return fmt.Errorf("%s: writer not prepared (call Prepare or PrepareStage)", o.cfg.Pkg)
	}
	return nil
}

func splitKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:8])
}

func newAttempt() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// OpenSplit returns a SplitWriter for one attempt at split splitID.
func (o *Output) OpenSplit(ctx context.Context, splitID string) (ferry.SplitWriter, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.prepared(); err != nil {
		return nil, err
	}
	if err := o.writable(); err != nil {
		return nil, err
	}
	return &SplitWriter{o: o, stage: o.stage, schema: o.schema, split: splitID, key: splitKey(splitID), attempt: newAttempt()}, nil
}

// writable reports an error once the run is committing, committed or aborted.
func (o *Output) writable() error {
	switch {
	case exists(o.sp(stageAborted)):
		return fmt.Errorf("%s: run %s was aborted", o.cfg.Pkg, o.runID)
	case exists(o.sp(stagePlan)):
		return fmt.Errorf("%s: run %s is committed (or committing): its splits cannot change", o.cfg.Pkg, o.runID)
	}
	return nil
}

// readMarks returns the durable split markers of the stage, by split ID.
func (o *Output) readMarks() ([]splitMark, error) {
	es, err := os.ReadDir(o.stage)
	if err != nil {
		return nil, fmt.Errorf("%s: list stage %s: %w", o.cfg.Pkg, o.stage, err)
	}
	var marks []splitMark
	for _, e := range es {
		n := e.Name()
		if !strings.HasPrefix(n, markPrefix) || !strings.HasSuffix(n, ".json") {
			continue
		}
		var m splitMark
		if err := readJSON(o.sp(n), &m); err != nil {
			return nil, fmt.Errorf("%s: stage %s: marker %s: %w", o.cfg.Pkg, o.stage, n, err)
		}
		marks = append(marks, m)
	}
	slices.SortFunc(marks, func(a, b splitMark) int { return strings.Compare(a.Split, b.Split) })
	return marks, nil
}

// Status lists the splits whose marker is durable and whether the run was
// committed or aborted.
func (o *Output) Status(ctx context.Context) (ferry.StageStatus, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.prepared(); err != nil {
		return ferry.StageStatus{}, err
	}
	var st ferry.StageStatus
	marks, err := o.readMarks()
	if err != nil {
		return st, err
	}
	for _, m := range marks {
		st.Done = append(st.Done, ferry.SplitMark{Split: m.Split, Rows: m.Rows})
	}
	st.Committed = o.committedLocked()
	st.Aborted = exists(o.sp(stageAborted))
	return st, nil
}

func (o *Output) committedLocked() bool {
	if exists(o.sp(stageDone)) {
		return true
	}
	var p commitPlan
	if readJSON(o.sp(stagePlan), &p) != nil {
		return false
	}
	return o.switched(&p)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// writeJSONAtomic writes v to dir/name through a temporary file, fsync
// and rename, then fsyncs dir.
func writeJSONAtomic(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".tmp-"+name+"-"+newAttempt())
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
