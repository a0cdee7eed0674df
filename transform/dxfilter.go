package transform

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
)

// DXFilter is DataX's dx_filter: rows whose value matches "op value" are
// dropped (a match filters the row out; the engine counts it as filtered).
//
// op is one of like, not like (a full match of the regular expression value,
// in RE2 syntax: Java's lookarounds and backreferences are rejected when the
// filter is built), >, <, =, ==, !=, >= and <=. The comparison depends on
// the column's type, as in DataX:
//
//   - floats and decimals compare as float64 (DataX's Double), value parsed
//     as a number;
//   - integers compare as integers (DataX's Long); a value with a fraction
//     compares as a number (DataX fails on every row);
//   - dates, timestamps and times compare like DataX's Date, as epoch
//     milliseconds, when value is an integer; value may also be a date or
//     timestamp literal ("2024-03-10", "2024-03-10 02:30:00.5",
//     RFC 3339), read in the column's zone (UTC wall clock for zone-less
//     columns), which then compares at the column's full precision;
//   - everything else (strings, binary, booleans as "true"/"false", UUIDs,
//     JSON) compares as text, in Java's String.compareTo (UTF-16) order.
//
// NULL, as in DataX: never matches >, <, >=, <= or like; matches = only
// when value is "null" (any case); matches != unless value is "null"; and
// matches not like (so NULL rows are dropped by not like).
// A value that does not parse for the column's type is an error when the
// pipeline starts, not a dirty row per row.
func DXFilter(column int, op, value string, opts *Options) (ferry.Transformer, error) {
	op = strings.ToLower(strings.TrimSpace(op))
	f := &dxFilter{col: column, op: op, value: value, opts: opts}
	switch op {
	case "like", "not like":
		m, err := newFullMatcher(value)
		if err != nil {
			return nil, fmt.Errorf("transform: dx_filter: %s %q: not an RE2 regular expression (Java's lookarounds and backreferences are not supported): %w", op, value, err)
		}
		f.re = m
	case ">", "<", "=", "==", "!=", ">=", "<=":
	default:
		return nil, fmt.Errorf("transform: dx_filter: unknown operator %q (want like, not like, >, <, =, ==, !=, >= or <=)", op)
	}
	if value == "" {
		return nil, fmt.Errorf("transform: dx_filter: empty value")
	}
	f.b.bind = f.bind
	return f, nil
}

type dxFilter struct {
	col   int
	op    string
	value string
	re    *fullMatcher
	opts  *Options
	b     binding[dxFilterPlan]
}

type dxFilterPlan struct {
	out *arrow.Schema
	idx int
	// drop reports whether row i is filtered out.
	drop func(a arrow.Array, i int) bool
}

var _ ferry.Transformer = (*dxFilter)(nil)

// OutputSchema returns in: a filter keeps the schema.
func (f *dxFilter) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	if _, err := f.b.get(in); err != nil {
		return nil, err
	}
	return in, nil
}

// Transform drops the matching rows.
func (f *dxFilter) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := f.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	a := b.Column(p.idx)
	n := int(b.NumRows())
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = !p.drop(a, i)
	}
	return selectRows(ctx, f.opts.mem(), b, keep)
}

func (f *dxFilter) bind(in *arrow.Schema) (*dxFilterPlan, error) {
	idx, err := columnAt(in, "dx_filter", f.col)
	if err != nil {
		return nil, err
	}
	fld := in.Field(idx)
	p := &dxFilterPlan{out: in, idx: idx}
	fail := func(err error) (*dxFilterPlan, error) {
		return nil, fmt.Errorf("transform: dx_filter: column %q (%s) %s %q: %w", fld.Name, fld.Type, f.op, f.value, err)
	}
	if f.re != nil {
		str, err := stringerFor(fld.Type)
		if err != nil {
			return fail(err)
		}
		not := f.op == "not like"
		p.drop = func(a arrow.Array, i int) bool {
			if a.IsNull(i) {
				return not
			}
			return f.re.MatchString(str(a, i)) != not
		}
		return p, nil
	}
	isNullValue := strings.EqualFold(f.value, "null")
	cmp, err := f.comparer(fld)
	if err != nil {
		if !isNullValue {
			return fail(err)
		}
		// "= null" / "!= null" on a column the value cannot be compared
		// with: only NULL matches it.
		cmp = func(arrow.Array, int) (int, bool) { return 0, false }
	}
	op := f.op
	p.drop = func(a arrow.Array, i int) bool {
		if a.IsNull(i) {
			switch op {
			case "=", "==":
				return isNullValue
			case "!=":
				return !isNullValue
			}
			return false
		}
		c, ok := cmp(a, i)
		switch op {
		case ">":
			return ok && c > 0
		case "<":
			return ok && c < 0
		case ">=":
			return ok && c >= 0
		case "<=":
			return ok && c <= 0
		case "=", "==":
			return ok && c == 0
		}
		return !ok || c != 0 // "!="
	}
	return p, nil
}

