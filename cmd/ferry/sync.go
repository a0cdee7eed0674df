package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/job"
	"github.com/ferrydata/ferry/reader/sqlshard"
)

type syncFlags struct {
	from, to      string
	mode          string
	concurrency   int
	rowsPerSec    float64
	bytesPerSec   float64
	maxDirty      int64
	maxDirtyRatio float64
	dirtyFile     string
	json          bool
	progress      string
	progressEvery time.Duration
	checkpoint    string
	state         string
	noPassthrough bool
	ops           opsFlags
}

func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f syncFlags
	fs := flag.NewFlagSet("ferry sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&onceFlag{v: &f.from}, "from", "source URL, e.g. sqlite:///data/shop.db?table=orders (required)")
	fs.Var(&onceFlag{v: &f.to}, "to", "destination URL, e.g. parquet:///out/orders.parquet (required). "+urlHelpNote)
	fs.StringVar(&f.mode, "mode", "", "write mode: insert, overwrite, upsert, replace or partition-overwrite (default: the URL's mode, else insert)")
	fs.IntVar(&f.concurrency, "concurrency", 0, "workers (default: one per CPU)")
	fs.Float64Var(&f.rowsPerSec, "rows-per-sec", 0, "limit on written rows per second (0: none)")
	fs.Float64Var(&f.bytesPerSec, "bytes-per-sec", 0, "limit on written bytes per second (0: none)")
	fs.Int64Var(&f.maxDirty, "max-dirty", 0, "dirty rows tolerated: 0 fails on the first, -1 tolerates any number")
	fs.Float64Var(&f.maxDirtyRatio, "max-dirty-ratio", 0, "also fail when dirty rows exceed this fraction of rows read (0: no ratio limit)")
	fs.StringVar(&f.dirtyFile, "dirty-file", "", "write every dirty row with its reason to this JSON Lines file")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON instead of the report")
	progressFlag(fs, &f.progress, &f.progressEvery)
	fs.StringVar(&f.checkpoint, "checkpoint", "", "keep the run's plan and state in this directory, so that ferry resume DIR can finish it after a failure or a kill")
	fs.StringVar(&f.state, "state", "", "cursor state: a .json file or a directory (default: $XDG_STATE_HOME/ferry/cursors); used when --from has cursor=COL[,COL]")
	fs.BoolVar(&f.noPassthrough, "no-passthrough", false, "decode every batch, even where the destination could take the source's wire encoding as it is (PostgreSQL to PostgreSQL)")
	registerOpsFlags(fs, &f.ops)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if f.from == "" || f.to == "" || fs.NArg() > 0 {
		return usageLine(fs, stderr, "--from and --to are required, and nothing else may follow the flags")
	}
	if err := f.check(); err != nil {
		fmt.Fprintln(stderr, "ferry sync: "+err.Error())
		return 2
	}
	// ${env:NAME} in a URL keeps the secret off the command line.
	var secrets []string
	for _, u := range []*string{&f.from, &f.to} {
		x, used, err := job.ExpandEnv(*u, nil)
		if err != nil {
			fmt.Fprintln(stderr, "ferry sync: "+strings.TrimPrefix(err.Error(), "job: "))
			return 2
		}
		*u, secrets = x, append(secrets, used...)
	}
	mask := func(s string) string {
		for _, v := range secrets {
			if len(v) >= 3 {
				s = strings.ReplaceAll(s, v, "xxxxx")
			}
		}
		return s
	}
	sum, err := doSync(ctx, f, stderr)
	if sum != nil {
		printMasked(stdout, f.json, sum, sum.Report, mask)
	} else if err != nil && f.json {
		printFailureJSON(stdout, failureJSON{Error: oneLine(err), Source: f.from, Destination: f.to, Mode: f.mode}, mask)
	}
	if err != nil {
		return failed(stderr, err, mask)
	}
	return 0
}

