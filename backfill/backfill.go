// Package backfill runs one instance of a job per business date (or per
// cycle, for hourly jobs) over a historical range, N at a time, with rate
// limits shared by all of them — DataWorks' "Data Backfill".
//
// Each instance gets its cycle time: in its parameters ${...} is the
// instance's business date and $[...] its scheduled time (the business date
// plus one day), exactly as schedparam resolves them. The job is written
// with partition-overwrite (or with its own pre/postSql) so that rerunning a
// date replaces that date's rows: a rerun of the range gives the same
// destination.
//
// A state file records each instance's outcome, so that OnlyFailed reruns
// just the dates that failed (or never ran).
package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/atomicfile"
	"github.com/ferrydata/ferry/schedparam"
)

// An Instance is one run of a backfill.
type Instance struct {
	// Key names the instance: its business date as yyyymmdd, or for jobs
	// that run several times a day its cycle time as yyyymmddhh24miss.
	Key string
	// BizDate is the instance's business date (what ${...} formats).
	BizDate time.Time
	// Cycle is the instance's scheduled time (what $[...] formats, and the
	// time to give schedparam.Resolve).
	Cycle time.Time
}

// RunFunc runs one instance: it builds the job's pipeline with the
// instance's parameters (schedparam.Resolve with in.Cycle), gives it limits
// (Options.SharedLimits), runs it and returns its Summary.
type RunFunc func(ctx context.Context, in Instance, limits *ferry.Limits) (*ferry.Summary, error)

// Backfill describes a backfill. From, To and Run are required.
type Backfill struct {
	// From and To are the first and last business dates, inclusive.
	From, To time.Time
	// Schedule says when the instances of one business date run (daily by
	// default, or every Schedule.Every) and in which time zone.
	Schedule schedparam.BackfillOptions
	// Parallel is how many instances run at once; 0 means 1.
	Parallel int
	// Limits, when set, are shared by every instance.
	Limits *ferry.Limits
	// Run runs one instance.
	Run RunFunc
	// StateFile, when set, records each instance's outcome (JSON) and is
	// read by OnlyFailed.
	StateFile string
	// OnlyFailed runs only the instances the state file does not record as
	// succeeded.
	OnlyFailed bool
	// FailFast stops starting instances after the first failure.
	FailFast bool
}

// Status is an instance's outcome.
type Status string

// The statuses.
const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped" // not run: already succeeded (OnlyFailed) or after a FailFast stop
)

