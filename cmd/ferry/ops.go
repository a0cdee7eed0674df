package main

// Operations for the commands that run pipelines (sync, run, backfill):
// metrics, structured logs, alerts, data-quality rules from a file, and the
// run history; and the history commands `ferry runs` and `ferry show RUN`.
//
// A command registers the flags and wraps its run:
//
//	var of opsFlags
//	registerOpsFlags(fs, &of)
//	...
//	ops, err := setupOps(ctx, &of, opsRun{Job: name, Command: "sync"}, opts, stderr)
//	if err != nil { ... exit 2 }
//	sum, err := ferry.New(r, w, opts).Run(ctx)
//	ops.Finish(sum, err)

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/alert"
	"github.com/ferrydata/ferry/history"
	"github.com/ferrydata/ferry/metrics"
	"github.com/ferrydata/ferry/quality"
)

// opsFlags are the operations flags of the commands that run pipelines.
type opsFlags struct {
	metricsAddr   string
	metricsLinger time.Duration
	logFormat     string
	logLevel      string
	alertFile     string
	checksFile    string
	history       string
	jobName       string
	minRows       int64
	minArrived    float64
}

// registerOpsFlags adds the operations flags to fs.
func registerOpsFlags(fs *flag.FlagSet, f *opsFlags) {
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address during the run, e.g. :9464 (path /metrics)")
	fs.DurationVar(&f.metricsLinger, "metrics-linger", 0, "keep serving metrics this long after the run ends, for a last scrape")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.alertFile, "alert", "", "alert rules and webhooks from this JSON file (see README, Operations)")
	fs.StringVar(&f.checksFile, "checks", "", "data-quality rules from this JSON file, verified before the commit")
	fs.StringVar(&f.history, "history", "", `run history: a SQLite file, postgres:// or mysql:// URL, or "off" (default: the state directory)`)
	fs.Int64Var(&f.minRows, "min-rows", 0, "fail before the commit (destination unchanged) when fewer rows than this are written")
	fs.Float64Var(&f.minArrived, "min-arrived", 0, "fail before the commit when less than this fraction of the rows read is written, e.g. 0.99 (the rest dirty)")
	fs.StringVar(&f.jobName, "job-name", "", "the job's name in metrics, logs, alerts and history (default: the job file's name, or \"sync\")")
}

// opsRun says what is run.
type opsRun struct {
	Job         string            // the job's name
	Command     string            // sync, run, backfill
	Environment string            // dev, prod, ...
	Params      map[string]string // the run's parameters (secrets are masked when stored)
}

// opsSession is the operations side of one run: set up by setupOps, ended
// by Finish.
type opsSession struct {
	run       opsRun
	runID     string
	logger    *slog.Logger
	stderr    io.Writer
	collector *metrics.Collector
	server    *http.Server
	addr      string
	linger    time.Duration
	notifier  *alert.Notifier
	store     *history.Store
	record    history.Record
}

// opsResult is what Finish did besides the run.
type opsResult struct {
	// Alerts are the alert deliveries, failed ones included.
	Alerts []alert.Delivery
	// HistoryErr is why the run could not be recorded, if it could not.
	HistoryErr error
}

// checkGate checks --min-rows and --min-arrived.
func (f *opsFlags) checkGate() error {
	switch {
	case f.minRows < 0:
		return fmt.Errorf("--min-rows %d: want 0 (no minimum) or more", f.minRows)
	case f.minArrived < 0 || f.minArrived > 1:
		return fmt.Errorf("--min-arrived %g: want a fraction between 0 and 1", f.minArrived)
	}
	return nil
}