// fullMatcher matches whole values against a regular expression, as
// Java's String.matches does. A pattern of the form .*X.* (or X.*, .*X) is
// matched as an unanchored search for X on values without a newline,
// which Go's regexp does far faster than the full match (the result is the
// same: . matches anything but a newline).
type fullMatcher struct {
	full, fast *regexp.Regexp
}

func newFullMatcher(pattern string) (*fullMatcher, error) {
	full, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, err
	}
	m := &fullMatcher{full: full}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return m, nil
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	dotStar := func(r *syntax.Regexp) bool {
		return r.Op == syntax.OpStar && len(r.Sub) == 1 && r.Sub[0].Op == syntax.OpAnyCharNotNL
	}
	left, right := len(subs) > 0 && dotStar(subs[0]), len(subs) > 1 && dotStar(subs[len(subs)-1])
	if !left && !right {
		return m, nil
	}
	if left {
		subs = subs[1:]
	}
	if right {
		subs = subs[:len(subs)-1]
	}
	mid := &syntax.Regexp{Op: syntax.OpConcat, Sub: subs}
	if len(subs) == 0 {
		mid = &syntax.Regexp{Op: syntax.OpEmptyMatch}
	}
	p := "(?:" + mid.String() + ")"
	if !left {
		p = "^" + p
	}
	if !right {
		p += "$"
	}
	if m.fast, err = regexp.Compile(p); err != nil {
		m.fast = nil
	}
	return m, nil
}

// MatchString reports whether all of s matches.
func (m *fullMatcher) MatchString(s string) bool {
	if m.fast != nil && strings.IndexByte(s, '\n') < 0 {
		return m.fast.MatchString(s)
	}
	return m.full.MatchString(s)
}

// comparer returns a function comparing value i of a column of fld's type
// with f.value: -1, 0 or 1, and false when they are unordered (NaN, or a
// value that cannot be compared).
func (f *dxFilter) comparer(fld arrow.Field) (func(a arrow.Array, i int) (int, bool), error) {
	v := strings.TrimSpace(f.value)
	switch t := fld.Type.(type) {
	case *arrow.Float32Type, *arrow.Float64Type, *arrow.Decimal128Type, *arrow.Decimal256Type:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("not a number")
		}
		get := float64Getter(t)
		return func(a arrow.Array, i int) (int, bool) { return cmpFloat(get(a, i), x) }, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		get := int64Getter(t)
		if x, err := strconv.ParseInt(v, 10, 64); err == nil {
			return func(a arrow.Array, i int) (int, bool) { return cmpInt(get(a, i), x), true }, nil
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("not a number")
		}
		return func(a arrow.Array, i int) (int, bool) { return cmpFloat(float64(get(a, i)), x) }, nil
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		get := uint64Getter(t)
		if x, err := strconv.ParseUint(v, 10, 64); err == nil {
			return func(a arrow.Array, i int) (int, bool) { return cmpUint(get(a, i), x), true }, nil
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("not a number")
		}
		return func(a arrow.Array, i int) (int, bool) { return cmpFloat(float64(get(a, i)), x) }, nil
	case *arrow.Date32Type, *arrow.Date64Type, *arrow.TimestampType, *arrow.Time32Type, *arrow.Time64Type:
		return timeComparer(t, v)
	}
	str, err := stringerFor(fld.Type)
	if err != nil {
		return nil, err
	}
	return func(a arrow.Array, i int) (int, bool) { return compareUTF16(str(a, i), f.value), true }, nil
}