// check reports flag values that are usage errors, before anything
// connects.
func (f syncFlags) check() error {
	switch {
	case f.concurrency < 0:
		return fmt.Errorf("--concurrency %d: want 0 (one per CPU) or more", f.concurrency)
	case f.rowsPerSec < 0 || f.bytesPerSec < 0:
		return errors.New("--rows-per-sec and --bytes-per-sec must not be negative")
	case f.maxDirty < -1:
		return fmt.Errorf("--max-dirty %d: want -1 (any), 0 or more", f.maxDirty)
	case f.maxDirtyRatio < 0 || f.maxDirtyRatio > 1:
		return fmt.Errorf("--max-dirty-ratio %g: want a fraction between 0 and 1", f.maxDirtyRatio)
	}
	if err := checkProgress(f.progress, f.progressEvery); err != nil {
		return err
	}
	if err := f.ops.checkGate(); err != nil {
		return err
	}
	if f.mode != "" {
		if _, err := ferry.ParseWriteMode(f.mode); err != nil {
			return fmt.Errorf("--mode: %s", strings.TrimPrefix(err.Error(), "ferry: "))
		}
	}
	return nil
}

func doSync(ctx context.Context, f syncFlags, stderr io.Writer) (*ferry.Summary, error) {
	to, err := withMode(f.to, f.mode)
	if err != nil {
		return nil, err
	}
	opts := &ferry.Options{
		Concurrency:    f.concurrency,
		RowsPerSecond:  f.rowsPerSec,
		BytesPerSecond: f.bytesPerSec,
		Dirty:          policy(f.maxDirty, f.maxDirtyRatio),
		Checkpoint:     f.checkpoint,
		NoPassthrough:  f.noPassthrough,
	}
	if f.checkpoint != "" {
		if opts.CheckpointOrigin, err = newSyncOrigin(f, to); err != nil {
			return nil, err
		}
	}
	if f.dirtyFile != "" {
		sink, err := dirty.CreateFileSink(f.dirtyFile)
		if err != nil {
			return nil, err
		}
		opts.DirtySinks = []dirty.Sink{sink}
	}
	opts.Progress = newProgress(f.progress, f.progressEvery, stderr)
	from, cur, err := openCursor(f.from, to, f.state)
	if err != nil {
		closeSinks(opts.DirtySinks)
		return nil, err
	}
	if cur != nil {
		opts.Checks = append(opts.Checks, cur.tracker)
	}
	ops, err := setupOps(ctx, &f.ops, opsRun{Command: "sync", Params: map[string]string{"from": ferry.Redact(f.from), "to": ferry.Redact(to)}}, opts, stderr)
	if err != nil {
		closeSinks(opts.DirtySinks)
		return nil, usageError{err}
	}
	w, err := ferry.OpenWriter(ctx, to)
	if err != nil {
		closeSinks(opts.DirtySinks)
		ops.Finish(nil, err)
		return nil, err
	}
	if wm, ok := w.(ferry.Warmer); ok {
		wm.Warm(ctx) // the writer dials while the reader opens
	}
	r, err := sqlshard.OpenReader(ctx, from, nil)
	if err != nil {
		w.Close()
		closeSinks(opts.DirtySinks)
		ops.Finish(nil, err)
		return nil, err
	}
	sum, err := ferry.New(r, w, opts).Run(ctx)
	if err == nil && cur != nil {
		err = cur.save(sum)
	}
	ops.Finish(sum, err)
	return sum, err
}

func closeSinks(sinks []dirty.Sink) {
	for _, s := range sinks {
		s.Close()
	}
}

// withMode sets the destination URL's mode parameter from --mode.
func withMode(to, mode string) (string, error) {
	if mode == "" {
		return to, nil
	}
	m, err := ferry.ParseWriteMode(mode)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(to)
	if err != nil {
		return "", fmt.Errorf("malformed --to URL %s", ferry.Redact(to))
	}
	q := u.Query()
	q.Set("mode", string(m))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func policy(maxDirty int64, ratio float64) dirty.Policy {
	var p dirty.Policy
	switch {
	case maxDirty < 0:
		p = dirty.IgnoreAll()
	case maxDirty > 0:
		p = dirty.TolerateRows(maxDirty)
	case ratio > 0:
		p = dirty.IgnoreAll() // only the ratio limits
	}
	p.MaxRatio = ratio
	return p
}

// oneLine flattens a (possibly joined) error onto one line.
func oneLine(err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return "failed without a message"
	}
	return strings.Join(parts, "; ")
}

func runSchemes(stdout io.Writer) int {
	mux := ferry.DefaultURLMux()
	fmt.Fprintf(stdout, "readers: %s\nwriters: %s\n", strings.Join(mux.ReaderSchemes(), ", "), strings.Join(mux.WriterSchemes(), ", "))
	return 0
}
