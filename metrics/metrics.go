// Package metrics exports a Ferry run's numbers as Prometheus metrics (and,
// for services that embed Ferry, through an OpenTelemetry meter: see OTel).
//
// A Collector is a ferry.Observer: set it as Options.Observer, feed it the
// run's progress (ProgressFunc, as Options.Progress) and hand it the final
// Summary (Finish). Register it on a prometheus.Registerer and serve the
// registry with Handler (the CLI's --metrics-addr).
//
// # Names and labels
//
// Every metric starts with "ferry_" and carries the constant labels of
// Options.Labels, by default {job, run}. Cardinality is bounded: the CLI runs
// one job once per process, so "run" takes one value per process; a service
// that runs many jobs should make one Collector per job with Labels
// {"job": name} only (drop "run": the run id is in the logs and the run
// history) and reuse it for every run of that job. The only variable label
// is "reason" of ferry_rows_dirty_total, capped at Options.MaxDirtyReasons
// distinct values (the rest are counted under "other"), and "outcome" of
// ferry_runs_total and "state" of ferry_splits_total, from fixed sets.
//
// # Where the numbers come from
//
// Rows and bytes written, dirty rows, split retries and split durations are
// counted from the Observer's events as they happen. Rows read follow the
// Progress snapshots (every Options.ProgressInterval). Bytes read, rows
// filtered, reader/writer wait and busy time, and write-level retries are
// not in the events: Finish adds them from the Summary, so they step up at
// the end of the run. Counters never go down: an attempt at a split that
// failed and was retried stays counted in the written counters (the
// Summary takes it back out), so after a retry ferry_rows_written_total can
// exceed Summary.RowsWritten.
package metrics

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
)

// DefaultMaxDirtyReasons is the default cap on distinct dirty-row reasons.
const DefaultMaxDirtyReasons = 20

// OtherReason is the reason label of dirty rows past the cap.
const OtherReason = "other"

// DefaultDurationBuckets are the default buckets of the split duration
// histogram, in seconds: 0.05s to about 27 minutes.
var DefaultDurationBuckets = prometheus.ExponentialBuckets(0.05, 2, 16)

// Options configure a Collector. The zero value means the defaults.
type Options struct {
	// Labels are constant labels on every metric. nil means {"job": Job,
	// "run": Run} (each left out when empty). See the package doc on
	// cardinality.
	Labels prometheus.Labels
	// Job and Run fill the default labels.
	Job, Run string
	// MaxDirtyReasons caps the distinct values of the reason label; 0
	// means DefaultMaxDirtyReasons. Reasons are cut to 100 bytes, as in
	// Summary.DirtyByReason.
	MaxDirtyReasons int
	// DurationBuckets are the split duration histogram's buckets in
	// seconds; nil means DefaultDurationBuckets.
	DurationBuckets []float64
}

// Collector turns a run's events into Prometheus metrics. It is a
// ferry.Observer and a prometheus.Collector, safe for concurrent use.
type Collector struct {
	rowsRead, rowsWritten, rowsFiltered    prometheus.Counter
	bytesRead, bytesWritten                prometheus.Counter
	retries                                prometheus.Counter
	readSeconds, writeSeconds              prometheus.Counter
	waitReaderSeconds, waitWriterSeconds   prometheus.Counter
	dirtyRows                              *prometheus.CounterVec
	splits                                 *prometheus.CounterVec
	splitFinished, splitFailed, splitRetry prometheus.Counter
	splitStarted, splitSkipped             prometheus.Counter
	splitDuration                          prometheus.Histogram
	splitsInProgress                       prometheus.Gauge
	runs                                   *prometheus.CounterVec
	lastSuccess, lastEnd, lastDuration     prometheus.Gauge
	lastRowsWritten                        prometheus.Gauge
	checksFailed                           *prometheus.CounterVec
	all                                    []prometheus.Collector
	tr                                     *tracker
}

// runState is what an observer remembers of a run until Finish.
type runState struct {
	read, retries int64
}

// tracker holds what the Prometheus and OTel observers remember between
// events: the dirty reasons seen (capped) and each unfinished run's state.
type tracker struct {
	mu         sync.Mutex
	maxReasons int
	reasons    map[string]bool
	runs       map[string]*runState
}

func newTracker(maxReasons int) *tracker {
	if maxReasons <= 0 {
		maxReasons = DefaultMaxDirtyReasons
	}
	return &tracker{maxReasons: maxReasons, reasons: map[string]bool{}, runs: map[string]*runState{}}
}

// reason maps a reason to itself while fewer than the cap are known, and
// to OtherReason past it.
func (t *tracker) reason(reason string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reasons[reason] {
		return reason
	}
	if len(t.reasons) >= t.maxReasons {
		return OtherReason
	}
	t.reasons[reason] = true
	return reason
}