// Result is one instance's line of the report.
type Result struct {
	Key         string        `json:"key"`
	BizDate     string        `json:"bizdate"`
	Cycle       time.Time     `json:"cycle"`
	Status      Status        `json:"status"`
	RowsRead    int64         `json:"rows_read"`
	RowsWritten int64         `json:"rows_written"`
	RowsDirty   int64         `json:"rows_dirty,omitempty"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Error       string        `json:"error,omitempty"`
	RunID       string        `json:"run_id,omitempty"`
}

// Report is the account of a backfill.
type Report struct {
	Results []Result `json:"results"`
}

// Failed returns the keys of the instances that failed.
func (r *Report) Failed() []string {
	var keys []string
	for _, res := range r.Results {
		if res.Status == StatusFailed {
			keys = append(keys, res.Key)
		}
	}
	return keys
}

// Table returns the report as a text table: one line per instance with its
// rows, time and status, and a total.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-19s %-8s %12s %12s %10s  %s\n", "instance", "scheduled", "status", "rows read", "rows written", "time", "error")
	var ok, failed, skipped int
	var rows int64
	for _, res := range r.Results {
		el := "-"
		if res.Status != StatusSkipped {
			el = res.Elapsed.Round(time.Millisecond).String()
		}
		fmt.Fprintf(&b, "%-16s %-19s %-8s %12d %12d %10s  %s\n", res.Key, res.Cycle.Format("2006-01-02 15:04:05"), res.Status, res.RowsRead, res.RowsWritten, el, res.Error)
		switch res.Status {
		case StatusOK:
			ok++
			rows += res.RowsWritten
		case StatusFailed:
			failed++
		default:
			skipped++
		}
	}
	fmt.Fprintf(&b, "%d instances: %d ok, %d failed, %d skipped; %d rows written\n", len(r.Results), ok, failed, skipped, rows)
	if failed > 0 {
		fmt.Fprintf(&b, "failed: %s (rerun them with OnlyFailed / --only-failed)\n", strings.Join(r.Failed(), ", "))
	}
	return b.String()
}

// ErrFailed is wrapped by Execute's error when instances failed.
var ErrFailed = errors.New("backfill: instances failed")

// Instances returns the backfill's instances, in order.
func (b *Backfill) Instances() ([]Instance, error) {
	cycles, err := schedparam.CycleTimes(b.From, b.To, b.Schedule)
	if err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	hourly := b.Schedule.Every != 0
	out := make([]Instance, len(cycles))
	for i, c := range cycles {
		in := Instance{Cycle: c, BizDate: schedparam.BizDate(c), Key: schedparam.BizDate(c).Format("20060102")}
		if hourly {
			in.Key = c.Format("20060102150405")
		}
		out[i] = in
	}
	return out, nil
}

// Execute runs the instances, Parallel at a time, and returns the report;
// its error wraps ErrFailed when any instance failed. A cancelled ctx stops
// starting instances and cancels the running ones.
func (b *Backfill) Execute(ctx context.Context) (*Report, error) {
	if b.Run == nil {
		return nil, errors.New("backfill: Run is nil")
	}
	insts, err := b.Instances()
	if err != nil {
		return nil, err
	}
	st, err := loadState(b.StateFile)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(insts))
	var todo []int
	for i, in := range insts {
		results[i] = Result{Key: in.Key, BizDate: in.BizDate.Format("20060102"), Cycle: in.Cycle, Status: StatusSkipped}
		if b.OnlyFailed {
			if prev, ok := st.Results[in.Key]; ok && prev.Status == StatusOK {
				results[i] = prev
				results[i].Status = StatusSkipped
				continue
			}
		}
		todo = append(todo, i)
	}

	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		stopped bool
	)
	sem := make(chan struct{}, max(1, b.Parallel))
	for _, i := range todo {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		mu.Lock()
		stop := stopped || ctx.Err() != nil
		mu.Unlock()
		if stop {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			res := b.runOne(ctx, insts[i])
			mu.Lock()
			defer mu.Unlock()
			results[i] = res
			if res.Status == StatusFailed && b.FailFast {
				stopped = true
			}
			if b.StateFile != "" {
				st.Results[res.Key] = res
				if err := st.save(b.StateFile); err != nil {
					results[i].Error += "; " + err.Error()
				}
			}
		})
	}
	wg.Wait()
	rep := &Report{Results: results}
	if f := rep.Failed(); len(f) > 0 {
		return rep, fmt.Errorf("%w: %d of %d (%s)", ErrFailed, len(f), len(insts), strings.Join(f, ", "))
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("backfill: %w", err)
	}
	return rep, nil
}

func (b *Backfill) runOne(ctx context.Context, in Instance) Result {
	res := Result{Key: in.Key, BizDate: in.BizDate.Format("20060102"), Cycle: in.Cycle}
	start := time.Now()
	sum, err := b.Run(ctx, in, b.Limits)
	res.Elapsed = time.Since(start)
	if sum != nil {
		res.RowsRead, res.RowsWritten, res.RowsDirty, res.RunID = sum.RowsRead, sum.RowsWritten, sum.RowsDirty, sum.RunID
	}
	if err != nil {
		res.Status, res.Error = StatusFailed, oneLine(err)
		return res
	}
	res.Status = StatusOK
	return res
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

const stateFormat = "ferry-backfill-state"

type state struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Results map[string]Result `json:"results"`
}

func loadState(name string) (*state, error) {
	st := &state{Format: stateFormat, Version: 1, Results: map[string]Result{}}
	if name == "" {
		return st, nil
	}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backfill: state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("backfill: state file %s is corrupt: %v", name, err)
	}
	if st.Format != stateFormat || st.Version != 1 {
		return nil, fmt.Errorf("backfill: %s is not a backfill state file (format %q version %d)", name, st.Format, st.Version)
	}
	if st.Results == nil {
		st.Results = map[string]Result{}
	}
	return st, nil
}

// save writes the state so that a kill leaves the old one or the new.
func (st *state) save(name string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(name, b, 0o600); err != nil {
		return fmt.Errorf("backfill: state: %w", err)
	}
	return nil
}
