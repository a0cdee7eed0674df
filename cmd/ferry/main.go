// Command ferry runs Ferry pipelines from the command line.
//
//	ferry sync --from URL --to URL [--mode insert|overwrite|upsert|replace|partition-overwrite]
//	           [--concurrency N] [--rows-per-sec R] [--bytes-per-sec B]
//	           [--max-dirty N] [--max-dirty-ratio F] [--dirty-file F] [--json]
//	ferry run|plan|check [--bizdate D | --cyctime T] [--timezone Z] [--param k=expr]
//	           [-p "-Dk=v ..."] [--catalog FILE] [--env dev|prod] [--json] JOB
//	ferry backfill --from DATE --to DATE [--every day|hour] [--parallel N]
//	           [--only-failed] [--state FILE] [job flags] JOB
//
// It prints the run's report (or its JSON summary with --json) on standard
// output, a live progress line on standard error when that is a terminal,
// and exits 0 on success, 1 with a one-line reason when the run fails, and 2
// on a usage error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if ctx.Err() != nil && code != 0 {
		code = 130 // interrupted (the run was aborted first)
	}
	stop()
	os.Exit(code)
}

const usage = `usage: ferry <command> [flags]

commands:
  sync     copy rows from one URL to another (ferry sync -h for flags)
  run      run a DataX, DataWorks or Ferry job file (ferry run -h)
  plan     show what a job would do, writing nothing (ferry plan -h)
  backfill run a job once per business date over a range (ferry backfill -h)
  check    validate a job and connect to both sides, writing nothing (ferry check -h)
  resume   finish a run checkpointed with ferry sync|run --checkpoint DIR
  gc       drop the stages (staging tables, temp files) killed runs left in a destination
  state    show or reset the saved cursor of an incremental sync (ferry state show|reset)
  runs     list the recorded runs (run history)
  show     print one recorded run's report (ferry show RUN)
  schemes  list the registered reader and writer URL schemes (-v: with their URL parameters)
  version  print Ferry's version and commit
  help CMD the flags of a command (help urls [SCHEME]: each scheme's URL parameters and defaults)
`

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "sync":
		return runSync(ctx, args[1:], stdout, stderr)
	case "resume":
		return runResume(ctx, args[1:], stdout, stderr)
	case "runs":
		return runRuns(ctx, args[1:], stdout, stderr)
	case "show":
		return runShow(ctx, args[1:], stdout, stderr)
	case "state":
		return runState(ctx, args[1:], stdout, stderr)
	case "gc":
		return runGC(ctx, args[1:], stdout, stderr)
	case "run":
		return runJob(ctx, args[1:], stdout, stderr)
	case "backfill":
		return runBackfill(ctx, args[1:], stdout, stderr)
	case "plan", "check":
		return planJob(ctx, args[0], args[1:], stdout, stderr)
	case "schemes":
		return runSchemesCmd(args[1:], stdout, stderr)
	case "version", "--version":
		return runVersion(stdout)
	case "help":
		if len(args) > 1 && args[1] == "urls" {
			return runHelpURLs(args[2:], stdout, stderr)
		}
		if len(args) > 1 && args[1] != "help" {
			return run(ctx, []string{args[1], "-h"}, stdout, stdout)
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ferry: unknown command %q\n%s", args[0], usage)
	return 2
}
