package ferry

import "time"

// EventKind names what happened in a run.
type EventKind string

// The events a Pipeline reports to its Observer.
const (
	// EventPlanned: the plan is made and the writer's stage prepared.
	EventPlanned EventKind = "planned"
	// EventSplitStarted: an attempt at a split begins (Attempt counts from 1).
	EventSplitStarted EventKind = "split_started"
	// EventSplitRetried: an attempt failed with a retryable error and the
	// split will be tried again; Err is the cause.
	EventSplitRetried EventKind = "split_retried"
	// EventSplitFinished: a split is done (durably marked, for a staged
	// writer); Rows is its written rows.
	EventSplitFinished EventKind = "split_finished"
	// EventSplitFailed: a split failed for good; Err is the cause.
	EventSplitFailed EventKind = "split_failed"
	// EventSplitSkipped: a resumed run found the split already done in the
	// destination; Rows is what its marker recorded.
	EventSplitSkipped EventKind = "split_skipped"
	// EventBatchWritten: the writer accepted a batch; Rows and Bytes are
	// what it wrote of it.
	EventBatchWritten EventKind = "batch_written"
	// EventDirtyRow: rows were found dirty; Rows is how many, Err the first
	// one's reason.
	EventDirtyRow EventKind = "dirty_rows"
	// EventCommitted: the run is committed.
	EventCommitted EventKind = "committed"
	// EventAborted: the run was aborted; Err is the cause.
	EventAborted EventKind = "aborted"
)

// An Event is one thing that happened in a run.
type Event struct {
	Kind    EventKind
	Time    time.Time
	RunID   string
	Split   string // the split, for split, batch and dirty events
	Attempt int    // the attempt at the split, from 1
	Rows    int64
	Bytes   int64
	Elapsed time.Duration // of the split, for split_finished and split_failed
	Err     error
}

// Observer receives a run's events, for metrics and alerts. Observe is
// called synchronously from the run's goroutines, possibly concurrently, so
// it must be safe for concurrent use and return quickly.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }
