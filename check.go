package ferry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// A Check is a data-quality rule the Pipeline verifies before the final
// commit, so that data breaking a blocking rule never becomes visible: the
// run aborts and the destination keeps its old rows.
//
// A check sees the rows as they are written (NewSplit/Observe, in every
// process that copies splits; each finished split's state travels in its
// SplitSummary and is merged where the run finishes) and, where the writer
// can run SQL inside its commit transaction (CheckedCommitter), may query
// the destination as it will be after the commit.
type Check interface {
	// Name names the check in the Summary; names are unique in a run.
	Name() string
	// Begin is called once, before data flows, with the schema the writer
	// receives; an error (an unknown column) fails the run before writing.
	Begin(schema *arrow.Schema) error
	// NewSplit returns the state of one attempt at one split, or nil when
	// the check needs no rows. The state of an attempt that is discarded
	// is dropped.
	NewSplit() SplitCheck
	// Merge folds in the state of a finished split (SplitCheck.State). It
	// is called once per finished split, possibly concurrently.
	Merge(state json.RawMessage) error
	// Verify decides, after every split is done and before the commit.
	Verify(ctx context.Context, in CheckInput) CheckResult
}

// SplitCheck is a Check's state for one attempt at one split, used by one
// goroutine.
type SplitCheck interface {
	// Observe sees a batch the writer accepted; rejected lists the indexes
	// of its rows the writer refused as dirty (they are not in the
	// destination).
	Observe(b arrow.RecordBatch, rejected []int)
	// State returns the attempt's state, to be merged (JSON, so it can
	// travel to the process that finishes the run).
	State() json.RawMessage
}

// CheckInput is what Verify knows of the run.
type CheckInput struct {
	RowsRead, RowsWritten, RowsFiltered, RowsDirty int64
	// StagedRows is the sum of the rows the destination's split markers
	// recorded (a StageWriter), or -1 when the writer keeps no markers.
	StagedRows int64
	// UncheckedSplits counts done splits whose check state is missing (a
	// resumed run whose checkpoint lacked them): row-based results are then
	// incomplete.
	UncheckedSplits int
	// Query runs SQL against the destination inside the commit transaction
	// (so it sees the data as it will be after the commit); nil when the
	// writer cannot.
	Query Querier
}

// CheckResult is a Check's verdict.
type CheckResult struct {
	Name     string `json:"name"`
	Blocking bool   `json:"blocking"`
	Passed   bool   `json:"passed"`
	Detail   string `json:"detail,omitempty"`
}

// Querier runs data-quality SQL against a destination inside its commit
// transaction.
type Querier interface {
	// Table is the destination table, quoted for the writer's dialect.
	Table() string
	// Dialect names the SQL dialect: EnginePostgreSQL, EngineMySQL, ...
	Dialect() string
	// Query runs a read-only query and returns up to max of its rows, each
	// value as text (nil for NULL), and whether more rows followed.
	Query(ctx context.Context, query string, max int) (rows [][]*string, more bool, err error)
}

// CheckedCommitter is the optional capability of a Writer that can run the
// data-quality checks inside its commit transaction: CommitChecked applies
// the staged rows as Commit does, then calls verify before COMMIT; an error
// from verify rolls the transaction back, so the destination keeps its old
// rows, and is returned.
type CheckedCommitter interface {
	CommitChecked(ctx context.Context, verify func(ctx context.Context, q Querier) error) error
}

// ErrCheckFailed is wrapped by the error of a run that a blocking Check
// stopped.
var ErrCheckFailed = errors.New("ferry: a blocking data-quality check failed")

// beginChecks validates the checks against the writer's schema.
func (p *Pipeline) beginChecks(schema *arrow.Schema) error {
	seen := map[string]bool{}
	for _, c := range p.opts.Checks {
		name := c.Name()
		if name == "" || seen[name] {
			return fmt.Errorf("ferry: check name %q is empty or repeated", name)
		}
		seen[name] = true
		if err := c.Begin(schema); err != nil {
			return fmt.Errorf("ferry: check %s: %w", name, err)
		}
	}
	return nil
}

// newSplitChecks returns the per-attempt states of the checks.
func (p *Pipeline) newSplitChecks() []SplitCheck {
	if len(p.opts.Checks) == 0 {
		return nil
	}
	out := make([]SplitCheck, len(p.opts.Checks))
	for i, c := range p.opts.Checks {
		out[i] = c.NewSplit()
	}
	return out
}

func observeChecks(scs []SplitCheck, b arrow.RecordBatch, rejected []int) {
	for _, sc := range scs {
		if sc != nil {
			sc.Observe(b, rejected)
		}
	}
}

func splitCheckStates(p *Pipeline, scs []SplitCheck) map[string]json.RawMessage {
	if len(scs) == 0 {
		return nil
	}
	m := make(map[string]json.RawMessage, len(scs))
	for i, sc := range scs {
		if sc != nil {
			m[p.opts.Checks[i].Name()] = sc.State()
		}
	}
	return m
}

// verifyChecks merges the done splits' states and runs every check's
// Verify; it returns the results and an error wrapping ErrCheckFailed when a
// blocking one failed.
func (p *Pipeline) verifyChecks(ctx context.Context, q Querier, staged int64) ([]CheckResult, error) {
	if len(p.opts.Checks) == 0 {
		return nil, nil
	}
	r := p.run
	in := CheckInput{
		RowsRead: r.rowsRead.Load(), RowsWritten: r.rowsWritten.Load(),
		RowsFiltered: r.rowsFiltered.Load(), RowsDirty: r.rowsDirty.Load(),
		StagedRows: staged, Query: q,
	}
	// A check that observes rows gives every finished split a state; a
	// split without one was done before a resume whose checkpoint lacked it.
	observes := make([]bool, len(p.opts.Checks))
	for i, c := range p.opts.Checks {
		observes[i] = c.NewSplit() != nil
	}
	for i := range r.states {
		st := &r.states[i]
		unchecked := false
		for k, c := range p.opts.Checks {
			state, ok := st.Checks[c.Name()]
			if !ok {
				unchecked = unchecked || observes[k]
				continue
			}
			if err := c.Merge(state); err != nil {
				return nil, fmt.Errorf("ferry: check %s: split %s: %w", c.Name(), st.ID, err)
			}
		}
		if unchecked {
			in.UncheckedSplits++
		}
	}
	var results []CheckResult
	var failed []string
	for _, c := range p.opts.Checks {
		res := c.Verify(ctx, in)
		res.Name = c.Name()
		results = append(results, res)
		if !res.Passed && res.Blocking {
			failed = append(failed, fmt.Sprintf("%s: %s", res.Name, res.Detail))
		}
	}
	r.mu.Lock()
	r.checks = results
	r.mu.Unlock()
	if len(failed) > 0 {
		return results, fmt.Errorf("%w: %s", ErrCheckFailed, abbreviate(failed, 3))
	}
	return results, nil
}
