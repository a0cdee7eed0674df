// Package quality provides data-quality rules, as ferry.Check values that
// the Pipeline verifies before the final commit: a run that breaks a
// blocking rule aborts and the destination keeps its old rows; a failed
// warning rule is only reported (Summary.Checks, the report, alerts).
//
// The rules:
//
//   - RowCount: rows written equal rows read minus filtered and dirty (and,
//     for a staging destination, what its split markers recorded); within
//     [Min, Max]; within a ratio of the previous run's count.
//   - NotNull: columns without NULLs.
//   - Unique: key columns without duplicates.
//   - Range: values of a column within [min, max] (numbers, times, text).
//   - Allowed: values of a column in a set.
//   - Freshness: the newest value of a timestamp column is recent enough.
//   - SQL: a query against the destination that must return no row.
//
// # Where the rules look
//
// NotNull, Range, Allowed and Freshness look at the rows as they are
// written (per split, merged where the run finishes), so they work for every
// destination, files included, and check only the rows of this run. SQL
// needs a writer that runs SQL inside its commit transaction
// (ferry.CheckedCommitter: it then sees the table as it will be after the
// commit); with any other writer, files included, it fails with a detail
// that says so, so a gate is never skipped silently. Unique runs in SQL
// inside the commit transaction when the writer offers it (over the whole
// table, old rows included, without using memory in Ferry); otherwise it
// checks the rows of this run by a 64-bit hash per key (8 bytes of state
// per row, travelling in the split summaries; capped by MaxKeys, default
// 1,000,000: past it the rule fails as "not checkable" rather than pass
// unseen rows). A hash collision can only report a duplicate that is not
// one (odds about n²/2⁶⁵: 3·10⁻⁸ for a million rows), never hide one.
//
// A rule value keeps the merged state of the run it checks: give each run
// its own values (Parse or the constructors again), not one shared by runs
// that overlap.
//
// Rules are made in Go by the constructors, or from JSON (Parse) for job
// files:
//
//	[{"type": "row_count", "min": 1000},
//	 {"type": "not_null", "columns": ["id", "created_at"]},
//	 {"type": "unique", "columns": ["id"]},
//	 {"type": "range", "column": "amount", "min": 0, "max": 1e6, "severity": "warning"},
//	 {"type": "allowed", "column": "status", "values": ["new", "paid", "shipped"]},
//	 {"type": "freshness", "column": "updated_at", "max_age": "26h"},
//	 {"type": "sql", "name": "no_orphans", "sql": "SELECT o.id FROM {table} o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL"}]
package quality

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// Severity says what a failed rule does.
type Severity int

// The severities.
const (
	// Blocking: a failed rule aborts the run before the commit.
	Blocking Severity = iota
	// Warning: a failed rule is reported and the run goes on.
	Warning
)

// String returns "blocking" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "blocking"
}

// base holds what every rule has.
type base struct {
	name     string
	severity Severity
	mu       sync.Mutex // guards the merged state of the rule
}

// Name names the rule in the Summary.
func (b *base) Name() string { return b.name }

func (b *base) setName(name string) { b.name = name }

// Named renames a rule (names must be unique in a run) and returns it.
func Named[C interface {
	ferry.Check
	setName(string)
}](c C, name string) C {
	c.setName(name)
	return c
}

func (b *base) result(passed bool, format string, args ...any) ferry.CheckResult {
	return ferry.CheckResult{Name: b.name, Blocking: b.severity == Blocking, Passed: passed, Detail: fmt.Sprintf(format, args...)}
}

// columnIndex finds column name in s, once.
func columnIndex(rule string, s *arrow.Schema, name string) (int, error) {
	idx := s.FieldIndices(name)
	switch len(idx) {
	case 0:
		return 0, fmt.Errorf("quality: %s: no column %q in the destination schema (columns: %s)", rule, name, columnNames(s))
	case 1:
		return idx[0], nil
	}
	return 0, fmt.Errorf("quality: %s: column %q appears %d times", rule, name, len(idx))
}

// columnIndexes finds columns in s; there must be at least one.
func columnIndexes(rule string, s *arrow.Schema, columns []string) ([]int, error) {
	if len(columns) == 0 {
		return nil, fmt.Errorf("quality: %s: no columns", rule)
	}
	idx := make([]int, len(columns))
	for i, col := range columns {
		j, err := columnIndex(rule, s, col)
		if err != nil {
			return nil, err
		}
		idx[i] = j
	}
	return idx, nil
}

func columnNames(s *arrow.Schema) string {
	names := make([]string, 0, s.NumFields())
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	const most = 20
	if len(names) > most {
		return strings.Join(names[:most], ", ") + ", ..."
	}
	return strings.Join(names, ", ")
}

// accepted returns a function telling whether row i of a batch of n rows
// reached the destination (rejected lists the rows that did not).
func accepted(n int, rejected []int) func(int) bool {
	if len(rejected) == 0 {
		return func(int) bool { return true }
	}
	bad := make([]bool, n)
	for _, r := range rejected {
		if r >= 0 && r < n {
			bad[r] = true
		}
	}
	return func(i int) bool { return !bad[i] }
}

// mustJSON marshals a state; the states are plain structs, so it cannot
// fail.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("quality: marshal state: %v", err))
	}
	return b
}

// examples keeps up to 5 distinct example values.
type examples []string

func (e *examples) add(v string) {
	if len(*e) < 5 && !slices.Contains(*e, v) {
		*e = append(*e, cut(v, 80))
	}
}

func (e examples) String() string {
	if len(e) == 0 {
		return ""
	}
	return " (e.g. " + strings.Join(e, ", ") + ")"
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
