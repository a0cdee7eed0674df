package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/sqlshard"
)

// syncOrigin is what `ferry sync --checkpoint` keeps in the checkpoint so
// that `ferry resume` can reopen the same reader and writer: the URLs with
// their secrets masked, and the options of the run.
type syncOrigin struct {
	Command     string  `json:"command"` // "sync"
	From        string  `json:"from"`    // redacted
	To          string  `json:"to"`      // redacted, with the mode applied
	FromSecret  bool    `json:"from_secret,omitempty"`
	ToSecret    bool    `json:"to_secret,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	RowsPerSec  float64 `json:"rows_per_sec,omitempty"`
	BytesPerSec float64 `json:"bytes_per_sec,omitempty"`
	MaxDirty    int64   `json:"max_dirty,omitempty"`
	DirtyRatio  float64 `json:"max_dirty_ratio,omitempty"`
}

// resumers reopen the reader and writer of a checkpointed run, by the
// origin's command. Commands other than sync (ferry run) register theirs.
var resumers = map[string]func(ctx context.Context, origin json.RawMessage, rf resumeFlags) (ferry.Reader, ferry.Writer, *ferry.Options, error){
	"sync": reopenSync,
}

type resumeFlags struct {
	from, to  string
	dirtyFile string
	json      bool
	progress  string
	abort     bool
	logFormat string
	logLevel  string

	progressEvery time.Duration
}

func newSyncOrigin(f syncFlags, to string) (json.RawMessage, error) {
	o := syncOrigin{
		Command: "sync", From: ferry.Redact(f.from), To: ferry.Redact(to),
		Concurrency: f.concurrency, RowsPerSec: f.rowsPerSec, BytesPerSec: f.bytesPerSec,
		MaxDirty: f.maxDirty, DirtyRatio: f.maxDirtyRatio,
	}
	o.FromSecret, o.ToSecret = o.From != f.from, o.To != to
	return json.Marshal(o)
}

// reopenSync opens the reader and writer of a checkpointed `ferry sync`. A
// URL that held a secret must be given again (--from/--to), and must be the
// same URL once the secret is masked.
func reopenSync(ctx context.Context, origin json.RawMessage, rf resumeFlags) (ferry.Reader, ferry.Writer, *ferry.Options, error) {
	var o syncOrigin
	if err := json.Unmarshal(origin, &o); err != nil {
		return nil, nil, nil, fmt.Errorf("the checkpoint's origin is corrupt: %w", err)
	}
	from, err := sameURL("--from", o.From, o.FromSecret, rf.from)
	if err != nil {
		return nil, nil, nil, err
	}
	to, err := sameURL("--to", o.To, o.ToSecret, rf.to)
	if err != nil {
		return nil, nil, nil, err
	}
	opts := &ferry.Options{
		Concurrency: o.Concurrency, RowsPerSecond: o.RowsPerSec, BytesPerSecond: o.BytesPerSec,
		Dirty: policy(o.MaxDirty, o.DirtyRatio),
	}
	r, err := sqlshard.OpenReader(ctx, from, nil) // a sharded --from reopens as it was opened
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := ferry.OpenWriter(ctx, to)
	if err != nil {
		r.Close()
		return nil, nil, nil, err
	}
	return r, w, opts, nil
}

func sameURL(flagName, recorded string, secret bool, given string) (string, error) {
	switch {
	case given == "" && secret:
		return "", fmt.Errorf("the run's %s URL held a secret, which the checkpoint does not keep: give it again with %s", flagName, flagName)
	case given == "":
		return recorded, nil
	case ferry.Redact(given) != recorded:
		return "", fmt.Errorf("%s %s is not the URL the run used (%s)", flagName, ferry.Redact(given), recorded)
	}
	return given, nil
}

func runResume(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var rf resumeFlags
	fs := flag.NewFlagSet("ferry resume", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ferry resume [flags] DIR\n\nFinishes the run checkpointed in DIR (ferry sync --checkpoint DIR): done splits are\nskipped, the others copied, and the run commits once.\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&rf.from, "from", "", "the source URL again, when it held a password (it must be the run's URL)")
	fs.StringVar(&rf.to, "to", "", "the destination URL again, when it held a password")
	fs.StringVar(&rf.dirtyFile, "dirty-file", "", "write the resumed run's dirty rows to this JSON Lines file")
	fs.BoolVar(&rf.json, "json", false, "print the summary as JSON instead of the report")
	progressFlag(fs, &rf.progress, &rf.progressEvery)
	fs.StringVar(&rf.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&rf.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&rf.abort, "abort", false, "abort the run instead: drop its stage; the destination keeps its rows")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		return usageLine(fs, stderr, "give exactly one checkpoint directory")
	}
	if err := checkProgress(rf.progress, rf.progressEvery); err != nil {
		fmt.Fprintln(stderr, "ferry resume: "+err.Error())
		return 2
	}
	logger, err := newOpsLogger(stderr, rf.logFormat, rf.logLevel)
	if err != nil {
		return usageLine(fs, stderr, err.Error())
	}
	dir := fs.Arg(0)
	sum, err := doResume(ctx, dir, rf, logger, stderr)
	if sum != nil {
		if rf.json {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(sum)
		} else {
			fmt.Fprint(stdout, sum.Report())
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "ferry: "+strings.TrimPrefix(oneLine(err), "ferry: "))
		return 1
	}
	return 0
}

func doResume(ctx context.Context, dir string, rf resumeFlags, logger *slog.Logger, stderr io.Writer) (*ferry.Summary, error) {
	info, err := ferry.ReadCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	var head struct {
		Command string `json:"command"`
	}
	json.Unmarshal(info.Origin, &head)
	reopen, ok := resumers[head.Command]
	if !ok {
		return nil, fmt.Errorf("checkpoint %s was made by %q, which ferry resume cannot reopen", dir, head.Command)
	}
	r, w, opts, err := reopen(ctx, info.Origin, rf)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", dir, err)
	}
	opts.Logger = logger.With("job", head.Command)
	if rf.abort {
		p := ferry.New(r, w, opts)
		err := p.Abort(ctx, info.Plan, errors.New("ferry resume --abort"))
		return nil, errors.Join(err, p.Close())
	}
	if rf.dirtyFile != "" {
		sink, err := dirty.CreateFileSink(rf.dirtyFile)
		if err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
		opts.DirtySinks = []dirty.Sink{sink}
	}
	opts.Progress = newProgress(rf.progress, rf.progressEvery, stderr)
	return ferry.Resume(ctx, dir, r, w, opts)
}
