package metrics

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/ferrydata/ferry"
)

// OTelOptions configure an OTel observer. The zero value means the
// defaults.
type OTelOptions struct {
	// Attributes are added to every measurement (job=..., say). Keep them
	// bounded, as for Options.Labels.
	Attributes []attribute.KeyValue
	// MaxDirtyReasons caps the distinct values of the reason attribute; 0
	// means DefaultMaxDirtyReasons.
	MaxDirtyReasons int
}

// OTel records a run's events through an OpenTelemetry meter, for services
// that embed Ferry and export with the OpenTelemetry SDK. The instruments
// have the Prometheus metric names without "_total" and unit suffixes
// (ferry.rows.written, ...), as OpenTelemetry names them; an OTel
// Prometheus exporter adds the suffixes back. It is a ferry.Observer, safe
// for concurrent use.
type OTel struct {
	attrs                      metric.MeasurementOption
	attrList                   []attribute.KeyValue
	rowsRead, rowsWritten      metric.Int64Counter
	rowsFiltered, rowsDirty    metric.Int64Counter
	bytesRead, bytesWritten    metric.Int64Counter
	retries, splits, runs      metric.Int64Counter
	waitReader, waitWriter     metric.Float64Counter
	splitDuration, runDuration metric.Float64Histogram
	inProgress                 metric.Int64UpDownCounter
	started, finished, failed  metric.MeasurementOption
	retried, skipped           metric.MeasurementOption
	tr                         *tracker
}

var _ ferry.Observer = (*OTel)(nil)

// NewOTel creates the instruments on meter.
func NewOTel(meter metric.Meter, opts *OTelOptions) (*OTel, error) {
	var o OTelOptions
	if opts != nil {
		o = *opts
	}
	t := &OTel{attrs: metric.WithAttributes(o.Attributes...), attrList: o.Attributes, tr: newTracker(o.MaxDirtyReasons)}
	var errs []error
	ic := func(name, unit, desc string) metric.Int64Counter {
		m, err := meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return m
	}
	fc := func(name, desc string) metric.Float64Counter {
		m, err := meter.Float64Counter(name, metric.WithUnit("s"), metric.WithDescription(desc))
		errs = append(errs, err)
		return m
	}
	t.rowsRead = ic("ferry.rows.read", "{row}", "Rows read from the source.")
	t.rowsWritten = ic("ferry.rows.written", "{row}", "Rows the writer accepted.")
	t.rowsFiltered = ic("ferry.rows.filtered", "{row}", "Rows transformers dropped on purpose.")
	t.rowsDirty = ic("ferry.rows.dirty", "{row}", "Dirty rows by reason.")
	t.bytesRead = ic("ferry.bytes.read", "By", "Bytes read from the source.")
	t.bytesWritten = ic("ferry.bytes.written", "By", "Bytes the writer accepted.")
	t.retries = ic("ferry.retries", "{retry}", "Retried split attempts, writes and transforms.")
	t.splits = ic("ferry.splits", "{split}", "Split attempts by state.")
	t.runs = ic("ferry.runs", "{run}", "Finished runs by outcome.")
	t.waitReader = fc("ferry.wait_on_reader", "Time writers waited for the reader.")
	t.waitWriter = fc("ferry.wait_on_writer", "Time readers waited for the writer.")
	var err error
	t.splitDuration, err = meter.Float64Histogram("ferry.split.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to copy a split."), metric.WithExplicitBucketBoundaries(DefaultDurationBuckets...))
	errs = append(errs, err)
	t.runDuration, err = meter.Float64Histogram("ferry.run.duration", metric.WithUnit("s"),
		metric.WithDescription("Elapsed time of finished runs."), metric.WithExplicitBucketBoundaries(DefaultDurationBuckets...))
	errs = append(errs, err)
	t.inProgress, err = meter.Int64UpDownCounter("ferry.splits.in_progress", metric.WithUnit("{split}"),
		metric.WithDescription("Split attempts being copied now."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	state := func(s string) metric.MeasurementOption {
		return metric.WithAttributes(append(append([]attribute.KeyValue(nil), o.Attributes...), attribute.String("state", s))...)
	}
	t.started, t.finished, t.failed = state("started"), state("finished"), state("failed")
	t.retried, t.skipped = state("retried"), state("skipped")
	return t, nil
}

// Observe records one event.
func (t *OTel) Observe(e ferry.Event) {
	ctx := context.Background()
	switch e.Kind {
	case ferry.EventBatchWritten:
		t.rowsWritten.Add(ctx, e.Rows, t.attrs)
		t.bytesWritten.Add(ctx, e.Bytes, t.attrs)
	case ferry.EventSplitStarted:
		t.splits.Add(ctx, 1, t.started)
		t.inProgress.Add(ctx, 1, t.attrs)
	case ferry.EventSplitFinished:
		t.splits.Add(ctx, 1, t.finished)
		t.inProgress.Add(ctx, -1, t.attrs)
		t.splitDuration.Record(ctx, e.Elapsed.Seconds(), t.attrs)
	case ferry.EventSplitFailed:
		t.splits.Add(ctx, 1, t.failed)
		t.inProgress.Add(ctx, -1, t.attrs)
	case ferry.EventSplitRetried:
		t.splits.Add(ctx, 1, t.retried)
		t.inProgress.Add(ctx, -1, t.attrs)
		t.retries.Add(ctx, 1, t.attrs)
		t.tr.retried(e.RunID)
	case ferry.EventSplitSkipped:
		t.splits.Add(ctx, 1, t.skipped)
	case ferry.EventDirtyRow:
		t.rowsDirty.Add(ctx, e.Rows, t.with(attribute.String("reason", t.tr.reason(DirtyReason(e.Err)))))
	}
}

func (t *OTel) with(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributes(append(append([]attribute.KeyValue(nil), t.attrList...), kv...)...)
}

// ProgressFunc is Collector.ProgressFunc for the meter.
func (t *OTel) ProgressFunc(runID string, next func(ferry.Progress)) func(ferry.Progress) {
	return func(p ferry.Progress) {
		if delta := t.tr.progressed(runID, p.RowsRead); delta > 0 {
			t.rowsRead.Add(context.Background(), delta, t.attrs)
		}
		if next != nil {
			next(p)
		}
	}
}

// Finish is Collector.Finish for the meter.
func (t *OTel) Finish(sum *ferry.Summary, err error) {
	ctx := context.Background()
	t.runs.Add(ctx, 1, t.with(attribute.String("outcome", Outcome(sum, err))))
	if sum == nil {
		return
	}
	t.runDuration.Record(ctx, sum.Elapsed.Seconds(), t.attrs)
	read, retries := t.tr.finished(sum)
	t.rowsRead.Add(ctx, read, t.attrs)
	t.retries.Add(ctx, retries, t.attrs)
	t.rowsFiltered.Add(ctx, max(0, sum.RowsFiltered), t.attrs)
	t.bytesRead.Add(ctx, max(0, sum.BytesRead), t.attrs)
	t.waitReader.Add(ctx, sum.WaitOnReader.Seconds(), t.attrs)
	t.waitWriter.Add(ctx, sum.WaitOnWriter.Seconds(), t.attrs)
}
