package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/job"
	"github.com/ferrydata/ferry/schedparam"
)

// jobFlags are the flags of ferry run, plan and check.
type jobFlags struct {
	bizdate, cyctime, timezone string
	params                     multiFlag
	dataxVars                  multiFlag
	catalog, env               string
	json                       bool
	progress                   string
	progressEvery              time.Duration
	dirtyFile                  string
	checkpoint                 string
	state                      string
	ops                        opsFlags
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func jobFlagSet(cmd string, f *jobFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ferry "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.bizdate, "bizdate", "", "business date YYYYMMDD (the run is scheduled the day after, at 00:00)")
	fs.StringVar(&f.cyctime, "cyctime", "", "scheduled time YYYYMMDDHHMMSS (default: now); the business date is the day before")
	fs.StringVar(&f.timezone, "timezone", "UTC", "time zone of --bizdate, --cyctime and now (an IANA name such as Asia/Shanghai)")
	fs.Var(&f.params, "param", "custom scheduling parameter name=expr, e.g. 'pt=${yyyy-mm-dd}' (repeatable)")
	fs.Var(&f.dataxVars, "p", `DataX variables as datax.py takes them: -p "-Dname=value -Dother=v2" (repeatable)`)
	fs.StringVar(&f.catalog, "catalog", "", "data-source catalog file: {\"NAME\": {\"dev\": URL, \"prod\": URL}}")
	fs.StringVar(&f.env, "env", "dev", "environment of the catalog entries: dev or prod")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of text")
	if cmd == "run" {
		progressFlag(fs, &f.progress, &f.progressEvery)
		fs.StringVar(&f.dirtyFile, "dirty-file", "", "write every dirty row with its reason to this JSON Lines file")
		fs.StringVar(&f.checkpoint, "checkpoint", "", "keep the run's plan and state in this directory, so that `ferry resume DIR` can finish a failed run")
	}
	if cmd == "run" {
		fs.StringVar(&f.state, "state", "", "cursor state of a job with a cursor: a .json file or a directory (default: $XDG_STATE_HOME/ferry/cursors, keyed by the job)")
		registerOpsFlags(fs, &f.ops)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ferry %s [flags] JOB\n\n%s\n\nflags:\n", cmd, jobUsage[cmd])
		fs.PrintDefaults()
	}
	return fs
}

var jobUsage = map[string]string{
	"run":      "Runs a DataX, DataWorks or Ferry job file and prints its report.",
	"plan":     "Shows what a job would do: the resolved job (secrets masked), the source's splits, the column mapping\nwith types, and what each side runs. It connects to both sides but writes nothing and runs no pre/postSql.",
	"backfill": "Runs one instance of a job per business date from --from to --to (DataWorks' Data Backfill): in each,\n${...} is the instance's business date and $[...] its scheduled time. Write with partition-overwrite (or the job's\npre/postSql) so that a rerun replaces each date. Failed dates are listed; --only-failed reruns just those.",
	"check":    "Validates a job file, connects to both sides and checks that the tables and mapped columns exist and that\nvalues convert. It writes nothing.",
}

// parseJob turns the flags and the job file into a parsed job; a usage
// error is reported with usage == true.
func parseJob(cmd string, args []string, stdout, stderr io.Writer) (p *job.Parsed, f jobFlags, code int) {
	fs := jobFlagSet(cmd, &f, stderr)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return nil, f, code
	}
	if fs.NArg() != 1 {
		return nil, f, usageLine(fs, stderr, "give one job file after the flags")
	}
	opts, err := jobOptions(f)
	if err != nil {
		fmt.Fprintf(stderr, "ferry %s: %v\n", cmd, err)
		return nil, f, 2
	}
	if f.catalog != "" {
		c, err := job.LoadCatalog(f.catalog)
		if err != nil {
			if f.json {
				printFailureJSON(stdout, failureJSON{Error: oneLine(err), Job: fs.Arg(0)}, nil)
			}
			return nil, f, failed(stderr, err, nil)
		}
		opts.Catalog = c
	}
	p, err = job.ParseFile(fs.Arg(0), opts)
	if err != nil {
		if f.json {
			printFailureJSON(stdout, failureJSON{Error: oneLine(err), Job: fs.Arg(0)}, nil)
		}
		return nil, f, failed(stderr, err, nil)
	}
	return p, f, -1
}

func jobOptions(f jobFlags) (*job.Options, error) {
	loc, err := time.LoadLocation(f.timezone)
	if err != nil {
		return nil, fmt.Errorf("--timezone %q: %v", f.timezone, err)
	}
	o := &job.Options{Env: f.env, Params: map[string]string{}, Vars: map[string]string{}}
	if f.env != job.EnvDev && f.env != job.EnvProd {
		return nil, fmt.Errorf("--env %q: want dev or prod", f.env)
	}
	if f.progress != "" {
		if err := checkProgress(f.progress, f.progressEvery); err != nil {
			return nil, err
		}
	}
	if err := f.ops.checkGate(); err != nil {
		return nil, err
	}
	switch {
	case f.bizdate != "" && f.cyctime != "":
		return nil, errors.New("give --bizdate or --cyctime, not both")
	case f.bizdate != "":
		cs, err := schedparam.CycleTimesForDates(f.bizdate, f.bizdate, schedparam.BackfillOptions{Location: loc})
		if err != nil {
			return nil, fmt.Errorf("--bizdate: %v", err)
		}
		o.CycTime = cs[0]
	case f.cyctime != "":
		t, err := time.ParseInLocation("20060102150405", f.cyctime, loc)
		if err != nil {
			return nil, fmt.Errorf("--cyctime %q: want YYYYMMDDHHMMSS", f.cyctime)
		}
		o.CycTime = t
	default:
		o.CycTime = time.Now().In(loc).Truncate(time.Second)
	}
	for _, p := range f.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want name=expr", p)
		}
		o.Params[k] = v
	}
	for _, s := range f.dataxVars {
		vars, err := parseDataXVars(s)
		if err != nil {
			return nil, err
		}
		for k, v := range vars {
			o.Vars[k] = v
		}
	}
	return o, nil
}

