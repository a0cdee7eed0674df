package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/backfill"
	"github.com/ferrydata/ferry/job"
	"github.com/ferrydata/ferry/schedparam"
)

// runBackfill is `ferry backfill JOB --from DATE --to DATE [--every day|hour]
// [--parallel N] [--only-failed] [--state FILE]` with the job flags of ferry
// run: one instance of the job per business date through backfill.Backfill,
// each parsed at its own scheduled time, the job's speed limits shared by
// all instances, and the report table at the end. It exits 1 when a date
// failed.
func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f jobFlags
	fs := jobFlagSet("backfill", &f, stderr)
	from := fs.String("from", "", "first business date, YYYYMMDD or YYYY-MM-DD (required)")
	to := fs.String("to", "", "last business date, inclusive (required)")
	every := fs.String("every", "day", "instances per business date: day (one) or hour (24, one per scheduled hour)")
	parallel := fs.Int("parallel", 1, "instances run at once")
	onlyFailed := fs.Bool("only-failed", false, "run only the dates --state does not record as succeeded")
	stateFile := fs.String("state", "", "record each date's outcome in this JSON file (needed by --only-failed)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ferry backfill: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() != 1:
		return usageLine(fs, stderr, "give one job file after the flags")
	case *from == "" || *to == "":
		return usageErr("--from and --to are required")
	case f.bizdate != "" || f.cyctime != "":
		return usageErr("--bizdate and --cyctime are for ferry run; a backfill's dates are --from and --to")
	case *parallel < 1:
		return usageErr("--parallel %d: want 1 or more", *parallel)
	case *onlyFailed && *stateFile == "":
		return usageErr("--only-failed needs --state FILE (where the earlier backfill recorded its dates)")
	}
	var ev time.Duration
	switch *every {
	case "day":
	case "hour":
		ev = time.Hour
	default:
		return usageErr("--every %q: want day or hour", *every)
	}
	opts, err := jobOptions(f)
	if err != nil {
		return usageErr("%v", err)
	}
	loc, _ := time.LoadLocation(f.timezone) // checked by jobOptions
	fromD, err := schedparam.ParseDate(*from, loc)
	if err != nil {
		return usageErr("--from: %v", err)
	}
	toD, err := schedparam.ParseDate(*to, loc)
	if err != nil {
		return usageErr("--to: %v", err)
	}
	if toD.Before(fromD) {
		return usageErr("--to %s is before --from %s", *to, *from)
	}
	if f.catalog != "" {
		c, err := job.LoadCatalog(f.catalog)
		if err != nil {
			return failed(stderr, err, nil)
		}
		opts.Catalog = c
	}
	path := fs.Arg(0)
	b := &backfill.Backfill{
		From: fromD, To: toD,
		Schedule:   schedparam.BackfillOptions{Every: ev, Location: loc},
		Parallel:   *parallel,
		StateFile:  *stateFile,
		OnlyFailed: *onlyFailed,
	}
	insts, err := b.Instances()
	if err != nil {
		return usageErr("%v", err)
	}
	// The first instance's job says whether the job parses at all, and its
	// speed setting is the budget every instance shares.
	first := *opts
	first.CycTime = insts[0].Cycle
	p0, err := job.ParseFile(path, &first)
	if err != nil {
		return failed(stderr, err, nil)
	}
	for _, w := range p0.Warnings {
		fmt.Fprintln(stderr, "ferry: warning: "+p0.Mask(w))
	}
	if p0.Cursor != nil {
		return usageErr("the job has a cursor: a backfill reads by date, not by a saved cursor (drop the cursor, filter with ${...})")
	}
	if p0.RowsPerSecond > 0 || p0.BytesPerSecond > 0 {
		b.Limits = ferry.NewLimits(p0.RowsPerSecond, p0.BytesPerSecond)
	}
	mask := p0.Mask
	b.Run = func(ctx context.Context, in backfill.Instance, limits *ferry.Limits) (*ferry.Summary, error) {
		o := *opts
		o.CycTime = in.Cycle
		p, err := job.ParseFile(path, &o)
		if err != nil {
			return nil, err
		}
		sum, err := p.Run(ctx, &job.RunOptions{Stdout: stdout, SharedLimits: limits})
		if err != nil {
			err = errors.New(p.Mask(oneLine(err)))
		}
		return sum, err
	}
	rep, err := b.Execute(ctx)
	if rep != nil {
		if f.json {
			enc := json.NewEncoder(stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else {
			fmt.Fprint(stdout, mask(rep.Table()))
		}
	}
	if err != nil {
		if rep != nil && errors.Is(err, backfill.ErrFailed) {
			fmt.Fprintf(stderr, "ferry: %s; rerun them with --only-failed --state FILE\n", mask(oneLine(err)))
			return 1
		}
		return failed(stderr, err, mask)
	}
	return 0
}
