// Package cursor makes incremental syncs by a saved cursor: each run reads
// only the rows whose cursor columns (one, or a composite such as
// updated_at,id) are past the largest value the previous run committed, and
// saves the new largest value after its commit succeeded.
//
// Semantics, stated:
//   - The first run (no saved state) is a full copy.
//   - The comparison is done by the source database in the column's own type:
//     the saved value is rendered as a typed literal (TIMESTAMP '…', DATE '…',
//     a number), never compared as text. Cursor columns must be integers,
//     decimals, dates or timestamps (strings would be ordered by the
//     database's collation, which Ferry cannot reproduce, so a row could be
//     skipped).
//   - A composite cursor compares as a tuple: (c1 > v1) OR (c1 = v1 AND c2 >
//     v2) …, so rows sharing a timestamp across a batch or run boundary are
//     not lost.
//   - The new cursor is the largest tuple of the rows actually written
//     (rows the destination rejected as dirty do not count), computed as they
//     are written and merged across splits.
//   - The state is saved only after the commit succeeded: a crash between
//     the commit and the save repeats rows on the next run (upsert absorbs
//     them) and never skips any.
//   - NULL cursor values: with NullsInclude (the default) a row with a NULL
//     cursor column is read on every run; with NullsExclude only the first
//     run reads it.
//   - Lookback re-reads a window before the saved value of the first column
//     (a date or timestamp), for rows committed late in the source.
//   - Deletes in the source are not seen, and neither are updates that do not
//     move the cursor.
package cursor

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry/internal/sqlident"
)

// NullPolicy says what happens to rows whose cursor columns hold NULL.
type NullPolicy string

// The NULL policies.
const (
	NullsInclude NullPolicy = "include" // read on every run (the default)
	NullsExclude NullPolicy = "exclude" // read by the first run only
)

// Spec says which columns make the cursor.
type Spec struct {
	// Columns are the cursor columns, most significant first.
	Columns []string
	// Nulls is the NULL policy; "" means NullsInclude.
	Nulls NullPolicy
	// Lookback re-reads this much before the saved value of the first
	// column, which must then be a date or a timestamp.
	Lookback time.Duration
}

// Check reports a Spec that cannot work.
func (s Spec) Check() error {
	if len(s.Columns) == 0 {
		return fmt.Errorf("cursor: no cursor columns")
	}
	seen := map[string]bool{}
	for _, c := range s.Columns {
		if err := sqlident.Check(c); err != nil {
			return fmt.Errorf("cursor: column %q: %w", c, err)
		}
		if seen[c] {
			return fmt.Errorf("cursor: column %s is named twice", c)
		}
		seen[c] = true
	}
	switch s.Nulls {
	case "", NullsInclude, NullsExclude:
	default:
		return fmt.Errorf("cursor: nulls=%q (want include or exclude)", s.Nulls)
	}
	if s.Lookback < 0 {
		return fmt.Errorf("cursor: lookback must not be negative")
	}
	return nil
}

// Kind is the comparable kind of a cursor column.
type Kind string

// The kinds.
const (
	KindInt       Kind = "int"       // signed or unsigned integers, as decimal text
	KindDecimal   Kind = "decimal"   // exact decimals, as decimal text
	KindDate      Kind = "date"      // YYYY-MM-DD
	KindTimestamp Kind = "timestamp" // zone-less: YYYY-MM-DD HH:MM:SS.ffffff(fff)
	KindInstant   Kind = "instant"   // an instant, in UTC: YYYY-MM-DD HH:MM:SS.ffffff(fff)+00:00
)

// Value is one column's saved cursor value.
type Value struct {
	Column string `json:"column"`
	Kind   Kind   `json:"kind"`
	Text   string `json:"value"`
}

// kindOf returns the kind of an Arrow type, or an error naming the column.
func kindOf(col string, t arrow.DataType) (Kind, error) {
	switch t := t.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		return KindInt, nil
	case *arrow.Decimal128Type, *arrow.Decimal256Type:
		return KindDecimal, nil
	case *arrow.Date32Type, *arrow.Date64Type:
		return KindDate, nil
	case *arrow.TimestampType:
		if t.TimeZone == "" {
			return KindTimestamp, nil
		}
		return KindInstant, nil
	}
	return "", fmt.Errorf("cursor: column %s is %s; a cursor column must be an integer, a decimal, a date or a timestamp", col, t)
}