// parseDataXVars parses datax.py's -p argument: "-Dname=value -Dother=v2",
// with values optionally in single or double quotes.
func parseDataXVars(s string) (map[string]string, error) {
	out := map[string]string{}
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("-p %q: unclosed quote", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	for _, w := range words {
		if !strings.HasPrefix(w, "-D") {
			return nil, fmt.Errorf("-p: %q is not -Dname=value", w)
		}
		k, v, ok := strings.Cut(w[2:], "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-p: %q is not -Dname=value", w)
		}
		out[k] = v
	}
	return out, nil
}

func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	p, f, code := parseJob("run", args, stdout, stderr)
	if p == nil {
		return code
	}
	for _, w := range p.Warnings {
		fmt.Fprintln(stderr, "ferry: warning: "+p.Mask(w))
	}
	ro := &job.RunOptions{Stdout: stdout}
	if p.Cursor != nil {
		store, err := cursorStore(f.state)
		if err != nil {
			fmt.Fprintln(stderr, "ferry run: "+oneLine(err))
			return 2
		}
		ro.CursorStore, ro.CursorKey = store, jobCursorKey(p, args[len(args)-1])
	}
	if f.checkpoint != "" {
		origin, err := newRunOrigin(p, f, args)
		if err != nil {
			fmt.Fprintln(stderr, "ferry run: "+err.Error())
			return 2
		}
		ro.Checkpoint, ro.CheckpointOrigin = f.checkpoint, origin
	}
	if f.dirtyFile != "" {
		sink, err := dirty.CreateFileSink(f.dirtyFile)
		if err != nil {
			fmt.Fprintln(stderr, "ferry: "+oneLine(err))
			return 1
		}
		ro.DirtySinks = []dirty.Sink{sink}
	}
	ro.Progress = newProgress(f.progress, f.progressEvery, stderr)
	eo := &ferry.Options{Progress: ro.Progress}
	ops, err := setupOps(ctx, &f.ops, opsRun{Job: jobName(args[len(args)-1]), Command: "run", Environment: p.Env, Params: runParams(p)}, eo, stderr)
	if err != nil {
		closeSinks(ro.DirtySinks)
		fmt.Fprintln(stderr, "ferry run: "+oneLine(err))
		return 2
	}
	ro.RunID, ro.Observer, ro.Checks, ro.Progress, ro.Logger = eo.RunID, eo.Observer, eo.Checks, eo.Progress, eo.Logger
	sum, err := p.Run(ctx, ro)
	if err != nil && sum == nil {
		closeSinks(ro.DirtySinks)
	}
	ops.Finish(sum, err)
	if sum != nil {
		printMasked(stdout, f.json, sum, sum.Report, p.Mask)
	} else if err != nil && f.json {
		printFailureJSON(stdout, failureJSON{Error: oneLine(err), Job: args[len(args)-1], Source: p.Source.Parts[0].URL, Destination: p.Destination.URL}, p.Mask)
	}
	if err != nil {
		return failed(stderr, err, p.Mask)
	}
	return 0
}

func planJob(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	p, f, code := parseJob(cmd, args, stdout, stderr)
	if p == nil {
		return code
	}
	var pl *job.Plan
	var err error
	if cmd == "check" {
		pl, err = p.Check(ctx, nil)
	} else {
		pl, err = p.Plan(ctx, nil)
	}
	if pl != nil {
		printMasked(stdout, f.json, pl, pl.String, p.Mask)
	}
	if err != nil {
		if pl == nil && f.json {
			printFailureJSON(stdout, failureJSON{Error: oneLine(err), Job: args[len(args)-1], Source: p.Source.Parts[0].URL, Destination: p.Destination.URL}, p.Mask)
		}
		return failed(stderr, err, p.Mask)
	}
	if cmd == "check" && !f.json {
		fmt.Fprintln(stdout, "\ncheck: OK")
	}
	return 0
}

// jobName is a job's default name in metrics, logs and history: its file
// name without the extension.
func jobName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// runParams are the run's parameters recorded in the history.
func runParams(p *job.Parsed) map[string]string {
	return map[string]string{"cyctime": p.CycTime.Format("20060102150405")}
}

// jobCursorKey keys a job's cursor by the job file (its absolute path) and
// the environment; a job file moved elsewhere starts over with a full copy.
func jobCursorKey(p *job.Parsed, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return cursor.Key("job", abs, p.Env)
}
