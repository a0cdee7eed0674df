package ferry

import (
	"context"
	"encoding/json"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// StageWriter is the optional capability of a Writer whose run can span
// processes and survive a crash: it writes every split into a stage named
// from the run's ID, records each finished split with a durable marker in the
// destination itself, and makes the whole stage visible at Commit in one step.
// The Pipeline finds it by type assertion, the way database/sql finds optional
// driver interfaces; a Writer without it runs in one process only and a
// resumed run starts it over.
//
// The protocol, in any number of processes that open the same writer
// configuration:
//
//   - PrepareStage(runID, schema), in the planning process first, and in every
//     other process before it writes (it then attaches to the stage);
//   - OpenSplit(split) ... Write ... Close, once or more per split, anywhere:
//     Close makes the split's rows and its marker durable together, and
//     replaces whatever an earlier attempt at the same split left;
//   - Commit once every split of the plan is marked (idempotent: a second
//     Commit of a committed run returns nil), or Abort (from any process).
//
// Status reads the markers back, so a resumed or distributed driver learns
// from the destination which splits are done and whether a commit whose
// outcome was unknown did happen.
type StageWriter interface {
	Writer

	// PrepareStage is Prepare for the run runID: it checks or creates the
	// target, creates the stage and runs pre-statements. Called again with
	// the same runID, in this or another process, it attaches to the stage
	// that exists, keeps what it holds and runs no pre-statements again.
	// runID is made of [a-z0-9_] only (see NewRunID), so it can be part of a
	// table or file name.
	PrepareStage(ctx context.Context, runID string, schema *arrow.Schema) error

	// OpenSplit returns the SplitWriter of one attempt at split splitID. It
	// may be called concurrently; each SplitWriter is used by one goroutine.
	OpenSplit(ctx context.Context, splitID string) (SplitWriter, error)

	// Status returns what the destination holds of the run: the splits whose
	// marker is durable and whether the run was committed or aborted.
	Status(ctx context.Context) (StageStatus, error)
}

// A SplitWriter writes one attempt at one split into a stage. Write has the
// contract of BatchWriter.Write. Close makes the attempt's rows and the
// split's done marker durable together (one destination transaction; for
// files fsync, rename and marker) and replaces any earlier attempt at the
// split, so copying a split twice leaves it once. Discard ends the attempt
// without marking the split: nothing it wrote counts. After a crash an
// attempt that was neither closed nor discarded does not count either.
type SplitWriter interface {
	BatchWriter
	// Discard drops the attempt. It is called instead of Close when the
	// split failed, and must work on a cancelled context.
	Discard(ctx context.Context) error
}

// StageStatus is what a destination holds of a staged run.
type StageStatus struct {
	// Done lists the splits whose marker is durable, with the rows the
	// marked attempt wrote.
	Done []SplitMark `json:"done,omitempty"`
	// Committed reports that the run's Commit is durable.
	Committed bool `json:"committed,omitempty"`
	// Aborted reports that the run was aborted (its stage is gone).
	Aborted bool `json:"aborted,omitempty"`
}

// SplitMark is the durable marker of one finished split.
type SplitMark struct {
	Split string `json:"split"`
	Rows  int64  `json:"rows"`
}

// StatefulReader is the optional capability of a Reader whose splits are
// read from state made while planning (PostgreSQL's exported snapshot, say),
// so that a Reader opened from the same configuration in another process can
// read the shipped splits consistently.
type StatefulReader interface {
	Reader
	// ExportState returns, after Splits, what another Reader needs to read
	// the splits the way this one would. It holds no secrets.
	ExportState(ctx context.Context) (json.RawMessage, error)
	// ImportState gives a Reader that did not plan the planner's state,
	// before its first Read. When the state can no longer be used (the
	// snapshot died with the planning process), the reader falls back to
	// what it documents (a fresh snapshot per split, say) and says so in
	// the returned note; an unusable state it cannot fall back from is an
	// error.
	ImportState(ctx context.Context, state json.RawMessage) (note string, err error)
}

// StageCollector is the optional capability of a Writer that can find the
// stages killed runs left in its destination (staging tables, hidden temp
// files) and drop them. A stage that a live run holds (by an advisory lock or
// a lease) is never collected.
type StageCollector interface {
	// CollectStages drops the stages of runs other than the writer's own
	// that are older than minAge and not held by a live run, and returns
	// their names. With dryRun it only lists them.
	CollectStages(ctx context.Context, minAge time.Duration, dryRun bool) ([]string, error)
}

// OutputReporter is the optional capability of a Writer that can name what a
// committed run wrote (the files of a file writer, say). The Summary lists
// them in Outputs.
type OutputReporter interface {
	// Outputs returns the names of what the committed run wrote.
	Outputs() []string
}
