// Package dirty holds Ferry's dirty-data policy: which bad rows a run
// tolerates, the errors that name them, and the sinks that keep every dirty
// row with its reason.
//
// A dirty row is a row that a reader could not decode, a transform could not
// convert, or a destination rejected (a constraint, a value out of range).
// The rest of its batch is still written; the Policy decides whether the run
// goes on.
package dirty

import (
	"fmt"
	"strings"
	"sync"
)

// Mode is what a Policy does with dirty rows.
type Mode int

// The policy modes. The zero Mode is FailFirst.
const (
	// FailFirst fails the run on the first dirty row.
	FailFirst Mode = iota
	// Tolerate fails the run when more than Policy.MaxRows rows are dirty.
	Tolerate
	// Ignore never fails the run for dirty rows; they are still recorded.
	Ignore
)

// DefaultMinRowsForRatio is how many rows must have been seen before
// Policy.MaxRatio is checked while rows flow (it is always checked at the end).
const DefaultMinRowsForRatio = 1000

// Policy is the dirty-data policy of a run. The zero Policy fails the run on
// the first dirty row: nothing is lost silently unless the caller says so.
type Policy struct {
	Mode Mode
	// MaxRows is the number of dirty rows Tolerate accepts.
	MaxRows int64
	// MaxRatio, when positive, also fails the run when dirty rows exceed this
	// fraction of the rows read (0.01 is 1%). It applies with every Mode
	// except FailFirst.
	MaxRatio float64
	// MinRowsForRatio is how many rows must have been read before MaxRatio is
	// checked as rows flow; 0 means DefaultMinRowsForRatio. At the end of the
	// run the ratio is checked whatever the count.
	MinRowsForRatio int64
}

// FailOnFirst returns the policy that fails on the first dirty row.
func FailOnFirst() Policy { return Policy{Mode: FailFirst} }

// TolerateRows returns the policy that accepts at most n dirty rows.
func TolerateRows(n int64) Policy { return Policy{Mode: Tolerate, MaxRows: n} }

// IgnoreAll returns the policy that never fails for dirty rows.
func IgnoreAll() Policy { return Policy{Mode: Ignore} }

// String describes the policy, for reports.
func (p Policy) String() string {
	var s string
	switch p.Mode {
	case FailFirst:
		return "fail on the first dirty row"
	case Tolerate:
		s = fmt.Sprintf("tolerate %d dirty rows", p.MaxRows)
	default:
		s = "ignore dirty rows"
	}
	if p.MaxRatio > 0 {
		s += fmt.Sprintf(", at most %g%% of rows", p.MaxRatio*100)
	}
	return s
}

// LimitError is the error that fails a run whose dirty rows broke the policy.
type LimitError struct {
	// Dirty is how many dirty rows were seen when the policy broke.
	Dirty int64
	// Total is how many rows had been read then.
	Total int64
	// Policy is the policy that broke.
	Policy Policy
	// First is the first dirty row's error.
	First error
	// Where lists where the dirty rows were written (files, logs).
	Where []string
}

// Error says how many dirty rows there were, which limit broke and where the
// rows were written.
func (e *LimitError) Error() string {
	var b strings.Builder
	rows, verb := "rows", "break"
	if e.Dirty == 1 {
		rows, verb = "row", "breaks"
	}
	fmt.Fprintf(&b, "dirty: %d dirty %s of %d read %s the policy (%s)", e.Dirty, rows, e.Total, verb, e.Policy)
	if e.First != nil {
		fmt.Fprintf(&b, "; first: %v", e.First)
	}
	if len(e.Where) > 0 {
		fmt.Fprintf(&b, "; dirty rows written to %s", strings.Join(e.Where, ", "))
	}
	return b.String()
}

// Unwrap returns the first dirty row's error.
func (e *LimitError) Unwrap() error { return e.First }

// Counter applies a Policy to the dirty rows of one run. It is safe for
// concurrent use.
type Counter struct {
	p     Policy
	where []string

	mu    sync.Mutex
	dirty int64
	first error
}

// NewCounter returns a Counter for p. where lists where dirty rows are
// written, for the error text.
func NewCounter(p Policy, where ...string) *Counter {
	return &Counter{p: p, where: where}
}

// Add records n dirty rows (first is the first one's error) when total rows
// have been read so far, and returns a *LimitError when the policy breaks.
func (c *Counter) Add(n int64, first error, total int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty += n
	if c.first == nil {
		c.first = first
	}
	min := c.p.MinRowsForRatio
	if min <= 0 {
		min = DefaultMinRowsForRatio
	}
	return c.check(total, total >= min)
}

// Undo takes back n dirty rows that Add recorded for work that is done
// again (a split attempt that was discarded and retried).
func (c *Counter) Undo(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty = max(0, c.dirty-n)
}

// AddFinished records n dirty rows counted elsewhere (by another process
// of the same run) without checking the policy; Final checks it.
func (c *Counter) AddFinished(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty += n
}

// Final checks the policy at the end of a run that read total rows.
func (c *Counter) Final(total int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.check(total, true)
}

// Dirty returns how many dirty rows were recorded.
func (c *Counter) Dirty() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dirty
}

func (c *Counter) check(total int64, ratio bool) error {
	if c.dirty == 0 {
		return nil
	}
	broke := false
	switch c.p.Mode {
	case FailFirst:
		broke = true
	case Tolerate:
		broke = c.dirty > c.p.MaxRows
	}
	if !broke && ratio && c.p.MaxRatio > 0 && total > 0 && float64(c.dirty)/float64(total) > c.p.MaxRatio {
		broke = true
	}
	if !broke {
		return nil
	}
	return &LimitError{Dirty: c.dirty, Total: total, Policy: c.p, First: c.first, Where: c.where}
}
