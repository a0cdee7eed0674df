package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/job"
)

// runOrigin is what `ferry run --checkpoint` keeps in the checkpoint so
// that `ferry resume` can reopen the same job: the job and catalog files
// and everything that resolved it, the scheduled time included (so the
// resumed run reads the same dates). It holds no secret: ${env:...} values
// are read again from the environment.
type runOrigin struct {
	Command string            `json:"command"` // "run"
	Job     string            `json:"job"`
	Catalog string            `json:"catalog,omitempty"`
	Env     string            `json:"env"`
	CycTime time.Time         `json:"cyctime"`
	Params  map[string]string `json:"params,omitempty"`
	Vars    map[string]string `json:"vars,omitempty"`
	// State and CursorKey are the cursor store and key of a job with a
	// cursor: the resumed run reads the rows past the same saved cursor.
	State     string `json:"state,omitempty"`
	CursorKey string `json:"cursor_key,omitempty"`
}

func init() {
	resumers["run"] = reopenRun
}

func newRunOrigin(p *job.Parsed, f jobFlags, args []string) (json.RawMessage, error) {
	opts, err := jobOptions(f)
	if err != nil {
		return nil, err
	}
	for k := range opts.Vars {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
			return nil, fmt.Errorf("--checkpoint: the variable -D%s looks like a secret, which a checkpoint must not keep; put it in the job as ${env:NAME}", k)
		}
	}
	jobPath, err := filepath.Abs(args[len(args)-1])
	if err != nil {
		return nil, err
	}
	o := runOrigin{Command: "run", Job: jobPath, Env: p.Env, CycTime: p.CycTime, Params: opts.Params, Vars: opts.Vars}
	if p.Cursor != nil {
		store, err := cursorStore(f.state)
		if err != nil {
			return nil, err
		}
		o.State, o.CursorKey = store.Path, jobCursorKey(p, jobPath)
	}
	if f.catalog != "" {
		if o.Catalog, err = filepath.Abs(f.catalog); err != nil {
			return nil, err
		}
	}
	return json.Marshal(o)
}

// reopenRun parses the checkpointed job again as the run resolved it and
// opens its reader and writer.
func reopenRun(ctx context.Context, origin json.RawMessage, rf resumeFlags) (ferry.Reader, ferry.Writer, *ferry.Options, error) {
	if rf.from != "" || rf.to != "" {
		return nil, nil, nil, errors.New("--from and --to are for checkpoints of ferry sync; a job's URLs come from its file and catalog")
	}
	var o runOrigin
	if err := json.Unmarshal(origin, &o); err != nil {
		return nil, nil, nil, fmt.Errorf("the checkpoint's origin is corrupt: %w", err)
	}
	opts := &job.Options{Env: o.Env, CycTime: o.CycTime, Params: o.Params, Vars: o.Vars}
	if o.Catalog != "" {
		c, err := job.LoadCatalog(o.Catalog)
		if err != nil {
			return nil, nil, nil, err
		}
		opts.Catalog = c
	}
	p, err := job.ParseFile(o.Job, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	// A resumed cursor job reads past the cursor the original run started
	// from; the resume does not save the new cursor (ferry.Resume runs the
	// pipeline, not job's Run), so the next run repeats those rows (upsert
	// absorbs them) and never skips any.
	ro := &job.RunOptions{}
	if o.State != "" {
		ro.CursorStore, ro.CursorKey = cursor.FileStore{Path: o.State}, o.CursorKey
	}
	op, err := p.Open(ctx, ro)
	if err != nil {
		return nil, nil, nil, err
	}
	return op.Reader, op.Writer, &op.Options, nil
}