var numberText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// literal renders v as a typed literal of dialect d.
func literal(d sqlident.Dialect, v Value) (string, error) {
	switch v.Kind {
	case KindInt, KindDecimal:
		if !numberText.MatchString(v.Text) {
			return "", fmt.Errorf("cursor: saved value %q of %s is not a number", v.Text, v.Column)
		}
		return v.Text, nil
	}
	if _, err := parseTime(v); err != nil {
		return "", err
	}
	lit, err := d.Literal(v.Text)
	if err != nil {
		return "", err
	}
	switch d {
	case sqlident.PostgreSQL:
		switch v.Kind {
		case KindDate:
			return "DATE " + lit, nil
		case KindTimestamp:
			return "TIMESTAMP " + lit, nil
		default:
			return "TIMESTAMPTZ " + lit, nil
		}
	case sqlident.MySQL:
		// MySQL takes the instant's text in the session zone, which Ferry's
		// MySQL connections set to UTC.
		if v.Kind == KindDate {
			return "DATE " + lit, nil
		}
		t, _ := parseTime(v)
		l, _ := d.Literal(t.UTC().Format("2006-01-02 15:04:05.999999"))
		return "TIMESTAMP " + l, nil
	case sqlident.SQLServer:
		switch v.Kind {
		case KindDate:
			return "CAST(" + lit + " AS date)", nil
		case KindTimestamp:
			return "CAST(" + lit + " AS datetime2(7))", nil
		default:
			return "CAST(" + lit + " AS datetimeoffset(7))", nil
		}
	}
	return lit, nil // SQLite compares its stored text
}

const (
	timestampLayout = "2006-01-02 15:04:05.999999999"
	instantLayout   = "2006-01-02 15:04:05.999999999-07:00"
	dateLayout      = "2006-01-02"
)

func parseTime(v Value) (time.Time, error) {
	layout := map[Kind]string{KindDate: dateLayout, KindTimestamp: timestampLayout, KindInstant: instantLayout}[v.Kind]
	if layout == "" {
		return time.Time{}, fmt.Errorf("cursor: saved value of %s has kind %q", v.Column, v.Kind)
	}
	t, err := time.Parse(layout, v.Text)
	if err != nil {
		return time.Time{}, fmt.Errorf("cursor: saved value %q of %s is not a %s", v.Text, v.Column, v.Kind)
	}
	return t, nil
}

// Predicate returns the SQL condition that selects the rows past the saved
// values, in dialect d, or "" when there are none (the first run). Names
// are quoted, values rendered as typed literals.
func (s Spec) Predicate(d sqlident.Dialect, saved []Value) (string, error) {
	if err := s.Check(); err != nil {
		return "", err
	}
	if len(saved) == 0 {
		return "", nil
	}
	if len(saved) != len(s.Columns) {
		return "", fmt.Errorf("cursor: the saved state has %d columns, the cursor %d (%s): reset the state after changing the cursor", len(saved), len(s.Columns), strings.Join(s.Columns, ","))
	}
	cols := make([]string, len(saved))
	lits := make([]string, len(saved))
	for i, v := range saved {
		if v.Column != s.Columns[i] {
			return "", fmt.Errorf("cursor: the saved state is for column %s, the cursor names %s: reset the state after changing the cursor", v.Column, s.Columns[i])
		}
		q, err := d.Quote(v.Column)
		if err != nil {
			return "", err
		}
		cols[i] = q
		if i == 0 && s.Lookback > 0 {
			if v.Kind == KindInt || v.Kind == KindDecimal {
				return "", fmt.Errorf("cursor: lookback needs a date or timestamp first column; %s is %s", v.Column, v.Kind)
			}
			t, err := parseTime(v)
			if err != nil {
				return "", err
			}
			v.Text = formatTime(v.Kind, t.Add(-s.Lookback))
		}
		if lits[i], err = literal(d, v); err != nil {
			return "", err
		}
	}
	var pred string
	if s.Lookback > 0 {
		// The window is re-read whole: ties are inside it.
		pred = fmt.Sprintf("%s >= %s", cols[0], lits[0])
	} else {
		var ors []string
		for i := range cols {
			var ands []string
			for j := 0; j < i; j++ {
				ands = append(ands, fmt.Sprintf("%s = %s", cols[j], lits[j]))
			}
			ands = append(ands, fmt.Sprintf("%s > %s", cols[i], lits[i]))
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
		pred = strings.Join(ors, " OR ")
	}
	if s.Nulls != NullsExclude {
		for _, c := range cols {
			pred += " OR " + c + " IS NULL"
		}
	}
	return "(" + pred + ")", nil
}

func formatTime(k Kind, t time.Time) string {
	switch k {
	case KindDate:
		return t.Format(dateLayout)
	case KindTimestamp:
		return t.Format(timestampLayout)
	}
	return t.UTC().Format(instantLayout)
}

// compare compares two values of one kind: -1, 0 or 1.
func compare(k Kind, a, b string) int {
	switch k {
	case KindInt, KindDecimal:
		x, _ := new(big.Rat).SetString(a)
		y, _ := new(big.Rat).SetString(b)
		if x == nil || y == nil {
			return strings.Compare(a, b)
		}
		return x.Cmp(y)
	}
	ta, err1 := parseTime(Value{Kind: k, Text: a})
	tb, err2 := parseTime(Value{Kind: k, Text: b})
	if err1 != nil || err2 != nil {
		return strings.Compare(a, b)
	}
	return ta.Compare(tb)
}

// compareTuples compares two tuples column by column.
func compareTuples(a, b []Value) int {
	for i := range a {
		if c := compare(a[i].Kind, a[i].Text, b[i].Text); c != 0 {
			return c
		}
	}
	return 0
}

// marshal helpers for SplitCheck states.
func marshalTuple(t []Value) json.RawMessage {
	if t == nil {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(t)
	return b
}
