package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ferrydata/ferry"
)

// runGC drops what killed runs left in a destination: staging tables, hidden
// temp files. A stage that a live run holds is never touched.
func runGC(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry gc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ferry gc --to URL [--min-age D] [--dry-run]\n\nDrops the stages (staging tables, temp files) that killed runs left in the destination\nURL. A stage a live run holds is never touched; a run that can still be resumed loses\nits stage.\n\nflags:")
		fs.PrintDefaults()
	}
	to := fs.String("to", "", "the destination URL, as given to ferry sync --to (required)")
	minAge := fs.Duration("min-age", time.Hour, "only stages older than this")
	dry := fs.Bool("dry-run", false, "list the stages, drop nothing")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *to == "" || fs.NArg() > 0 || *minAge < 0 {
		return usageLine(fs, stderr, "--to is required, --min-age must not be negative, and nothing may follow the flags")
	}
	w, err := ferry.OpenWriter(ctx, *to)
	if err != nil {
		fmt.Fprintln(stderr, "ferry: "+oneLine(err))
		return 1
	}
	defer w.Close()
	c, ok := w.(ferry.StageCollector)
	if !ok {
		fmt.Fprintf(stderr, "ferry: the writer of %s leaves no stages to collect\n", ferry.Redact(*to))
		return 1
	}
	names, err := c.CollectStages(ctx, *minAge, *dry)
	verb := "dropped"
	if *dry {
		verb = "would drop"
	}
	for _, n := range names {
		fmt.Fprintf(stdout, "%s %s\n", verb, n)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ferry: "+oneLine(err))
		return 1
	}
	fmt.Fprintf(stdout, "%d stage(s) %s\n", len(names), verb)
	return 0
}