// setupOps prepares the operations of one run and fills opts: RunID (a new
// one unless set), Logger, Observer (chained with one already set),
// Progress (chained) and Checks (appended from --checks). An error is a
// usage or configuration error (bad flag value, unreadable alert or rules
// file, metrics address in use); a history store that cannot be opened is
// only a warning on stderr.
func setupOps(ctx context.Context, f *opsFlags, run opsRun, opts *ferry.Options, stderr io.Writer) (*opsSession, error) {
	if f.jobName != "" {
		run.Job = f.jobName
	}
	if run.Job == "" {
		run.Job = run.Command
	}
	logger, err := newOpsLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		return nil, err
	}
	if err := f.checkGate(); err != nil {
		return nil, err
	}
	if run.Job != "" {
		logger = logger.With("job", run.Job)
	}
	if opts.RunID == "" {
		opts.RunID = ferry.NewRunID()
	}
	s := &opsSession{run: run, runID: opts.RunID, logger: logger, stderr: stderr, linger: f.metricsLinger}
	opts.Logger = logger

	if f.alertFile != "" {
		cfg, err := alert.LoadFile(f.alertFile)
		if err != nil {
			return nil, err
		}
		if s.notifier, err = alert.New(cfg, &alert.Options{Logger: logger}); err != nil {
			return nil, err
		}
	}

	if f.history != "off" {
		store, err := history.Open(ctx, f.history)
		if err != nil {
			fmt.Fprintf(stderr, "ferry: warning: run history off for this run: %s\n", oneLine(err))
		} else {
			s.store = store
		}
	}

	if f.checksFile != "" {
		data, err := os.ReadFile(f.checksFile)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("--checks: %w", err)
		}
		env := &quality.Env{}
		if s.store != nil {
			env.PreviousRows = func(ctx context.Context) (int64, bool, error) {
				return s.store.PreviousRows(ctx, run.Job, s.runID)
			}
		}
		checks, err := quality.Parse(data, env)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("%w (in %s)", err, f.checksFile)
		}
		opts.Checks = append(opts.Checks, checks...)
	}

	if f.minRows > 0 || f.minArrived > 0 {
		opts.Checks = append(opts.Checks, quality.Named(quality.RowCount(quality.Blocking,
			quality.RowCountSpec{Min: f.minRows, MinArrived: f.minArrived}), "min_rows"))
	}

	// Metrics: one process runs one run, so the run label is bounded.
	s.collector = metrics.New(&metrics.Options{Job: run.Job, Run: opts.RunID})
	opts.Observer = chainObservers(opts.Observer, s.collector)
	opts.Progress = s.collector.ProgressFunc(opts.RunID, opts.Progress)
	if f.metricsAddr != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(s.collector, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		ln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler(reg))
		s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		s.addr = ln.Addr().String()
		go s.server.Serve(ln)
		logger.Info("ferry: serving metrics", "addr", s.addr, "path", "/metrics")
	}

	if s.store != nil {
		s.record = history.Record{RunID: opts.RunID, Job: run.Job, Command: run.Command, Environment: run.Environment,
			Params: run.Params, Start: time.Now()}
		s.record.Host, _ = os.Hostname()
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if err := s.store.Begin(hctx, s.record); err != nil {
			fmt.Fprintf(stderr, "ferry: warning: run history: %s\n", oneLine(err))
			s.store.Close()
			s.store = nil
		}
		cancel()
	}
	return s, nil
}

// Finish ends the operations of the run: metrics get the final numbers,
// the run is recorded in the history, the alerts that fire are sent (their
// failures are printed on stderr, never the run's), and the metrics server
// stops after --metrics-linger. sum may be nil (the run failed before it
// started); runErr is the run's error.
func (s *opsSession) Finish(sum *ferry.Summary, runErr error) opsResult {
	var res opsResult
	s.collector.Finish(sum, runErr)
	ctx := context.Background()
	if s.store != nil {
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := s.store.Finish(hctx, s.record, sum, runErr); err != nil {
			res.HistoryErr = err
			fmt.Fprintf(s.stderr, "ferry: warning: run history: %s\n", oneLine(err))
		}
		cancel()
	}
	if s.notifier != nil {
		actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		res.Alerts = s.notifier.Notify(actx, alert.Run{Job: s.run.Job, Environment: s.run.Environment, Summary: sum, Err: runErr})
		cancel()
		for _, d := range alert.Failed(res.Alerts) {
			fmt.Fprintf(s.stderr, "ferry: warning: alert %s not delivered to %s after %d attempts: %s\n", d.Rule, d.Webhook, d.Attempts, oneLine(d.Err))
		}
	}
	if s.server != nil && s.linger > 0 {
		time.Sleep(s.linger)
	}
	s.close()
	return res
}

// MetricsAddr returns the address the metrics are served on ("" when not).
func (s *opsSession) MetricsAddr() string { return s.addr }

func (s *opsSession) close() {
	if s.server != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.server.Shutdown(sctx)
		cancel()
		s.server = nil
	}
	if s.store != nil {
		s.store.Close()
		s.store = nil
	}
}

// newOpsLogger returns the stderr logger of --log-format and --log-level,
// masking URL passwords and secret-looking values in every string.
func newOpsLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: lv, ReplaceAttr: redactAttr}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if v := a.Value.String(); strings.ContainsAny(v, "=@") {
			a.Value = slog.StringValue(history.RedactText(v))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(history.RedactText(err.Error()))
		}
	}
	return a
}

// chainObservers returns an Observer that calls a (when not nil), then b.
func chainObservers(a, b ferry.Observer) ferry.Observer {
	if a == nil {
		return b
	}
	return ferry.ObserverFunc(func(e ferry.Event) {
		a.Observe(e)
		b.Observe(e)
	})
}

