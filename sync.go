package ferry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry/dirty"
)

// A Split is one independent piece of a source: a key range of a table, one
// shard table, one file, one byte range of a file. It is plain data (it
// marshals to JSON), so a plan can be shipped to another process or machine
// and read there by a Reader opened with the same configuration.
type Split struct {
	// ID is stable and human-readable, for example "orders[1000,2000)".
	// It names the split in progress events, the Summary and dirty records.
	ID string `json:"id"`
	// Spec is the reader-specific description of the split.
	Spec json.RawMessage `json:"spec,omitempty"`
}

// Reader is a source of Arrow record batches.
//
// A Reader is opened once per run. Schema and Splits are called once, before
// any data flows; Read is then called once per split, possibly from several
// goroutines at the same time, so Read must be safe for concurrent use.
type Reader interface {
	// Schema returns the schema of every batch Read returns.
	Schema(ctx context.Context) (*arrow.Schema, error)

	// Splits cuts the source into independent splits. hint is the wanted
	// parallelism; a reader may return fewer or more splits. Every row of the
	// source belongs to exactly one split.
	Splits(ctx context.Context, hint int) ([]Split, error)

	// Read returns the batches of one split. The caller releases the
	// RecordReader. Each batch returned by RecordBatch is owned by the
	// RecordReader and valid only until the next call to Next: a caller that
	// keeps a batch longer calls Retain on it (and later Release).
	//
	// The returned RecordReader stops early when ctx is cancelled and then
	// reports the cancellation (wrapped) from Err. A RecordReader may also
	// implement DirtyReporter to hand over rows it could not decode.
	Read(ctx context.Context, s Split) (array.RecordReader, error)

	// Close releases the reader's resources (connections, files, snapshots).
	Close() error
}

// DirtyReporter is an optional interface of the RecordReader returned by
// Reader.Read. A reader that skips rows it cannot decode (a CSV line with the
// wrong column count, say) reports them here instead of failing the run;
// the Pipeline drains it after every call to Next and applies the dirty-data
// policy to them.
type DirtyReporter interface {
	// TakeDirty returns the rows skipped since the previous call and forgets
	// them. Row in each error locates the row within the split the way the
	// source names rows, as the reader documents: the line number for
	// line-oriented files, the rowid for SQLite, the row's position otherwise.
	TakeDirty() []dirty.RowError
}

// Writer is a destination of Arrow record batches.
//
// The Pipeline calls Prepare once, then Open once per worker, then exactly one
// of Commit (every split succeeded and every BatchWriter closed cleanly) or
// Abort (anything failed or the run was cancelled), and finally Close.
type Writer interface {
	// Prepare checks or creates the target, creates staging tables and runs
	// pre-statements. schema is the schema of every batch that will be written.
	Prepare(ctx context.Context, schema *arrow.Schema) error

	// Open returns a BatchWriter for one worker. Open may be called
	// concurrently; each BatchWriter is used by one goroutine at a time.
	Open(ctx context.Context) (BatchWriter, error)

	// Commit makes everything written visible according to the write mode
	// (for example it swaps a staging table in for overwrite).
	Commit(ctx context.Context) error

	// Abort undoes the run: the target is left as it was before Prepare, or as
	// the write mode promises. cause is the reason the run failed.
	Abort(ctx context.Context, cause error) error

	// Close releases the writer's resources. It is called after Commit or
	// Abort, and also when Prepare fails.
	Close() error
}

// BatchWriter writes the batches of one worker.
type BatchWriter interface {
	// Write writes b. It must not keep b after returning unless it calls
	// b.Retain first (and Release later).
	//
	// When some rows of b are rejected as bad data, Write writes the others
	// and returns a *dirty.RowErrors naming the rejected rows by their index
	// in b. An error for which IsRetryable reports true promises that nothing
	// of b was applied, so the Pipeline may call Write again with the same b.
	Write(ctx context.Context, b arrow.RecordBatch) error

	// Close flushes what is buffered. After Close returns nil, every row
	// accepted by Write is durable in the destination's staging area and
	// becomes visible at Commit.
	Close(ctx context.Context) error
}

// Transformer changes batches between the reader and the writer.
type Transformer interface {
	// OutputSchema returns the schema of the batches Transform returns for
	// batches of schema in. It is called before data flows, so that the
	// writer can be prepared.
	OutputSchema(in *arrow.Schema) (*arrow.Schema, error)

	// Transform returns the transformed batch, owned by the caller (it may be
	// b itself after b.Retain). b stays owned by the caller of Transform.
	// Rows dropped on purpose (a filter) are simply absent from the result and
	// counted as filtered. Rows that are bad data are absent too, and returned
	// as a *dirty.RowErrors together with the result, indexed by their
	// position in b.
	Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error)
}

