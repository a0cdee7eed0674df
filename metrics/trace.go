package metrics

import (
	"context"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ferrydata/ferry"
)

// Tracer turns a run's events into OpenTelemetry spans, for services that
// embed Ferry: one span "ferry.run" from the plan to the commit or abort,
// and under it one span "ferry.split" per attempt at a split (attributes
// ferry.split, ferry.attempt, ferry.rows_written; error status for a failed
// or retried attempt). It is a ferry.Observer, safe for concurrent use.
// Spans of a run that never commits nor aborts are ended by End.
type Tracer struct {
	tracer trace.Tracer
	parent context.Context
	attrs  []attribute.KeyValue

	mu   sync.Mutex
	runs map[string]*runSpans
}

type runSpans struct {
	ctx    context.Context
	run    trace.Span
	splits map[string]trace.Span // by split id and attempt
}

var _ ferry.Observer = (*Tracer)(nil)

// NewTracer returns a Tracer whose run spans are children of the span in
// parent (context.Background() for new traces), with attrs on every span.
func NewTracer(t trace.Tracer, parent context.Context, attrs ...attribute.KeyValue) *Tracer {
	if parent == nil {
		parent = context.Background()
	}
	return &Tracer{tracer: t, parent: parent, attrs: attrs, runs: map[string]*runSpans{}}
}

// runSpans returns run id's spans, starting the run span; t.mu is held.
func (t *Tracer) runSpans(id string) *runSpans {
	rs := t.runs[id]
	if rs == nil {
		ctx, span := t.tracer.Start(t.parent, "ferry.run", trace.WithAttributes(append([]attribute.KeyValue{attribute.String("ferry.run_id", id)}, t.attrs...)...))
		rs = &runSpans{ctx: ctx, run: span, splits: map[string]trace.Span{}}
		t.runs[id] = rs
	}
	return rs
}

func splitKey(e ferry.Event) string { return e.Split + "\x00" + strconv.Itoa(e.Attempt) }

// Observe starts and ends spans.
func (t *Tracer) Observe(e ferry.Event) {
	switch e.Kind {
	case ferry.EventPlanned, ferry.EventSplitStarted, ferry.EventSplitFinished, ferry.EventSplitFailed,
		ferry.EventSplitRetried, ferry.EventCommitted, ferry.EventAborted:
	default:
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.runSpans(e.RunID)
	switch e.Kind {
	case ferry.EventPlanned:
		rs.run.SetAttributes(attribute.Int64("ferry.splits", e.Rows))
	case ferry.EventSplitStarted:
		_, span := t.tracer.Start(rs.ctx, "ferry.split", trace.WithTimestamp(e.Time),
			trace.WithAttributes(append([]attribute.KeyValue{attribute.String("ferry.split", e.Split), attribute.Int("ferry.attempt", e.Attempt)}, t.attrs...)...))
		rs.splits[splitKey(e)] = span
	case ferry.EventSplitFinished, ferry.EventSplitFailed, ferry.EventSplitRetried:
		span, ok := rs.splits[splitKey(e)]
		if !ok {
			return
		}
		delete(rs.splits, splitKey(e))
		if e.Kind == ferry.EventSplitFinished {
			span.SetAttributes(attribute.Int64("ferry.rows_written", e.Rows), attribute.Int64("ferry.bytes_written", e.Bytes))
		} else if e.Err != nil {
			span.RecordError(e.Err)
			span.SetStatus(codes.Error, string(e.Kind))
		}
		span.End(trace.WithTimestamp(e.Time))
	case ferry.EventCommitted:
		rs.run.SetAttributes(attribute.Int64("ferry.rows_written", e.Rows))
		t.endRun(e.RunID, rs, nil)
	case ferry.EventAborted:
		t.endRun(e.RunID, rs, e.Err)
	}
}

func (t *Tracer) endRun(id string, rs *runSpans, err error) {
	for _, s := range rs.splits {
		s.End()
	}
	if err != nil {
		rs.run.RecordError(err)
		rs.run.SetStatus(codes.Error, "aborted")
	}
	rs.run.End()
	delete(t.runs, id)
}

// End ends the spans of run id if they are still open (a run that failed
// before its writer was prepared, or that keeps its stage for a resume),
// with err as the run's error.
func (t *Tracer) End(runID string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if rs, ok := t.runs[runID]; ok {
		t.endRun(runID, rs, err)
	}
}