// runRuns lists the run history: ferry runs [--history LOC] [--job J]
// [--outcome O] [--limit N] [--json].
func runRuns(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry runs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	loc := fs.String("history", "", "run history location (default: the state directory)")
	job := fs.String("job", "", "only the runs of this job")
	outcome := fs.String("outcome", "", "only the runs with this outcome: running, succeeded, failed, check_failed")
	limit := fs.Int("limit", 20, "the most runs listed, newest first")
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "ferry runs: unexpected arguments")
		return 2
	}
	if *outcome != "" && !slices.Contains([]string{history.OutcomeRunning, history.OutcomeSucceeded, history.OutcomeFailed, history.OutcomeCheckFailed}, *outcome) {
		fmt.Fprintf(stderr, "ferry runs: --outcome %q: want running, succeeded, failed or check_failed\n", *outcome)
		return 2
	}
	store, err := openHistory(ctx, *loc)
	if err != nil {
		return failed(stderr, err, nil)
	}
	defer store.Close()
	recs, err := store.List(ctx, history.ListOptions{Job: *job, Outcome: *outcome, Limit: *limit})
	if err != nil {
		return failed(stderr, err, nil)
	}
	if *asJSON {
		if recs == nil {
			recs = []history.Record{}
		}
		printResult(stdout, true, recs, nil)
		return 0
	}
	if len(recs) == 0 {
		fmt.Fprintf(stdout, "no runs recorded in %s\n", store.Location())
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tJOB\tCOMMAND\tENV\tSTART (UTC)\tELAPSED\tOUTCOME\tWRITTEN\tDIRTY")
	for _, r := range recs {
		elapsed := "-"
		if !r.End.IsZero() {
			elapsed = r.Elapsed().Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", r.RunID, orDash(r.Job), orDash(r.Command), orDash(r.Environment),
			r.Start.UTC().Format("2006-01-02 15:04:05"), elapsed, r.Outcome, r.RowsWritten, r.RowsDirty)
	}
	tw.Flush()
	return 0
}

// runShow prints one run's report: ferry show [--history LOC] [--json] RUN
// (RUN may be a unique prefix of the run id).
func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	loc := fs.String("history", "", "run history location (default: the state directory)")
	asJSON := fs.Bool("json", false, "print the run's record, Summary included, as JSON")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "ferry show: give one run id (or a unique prefix of one)")
		return 2
	}
	store, err := openHistory(ctx, *loc)
	if err != nil {
		return failed(stderr, err, nil)
	}
	defer store.Close()
	rec, err := store.Get(ctx, fs.Arg(0))
	if err != nil {
		return failed(stderr, err, nil)
	}
	if *asJSON {
		printResult(stdout, true, rec, nil)
		return 0
	}
	fmt.Fprintf(stdout, "Run %s\n", rec.RunID)
	fmt.Fprintf(stdout, "  %-22s %s\n", "job", orDash(rec.Job))
	fmt.Fprintf(stdout, "  %-22s %s\n", "command", orDash(rec.Command))
	if rec.Environment != "" {
		fmt.Fprintf(stdout, "  %-22s %s\n", "environment", rec.Environment)
	}
	if rec.Host != "" {
		fmt.Fprintf(stdout, "  %-22s %s\n", "host", rec.Host)
	}
	keys := make([]string, 0, len(rec.Params))
	for k := range rec.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %-22s %s=%s\n", "parameter", k, rec.Params[k])
	}
	fmt.Fprintf(stdout, "  %-22s %s\n", "outcome", rec.Outcome)
	sum, err := rec.ParseSummary()
	if err != nil {
		return failed(stderr, err, nil)
	}
	if sum == nil {
		fmt.Fprintf(stdout, "  %-22s %s\n", "start", rec.Start.Format(time.RFC3339))
		if !rec.End.IsZero() {
			fmt.Fprintf(stdout, "  %-22s %s\n", "end", rec.End.Format(time.RFC3339))
		}
		if rec.Error != "" {
			fmt.Fprintf(stdout, "  %-22s %s\n", "error", rec.Error)
		}
		if rec.Outcome == history.OutcomeRunning {
			fmt.Fprintln(stdout, "  (no report: the run has not ended, or its process was killed)")
		}
		return 0
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, sum.Report())
	return 0
}

// openHistory opens the history for runs and show; "off" is refused.
func openHistory(ctx context.Context, loc string) (*history.Store, error) {
	if loc == "off" {
		return nil, errors.New(`--history off: there is no history to read`)
	}
	return history.Open(ctx, loc)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