// timeComparer compares date and time values with v: epoch milliseconds
// (DataX's Date.getTime(), floored) when v is an integer, otherwise the
// instant v names, at the column's precision (dates in microseconds).
func timeComparer(dt arrow.DataType, v string) (func(a arrow.Array, i int) (int, bool), error) {
	// val returns value i in unit (since the epoch, or midnight for clock).
	var val func(a arrow.Array, i int) int64
	unit := arrow.Microsecond
	loc := time.UTC
	clock := false
	switch t := dt.(type) {
	case *arrow.Date32Type:
		val = func(a arrow.Array, i int) int64 { return int64(a.(*array.Date32).Value(i)) * 86400e6 }
	case *arrow.Date64Type:
		val = func(a arrow.Array, i int) int64 { return int64(a.(*array.Date64).Value(i)) * 1e3 }
	case *arrow.TimestampType:
		var err error
		if loc, err = zoneOf(t); err != nil {
			return nil, err
		}
		unit = t.Unit
		val = func(a arrow.Array, i int) int64 { return int64(a.(*array.Timestamp).Value(i)) }
	case *arrow.Time32Type:
		clock, unit = true, t.Unit
		val = func(a arrow.Array, i int) int64 { return int64(a.(*array.Time32).Value(i)) }
	case *arrow.Time64Type:
		clock, unit = true, t.Unit
		val = func(a arrow.Array, i int) int64 { return int64(a.(*array.Time64).Value(i)) }
	}
	perMilli := int64(time.Millisecond) / int64(unit.Multiplier())
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		if perMilli == 0 { // seconds
			return func(a arrow.Array, i int) (int, bool) {
				x := val(a, i)
				if x > math.MaxInt64/1000 || x < math.MinInt64/1000 {
					return cmpInt(x, ms/1000), true
				}
				return cmpInt(x*1000, ms), true
			}, nil
		}
		return func(a arrow.Array, i int) (int, bool) {
			return cmpInt(floorDiv(val(a, i), perMilli), ms), true
		}, nil
	}
	var x int64
	if clock {
		d, err := parseClock(v)
		if err != nil {
			return nil, err
		}
		x = int64(d) / int64(unit.Multiplier())
	} else {
		t, err := parseTimeLiteral(v, loc)
		if err != nil {
			return nil, err
		}
		ts, err := arrow.TimestampFromTime(t, unit)
		if err != nil {
			return nil, fmt.Errorf("%s is out of the column's range: %w", t, err)
		}
		x = int64(ts)
	}
	return func(a arrow.Array, i int) (int, bool) { return cmpInt(val(a, i), x), true }, nil
}

// parseClock reads a time of day HH:MM[:SS[.fff]].
func parseClock(v string) (time.Duration, error) {
	for _, layout := range []string{"15:04:05.999999999", "15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()), nil
		}
	}
	return 0, fmt.Errorf("want epoch milliseconds or a time of day HH:MM:SS")
}

// parseTimeLiteral reads a date or timestamp literal; one without an offset
// is read in loc.
func parseTimeLiteral(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", time.DateOnly, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want epoch milliseconds, a date (2006-01-02) or a timestamp (2006-01-02 15:04:05)")
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) (int, bool) {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return 0, false
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	}
	return 0, true
}

// float64Getter returns an accessor for float and decimal arrays.
func float64Getter(dt arrow.DataType) func(a arrow.Array, i int) float64 {
	switch t := dt.(type) {
	case *arrow.Float32Type:
		return func(a arrow.Array, i int) float64 { return float64(a.(*array.Float32).Value(i)) }
	case *arrow.Decimal128Type:
		if t.Scale >= 0 && t.Scale <= 22 {
			// Below 2^53 the unscaled value and 10^scale are exact doubles and
			// one IEEE division rounds correctly, as parsing the decimal's
			// text would: the common case without big-number arithmetic.
			div := math.Pow10(int(t.Scale))
			return func(a arrow.Array, i int) float64 {
				n := a.(*array.Decimal128).Value(i)
				if lo, hi := n.LowBits(), n.HighBits(); (hi == 0 && lo < 1<<53) || (hi == -1 && int64(lo) < 0 && int64(lo) > -(1<<53)) {
					return float64(int64(lo)) / div
				}
				return decimalFloat(n.ToString(t.Scale))
			}
		}
		return func(a arrow.Array, i int) float64 {
			return decimalFloat(a.(*array.Decimal128).Value(i).ToString(t.Scale))
		}
	case *arrow.Decimal256Type:
		return func(a arrow.Array, i int) float64 {
			return decimalFloat(a.(*array.Decimal256).Value(i).ToString(t.Scale))
		}
	}
	return func(a arrow.Array, i int) float64 { return a.(*array.Float64).Value(i) }
}

// decimalFloat is the double nearest to a decimal's text (Arrow's own
// ToFloat64 is off by an ulp past 2^53).
func decimalFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// compareUTF16 compares a and b as Java's String.compareTo does: by UTF-16
// code units. It differs from Go's byte order only where a character above
// U+FFFF meets one in U+E000..U+FFFF.
func compareUTF16(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return cmpInt(int64(len(a)), int64(len(b)))
	}
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	return cmpInt(int64(utf16Key(ra)), int64(utf16Key(rb)))
}

// utf16Key orders runes by their first UTF-16 code unit, then the rest.
func utf16Key(r rune) int64 {
	if r >= 0x10000 {
		r -= 0x10000
		return int64(0xD800+(r>>10))<<16 | int64(0xDC00+(r&0x3FF))
	}
	return int64(r) << 16
}