// run returns the state of run id; t.mu is held.
func (t *tracker) run(id string) *runState {
	st := t.runs[id]
	if st == nil {
		st = &runState{}
		t.runs[id] = st
	}
	return st
}

func (t *tracker) retried(id string) {
	t.mu.Lock()
	t.run(id).retries++
	t.mu.Unlock()
}

// progressed records that run id has read rowsRead rows and returns how
// many more than before.
func (t *tracker) progressed(id string, rowsRead int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.run(id)
	delta := rowsRead - st.read
	if delta <= 0 {
		return 0
	}
	st.read = rowsRead
	return delta
}

// finished forgets the run of sum and returns the rows read and retries
// its Summary has beyond what was counted during the run.
func (t *tracker) finished(sum *ferry.Summary) (read, retries int64) {
	t.mu.Lock()
	st := t.run(sum.RunID)
	delete(t.runs, sum.RunID)
	t.mu.Unlock()
	return max(0, sum.RowsRead-st.read), max(0, sum.Retries-st.retries)
}

var (
	_ ferry.Observer       = (*Collector)(nil)
	_ prometheus.Collector = (*Collector)(nil)
)

// New returns a Collector; register it with Register (or a Registerer's
// Register).
func New(opts *Options) *Collector {
	var o Options
	if opts != nil {
		o = *opts
	}
	labels := o.Labels
	if labels == nil {
		labels = prometheus.Labels{}
		if o.Job != "" {
			labels["job"] = o.Job
		}
		if o.Run != "" {
			labels["run"] = o.Run
		}
	}
	if o.DurationBuckets == nil {
		o.DurationBuckets = DefaultDurationBuckets
	}
	c := &Collector{tr: newTracker(o.MaxDirtyReasons)}
	counter := func(name, help string) prometheus.Counter {
		m := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
		c.all = append(c.all, m)
		return m
	}
	gauge := func(name, help string) prometheus.Gauge {
		m := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
		c.all = append(c.all, m)
		return m
	}
	vec := func(name, help, label string) *prometheus.CounterVec {
		m := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, []string{label})
		c.all = append(c.all, m)
		return m
	}
	c.rowsRead = counter("ferry_rows_read_total", "Rows read from the source.")
	c.rowsWritten = counter("ferry_rows_written_total", "Rows the writer accepted.")
	c.rowsFiltered = counter("ferry_rows_filtered_total", "Rows transformers dropped on purpose (added at the end of a run).")
	c.bytesRead = counter("ferry_bytes_read_total", "Bytes (Arrow buffer estimate) read from the source (added at the end of a run).")
	c.bytesWritten = counter("ferry_bytes_written_total", "Bytes (Arrow buffer estimate) the writer accepted.")
	c.retries = counter("ferry_retries_total", "Retried split attempts, writes and transforms.")
	c.readSeconds = counter("ferry_read_seconds_total", "Time workers spent inside the reader, summed over workers (added at the end of a run).")
	c.writeSeconds = counter("ferry_write_seconds_total", "Time workers spent inside the writer, summed over workers (added at the end of a run).")
	c.waitReaderSeconds = counter("ferry_wait_on_reader_seconds_total", "Time writers sat idle waiting for the reader (added at the end of a run).")
	c.waitWriterSeconds = counter("ferry_wait_on_writer_seconds_total", "Time readers sat blocked because the writer was behind (added at the end of a run).")
	c.dirtyRows = vec("ferry_rows_dirty_total", "Dirty rows by reason (distinct reasons are capped; the rest count as \"other\").", "reason")
	c.splits = vec("ferry_splits_total", "Split attempts by how they ended: started, finished, failed, retried, skipped (done before a resume).", "state")
	c.splitStarted = c.splits.WithLabelValues("started")
	c.splitFinished = c.splits.WithLabelValues("finished")
	c.splitFailed = c.splits.WithLabelValues("failed")
	c.splitRetry = c.splits.WithLabelValues("retried")
	c.splitSkipped = c.splits.WithLabelValues("skipped")
	c.splitDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ferry_split_duration_seconds", Help: "Time to copy a split, retries included, for finished splits.",
		ConstLabels: labels, Buckets: o.DurationBuckets,
	})
	c.all = append(c.all, c.splitDuration)
	c.splitsInProgress = gauge("ferry_splits_in_progress", "Split attempts being copied now (each holds up to Options.InFlight batches between reader and writer).")
	c.runs = vec("ferry_runs_total", "Finished runs by outcome: succeeded, failed, check_failed.", "outcome")
	c.lastSuccess = gauge("ferry_last_run_success", "1 if the last finished run succeeded, 0 if it failed.")
	c.lastEnd = gauge("ferry_last_run_end_timestamp_seconds", "Unix time the last run finished.")
	c.lastDuration = gauge("ferry_last_run_duration_seconds", "Elapsed time of the last finished run.")
	c.lastRowsWritten = gauge("ferry_last_run_rows_written", "Rows written by the last finished run (Summary.RowsWritten).")
	c.checksFailed = vec("ferry_checks_failed_total", "Data-quality checks that failed, by severity: blocking or warning.", "severity")
	return c
}

