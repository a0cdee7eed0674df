package ferry

import (
	"encoding/json"
	"log/slog"
	"runtime"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/dirty"
)

// Default values of Options fields left at zero.
const (
	DefaultBatchRows        = 65536
	DefaultBatchBytes       = 16 << 20
	DefaultInFlight         = 2
	DefaultProgressInterval = time.Second
)

// Options configure a Pipeline. The zero value (or a nil *Options) means the
// defaults: one worker per CPU, no rate limit, batches of at most
// DefaultBatchRows rows and DefaultBatchBytes bytes, three attempts for
// retryable errors, and the run fails on the first dirty row.
type Options struct {
	// Concurrency is the number of workers, each reading one split at a time
	// and writing through its own BatchWriter. 0 means runtime.GOMAXPROCS(0).
	Concurrency int

	// RowsPerSecond and BytesPerSecond limit the written rows and bytes per
	// second, shared by all workers. 0 means no limit.
	RowsPerSecond  float64
	BytesPerSecond float64

	// SharedLimits, when set, are rate limits shared with other pipelines
	// (see NewLimits); they replace RowsPerSecond and BytesPerSecond.
	SharedLimits *Limits

	// BatchRows and BatchBytes cap the rows and (estimated) bytes of a batch
	// given to the writer; larger reader batches are sliced without copying.
	BatchRows  int
	BatchBytes int64

	// InFlight is how many batches each worker buffers between its reader
	// and its writer. Memory is bounded by about
	// Concurrency × (InFlight + 2) batches, whatever the table size.
	InFlight int

	// Retry says how retryable errors are retried.
	Retry RetryPolicy

	// Dirty is the dirty-data policy; the zero Policy fails on the first
	// dirty row.
	Dirty dirty.Policy

	// DirtySinks receive every dirty row. Run closes them. With none, dirty
	// rows are logged through Logger.
	DirtySinks []dirty.Sink

	// Transformers run in order on every batch between reader and writer.
	Transformers []Transformer

	// NoPassthrough makes the reader decode every batch into Arrow arrays
	// even when the writer could take its rows in their wire encoding
	// (see PassthroughWriter), for a run that must see exactly what the
	// decoded path does, or to compare the two.
	NoPassthrough bool

	// Progress, when set, is called from a single goroutine every
	// ProgressInterval, at every change of the run's Phase (planning,
	// copying, checking, committing: also during a long commit), and once at
	// the end with Final set. The events carry the reader's size estimate
	// (see Estimator) and the current rate.
	Progress         func(Progress)
	ProgressInterval time.Duration

	// Logger receives warnings (retries, dirty rows without a sink). nil
	// means slog.Default().
	Logger *slog.Logger

	// Allocator is used for batches the Pipeline builds. nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator

	// RunID names the run; a StageWriter names its stage from it. It is
	// 1 to 40 of [a-z0-9_]; "" means a new random one (NewRunID).
	RunID string

	// Checks are data-quality rules verified before the final commit; a
	// blocking one that fails aborts the run (see Check).
	Checks []Check

	// Observer, when set, receives the run's events (planned, split
	// started/finished/retried, batch written, dirty rows, commit, abort).
	Observer Observer

	// Checkpoint, when set, is a directory where Run keeps the plan and the
	// state of the run (versioned JSON, no secrets), so that Resume can
	// finish the same run after a failure or a kill: done splits are
	// skipped (the destination's markers say which) and the run commits
	// once. The directory must not hold another run's checkpoint. A failed
	// run keeps a StageWriter's stage for the resume, unless the dirty-data
	// policy failed it.
	Checkpoint string

	// CheckpointOrigin is kept in the checkpoint as given, for the program
	// that resumes the run to know how to reopen the reader and the writer
	// (the CLI keeps the URLs there, with passwords masked). It must hold no
	// secret.
	CheckpointOrigin json.RawMessage
}

// RetryPolicy says how often and how patiently retryable errors are retried.
// The zero value means 3 attempts with backoff from 100ms doubling to 5s.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries. 0 means 3.
	MaxAttempts int
	// InitialBackoff is the wait before the second attempt; 0 means 100ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the doubling wait; 0 means 5s.
	MaxBackoff time.Duration
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if l := o.SharedLimits; l != nil {
		o.RowsPerSecond, o.BytesPerSecond = 0, 0
		if l.rows != nil {
			o.BatchRows = min(o.BatchRows, l.rows.Burst())
		}
		if l.bytes != nil {
			o.BatchBytes = min(o.BatchBytes, int64(l.bytes.Burst()))
		}
	}
	if o.RowsPerSecond > 0 {
		// Keep the flow smooth: at most a tenth of a second of rows per batch.
		o.BatchRows = min(o.BatchRows, max(1, int(o.RowsPerSecond/10)))
	}
	if o.BytesPerSecond > 0 {
		o.BatchBytes = min(o.BatchBytes, max(1, int64(o.BytesPerSecond/10)))
	}
	if o.InFlight <= 0 {
		o.InFlight = DefaultInFlight
	}
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = 3
	}
	if o.Retry.InitialBackoff <= 0 {
		o.Retry.InitialBackoff = 100 * time.Millisecond
	}
	if o.Retry.MaxBackoff <= 0 {
		o.Retry.MaxBackoff = 5 * time.Second
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	// Every line the run logs carries its ID.
	o.Logger = o.Logger.With("run", o.RunID)
	return o
}