// TransformFunc adapts a function to a Transformer that keeps the schema.
type TransformFunc func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error)

// OutputSchema returns in unchanged.
func (f TransformFunc) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) { return in, nil }

// Transform calls f(ctx, b).
func (f TransformFunc) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	return f(ctx, b)
}

// WriteMode says what a writer does with rows already in the destination.
// Writers accept it as the "mode" URL parameter and as a Mode config field.
type WriteMode string

// The write modes. A writer documents which it supports and rejects the others
// in Prepare (or when it is opened).
const (
	// ModeInsert appends the new rows (the default).
	ModeInsert WriteMode = "insert"
	// ModeOverwrite replaces all rows of the destination. The old rows stay
	// readable until the new ones are complete, and stay if the run fails.
	ModeOverwrite WriteMode = "overwrite"
	// ModeUpsert inserts new keys and updates existing ones; the last row for
	// a key wins within a run.
	ModeUpsert WriteMode = "upsert"
	// ModeReplace deletes a row with a conflicting key and inserts the new one
	// (MySQL's REPLACE INTO).
	ModeReplace WriteMode = "replace"
	// ModePartitionOverwrite deletes the rows matching a predicate and inserts
	// the new ones in one transaction, so rerunning a day is idempotent.
	ModePartitionOverwrite WriteMode = "partition-overwrite"
)

// ParseWriteMode parses a mode name; the empty string is ModeInsert.
// "partition_overwrite" and "truncate" (DataX's name for overwrite) are accepted too.
func ParseWriteMode(s string) (WriteMode, error) {
	switch s {
	case "", "insert", "append":
		return ModeInsert, nil
	case "overwrite", "truncate":
		return ModeOverwrite, nil
	case "upsert", "update":
		return ModeUpsert, nil
	case "replace":
		return ModeReplace, nil
	case "partition-overwrite", "partition_overwrite", "partitionOverwrite":
		return ModePartitionOverwrite, nil
	}
	return "", fmt.Errorf("ferry: unknown write mode %q (want insert, overwrite, upsert, replace or partition-overwrite)", s)
}

// Estimator is an optional interface of a Reader: a cheap estimate of the
// source's size, made once at planning time (after Splits) from what the
// source already knows (table statistics, file sizes, a file footer), never
// by reading the data. The Pipeline puts it in the Plan and in every
// Progress event, for a percentage and an ETA. An error or a zero Estimate
// means "unknown" and never fails the run.
//
// The estimate is of the whole source rather than per split: every source
// has a cheap whole-table figure, few have cheap per-range ones, and a
// resumed run counts the rows of the splits it skips exactly anyway.
type Estimator interface {
	Estimate(ctx context.Context) (Estimate, error)
}

// Warmer is an optional capability of a Writer that can start slow work
// which changes nothing, such as dialling its connection, while the
// Pipeline plans: Plan calls Warm first, before it reads the source's
// schema, so the writer's connect overlaps the reader's planning. Warm
// returns at once; Prepare or PrepareStage use what it started (waiting
// for it, and doing the work themselves if it failed), and Close releases
// it when neither comes. Warm reports no error: the step it prepares does.
type Warmer interface {
	Warm(ctx context.Context)
}

// DirectWriter is an optional capability of a StageWriter whose
// one-process path (Prepare, Open, Commit) can write a small run straight
// into the destination, all or nothing in one transaction, without the
// stage's tables and markers. Run, when it has no Options.Checkpoint, asks
// Direct once it has the run's splits and the reader's estimate (zero when
// the reader gives none), just before it would prepare the writer; Direct
// may look at the destination to decide (an error there is a no: the
// staged Prepare then reports it). When Direct says yes, the run takes that path:
// fewer round trips and connections, no stage to create, mark and move,
// and no resume (which a run without a checkpoint cannot have anyway). A
// split that fails after it delivered rows is not retried on that path;
// the run fails and the destination is left as it was. Plan, CopySplit and
// Finish called by themselves (distributed execution) always stage.
type DirectWriter interface {
	StageWriter
	Direct(ctx context.Context, splits int, est Estimate) bool
}

// Estimate is a Reader's estimate of the size of its source.
type Estimate struct {
	// Rows is the estimated number of rows; 0 means unknown.
	Rows int64 `json:"rows,omitempty"`
	// Bytes is the estimated size of the source as stored (file sizes, the
	// table's size on disk); 0 means unknown.
	Bytes int64 `json:"bytes,omitempty"`
	// Exact reports that Rows is a count, not an estimate.
	Exact bool `json:"exact,omitempty"`
}