// Register registers c on reg.
func (c *Collector) Register(reg prometheus.Registerer) error {
	return reg.Register(c)
}

// Describe sends the descriptors of c's metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.all {
		m.Describe(ch)
	}
}

// Collect sends c's metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.all {
		m.Collect(ch)
	}
}

// Observe counts one event.
func (c *Collector) Observe(e ferry.Event) {
	switch e.Kind {
	case ferry.EventBatchWritten:
		c.rowsWritten.Add(float64(e.Rows))
		c.bytesWritten.Add(float64(e.Bytes))
	case ferry.EventSplitStarted:
		c.splitStarted.Inc()
		c.splitsInProgress.Inc()
	case ferry.EventSplitFinished:
		c.splitFinished.Inc()
		c.splitsInProgress.Dec()
		c.splitDuration.Observe(e.Elapsed.Seconds())
	case ferry.EventSplitFailed:
		c.splitFailed.Inc()
		c.splitsInProgress.Dec()
	case ferry.EventSplitRetried:
		c.splitRetry.Inc()
		c.splitsInProgress.Dec()
		c.retries.Inc()
		c.tr.retried(e.RunID)
	case ferry.EventSplitSkipped:
		c.splitSkipped.Inc()
	case ferry.EventDirtyRow:
		c.dirtyRows.WithLabelValues(c.tr.reason(DirtyReason(e.Err))).Add(float64(e.Rows))
	}
}

// DirtyReason returns the reason of a dirty-row event's error as
// Summary.DirtyByReason keys it: the row error's cause (or "rejected"), cut
// to 100 bytes.
func DirtyReason(err error) string {
	reason := "rejected"
	var re dirty.RowError
	if errors.As(err, &re) {
		if re.Err != nil {
			reason = re.Err.Error()
		}
	} else if err != nil {
		reason = err.Error()
	}
	if len(reason) > 100 {
		reason = reason[:100]
	}
	return strings.ToValidUTF8(reason, "?")
}

// ProgressFunc returns a function to set as Options.Progress of run runID
// (chaining next, which may be nil): it moves ferry_rows_read_total along
// during the run.
func (c *Collector) ProgressFunc(runID string, next func(ferry.Progress)) func(ferry.Progress) {
	return func(p ferry.Progress) {
		if delta := c.tr.progressed(runID, p.RowsRead); delta > 0 {
			c.rowsRead.Add(float64(delta))
		}
		if next != nil {
			next(p)
		}
	}
}

// Finish records the end of a run: the numbers the events do not carry
// (from sum), its outcome and its data-quality verdicts. err is the run's
// error. sum may be nil (a run that failed before it started); Finish is
// called once per run.
func (c *Collector) Finish(sum *ferry.Summary, err error) {
	outcome := Outcome(sum, err)
	c.runs.WithLabelValues(outcome).Inc()
	if outcome == "succeeded" {
		c.lastSuccess.Set(1)
	} else {
		c.lastSuccess.Set(0)
	}
	c.lastEnd.Set(float64(time.Now().UnixNano()) / 1e9)
	if sum == nil {
		return
	}
	c.lastDuration.Set(sum.Elapsed.Seconds())
	c.lastRowsWritten.Set(float64(sum.RowsWritten))
	read, retries := c.tr.finished(sum)
	c.rowsRead.Add(float64(read))
	c.retries.Add(float64(retries))
	c.rowsFiltered.Add(float64(max(0, sum.RowsFiltered)))
	c.bytesRead.Add(float64(max(0, sum.BytesRead)))
	c.readSeconds.Add(sum.ReadTime.Seconds())
	c.writeSeconds.Add(sum.WriteTime.Seconds())
	c.waitReaderSeconds.Add(sum.WaitOnReader.Seconds())
	c.waitWriterSeconds.Add(sum.WaitOnWriter.Seconds())
	for _, ch := range sum.Checks {
		if ch.Passed {
			continue
		}
		if ch.Blocking {
			c.checksFailed.WithLabelValues("blocking").Inc()
		} else {
			c.checksFailed.WithLabelValues("warning").Inc()
		}
	}
}

// Outcome names how a run ended: "succeeded" (no error), "check_failed" (a
// blocking data-quality check stopped it) or "failed".
func Outcome(sum *ferry.Summary, err error) string {
	switch {
	case err == nil && (sum == nil || sum.Error == ""):
		return "succeeded"
	case errors.Is(err, ferry.ErrCheckFailed):
		return "check_failed"
	}
	return "failed"
}

// Handler serves the metrics of g in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true})
}
