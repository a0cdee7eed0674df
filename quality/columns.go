package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// ---- not null ----

// NotNullCheck is the rule made by NotNull.
type NotNullCheck struct {
	base
	columns []string
	idx     []int
	nulls   []int64
	rows    int64
}

var _ ferry.Check = (*NotNullCheck)(nil)

// NotNull returns the rule that the columns hold no NULL in the rows of the
// run.
func NotNull(sev Severity, columns ...string) *NotNullCheck {
	return &NotNullCheck{base: base{name: "not_null(" + strings.Join(columns, ",") + ")", severity: sev}, columns: columns}
}

// Begin finds the columns.
func (c *NotNullCheck) Begin(s *arrow.Schema) error {
	idx, err := columnIndexes(c.name, s, c.columns)
	if err != nil {
		return err
	}
	c.idx = idx
	c.nulls = make([]int64, len(c.columns))
	return nil
}

type nullState struct {
	Nulls []int64 `json:"nulls"`
	Rows  int64   `json:"rows"`
}

type notNullSplit struct {
	c  *NotNullCheck
	st nullState
}

// NewSplit returns a split's null counter.
func (c *NotNullCheck) NewSplit() ferry.SplitCheck {
	return &notNullSplit{c: c, st: nullState{Nulls: make([]int64, len(c.idx))}}
}

func (s *notNullSplit) Observe(b arrow.RecordBatch, rejected []int) {
	n := int(b.NumRows())
	s.st.Rows += int64(n - len(rejected))
	for k, j := range s.c.idx {
		col := b.Column(j)
		if col.NullN() == 0 {
			continue
		}
		if len(rejected) == 0 {
			s.st.Nulls[k] += int64(col.NullN())
			continue
		}
		ok := accepted(n, rejected)
		for i := range n {
			if ok(i) && col.IsNull(i) {
				s.st.Nulls[k]++
			}
		}
	}
}

func (s *notNullSplit) State() json.RawMessage { return mustJSON(s.st) }

// Merge adds a split's counts.
func (c *NotNullCheck) Merge(state json.RawMessage) error {
	var st nullState
	if err := json.Unmarshal(state, &st); err != nil || len(st.Nulls) != len(c.nulls) {
		return fmt.Errorf("quality: %s: bad split state %s", c.name, cut(string(state), 100))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range st.Nulls {
		c.nulls[i] += n
	}
	c.rows += st.Rows
	return nil
}

// Verify passes when no column had a NULL.
func (c *NotNullCheck) Verify(_ context.Context, in ferry.CheckInput) ferry.CheckResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { c.nulls, c.rows = make([]int64, len(c.nulls)), 0 }()
	var bad []string
	for i, n := range c.nulls {
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%s has %d NULLs", c.columns[i], n))
		}
	}
	if len(bad) > 0 {
		return c.result(false, "%s in %d rows%s", strings.Join(bad, ", "), c.rows, unchecked(in))
	}
	return c.result(true, "no NULL in %d rows%s", c.rows, unchecked(in))
}

func unchecked(in ferry.CheckInput) string {
	if in.UncheckedSplits > 0 {
		return fmt.Sprintf(" (%d splits done before a resume were not checked)", in.UncheckedSplits)
	}
	return ""
}

// ---- range ----

// RangeCheck is the rule made by Range.
type RangeCheck struct {
	base
	column           string
	minText, maxText string
	idx              int
	k                kind
	minNum, maxNum   float64
	minTime, maxTime int64
	hasMin, hasMax   bool
	bad, rows        int64
	ex               examples
}

var _ ferry.Check = (*RangeCheck)(nil)

// Range returns the rule that the values of column lie within [min, max]
// in the rows of the run. The bounds are text, read by the column's type:
// numbers for numeric columns (decimals are compared as float64), RFC 3339
// times or dates for date and timestamp columns (zone-less ones as UTC),
// plain text (byte order) for strings; "" leaves that side open. NULLs are
// not checked (NotNull does); NaN is out of any range.
func Range(sev Severity, column, min, max string) *RangeCheck {
	return &RangeCheck{base: base{name: "range(" + column + ")", severity: sev}, column: column, minText: min, maxText: max}
}

// Begin finds the column and reads the bounds by its type.
func (c *RangeCheck) Begin(s *arrow.Schema) error {
	j, err := columnIndex(c.name, s, c.column)
	if err != nil {
		return err
	}
	c.idx = j
	c.k = kindOf(s.Field(j).Type)
	c.hasMin, c.hasMax = c.minText != "", c.maxText != ""
	if !c.hasMin && !c.hasMax {
		return fmt.Errorf("quality: %s: neither min nor max is set", c.name)
	}
	switch c.k {
	case kindNumber:
		if c.hasMin {
			if c.minNum, err = strconv.ParseFloat(c.minText, 64); err != nil {
				return fmt.Errorf("quality: %s: min %q is not a number", c.name, c.minText)
			}
		}
		if c.hasMax {
			if c.maxNum, err = strconv.ParseFloat(c.maxText, 64); err != nil {
				return fmt.Errorf("quality: %s: max %q is not a number", c.name, c.maxText)
			}
		}
		if c.hasMin && c.hasMax && c.minNum > c.maxNum {
			return fmt.Errorf("quality: %s: min %s is over max %s", c.name, c.minText, c.maxText)
		}
	case kindTime:
		if c.hasMin {
			t, err := parseTime(c.minText)
			if err != nil {
				return fmt.Errorf("quality: %s: min: %w", c.name, err)
			}
			c.minTime = t.UnixMicro()
		}
		if c.hasMax {
			t, err := parseTime(c.maxText)
			if err != nil {
				return fmt.Errorf("quality: %s: max: %w", c.name, err)
			}
			c.maxTime = t.UnixMicro()
		}
	case kindText:
	default:
		return fmt.Errorf("quality: %s: column %s is %s; a range needs numbers, dates, timestamps or text", c.name, c.column, s.Field(j).Type)
	}
	return nil
}

type badState struct {
	Bad      int64    `json:"bad"`
	Rows     int64    `json:"rows"`
	Examples examples `json:"examples,omitempty"`
}

type rangeSplit struct {
	c  *RangeCheck
	st badState
}

// NewSplit returns a split's counter of values out of range.
func (c *RangeCheck) NewSplit() ferry.SplitCheck { return &rangeSplit{c: c} }

func (s *rangeSplit) Observe(b arrow.RecordBatch, rejected []int) {
	c := s.c
	col := b.Column(c.idx)
	n := int(b.NumRows())
	ok := accepted(n, rejected)
	s.st.Rows += int64(n - len(rejected))
	var out func(i int) bool
	switch c.k {
	case kindNumber:
		get := numberGetter(col)
		out = func(i int) bool {
			v := get(i)
			return math.IsNaN(v) || (c.hasMin && v < c.minNum) || (c.hasMax && v > c.maxNum)
		}
	case kindTime:
		get := timeGetter(col)
		out = func(i int) bool {
			v := get(i)
			return (c.hasMin && v < c.minTime) || (c.hasMax && v > c.maxTime)
		}
	case kindText:
		get := textGetter(col)
		out = func(i int) bool {
			v := get(i)
			return (c.hasMin && v < c.minText) || (c.hasMax && v > c.maxText)
		}
	}
	if out == nil { // a type Begin accepted but the batch does not have
		s.st.Bad += int64(n)
		s.st.Examples.add("column type " + col.DataType().String())
		return
	}
	for i := range n {
		if ok(i) && !col.IsNull(i) && out(i) {
			s.st.Bad++
			s.st.Examples.add(keyText(col, i))
		}
	}
}

func (s *rangeSplit) State() json.RawMessage { return mustJSON(s.st) }

// Merge adds a split's counts.
func (c *RangeCheck) Merge(state json.RawMessage) error {
	return mergeBad(&c.base, state, &c.bad, &c.rows, &c.ex)
}

func mergeBad(b *base, state json.RawMessage, bad, rows *int64, ex *examples) error {
	var st badState
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("quality: %s: bad split state %s", b.name, cut(string(state), 100))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	*bad += st.Bad
	*rows += st.Rows
	for _, e := range st.Examples {
		ex.add(e)
	}
	return nil
}

// Verify passes when no value was out of range.
func (c *RangeCheck) Verify(_ context.Context, in ferry.CheckInput) ferry.CheckResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	bad, rows, ex := c.bad, c.rows, c.ex
	c.bad, c.rows, c.ex = 0, 0, nil
	bounds := fmt.Sprintf("[%s, %s]", orInf(c.minText, "-∞"), orInf(c.maxText, "+∞"))
	if bad > 0 {
		return c.result(false, "%d of %d values of %s outside %s%s%s", bad, rows, c.column, bounds, ex, unchecked(in))
	}
	return c.result(true, "%d values of %s within %s%s", rows, c.column, bounds, unchecked(in))
}

func orInf(s, inf string) string {
	if s == "" {
		return inf
	}
	return s
}

// ---- allowed set ----

// AllowedCheck is the rule made by Allowed.
type AllowedCheck struct {
	base
	column    string
	values    []string
	set       map[string]bool
	idx       int
	bad, rows int64
	ex        examples
}

var _ ferry.Check = (*AllowedCheck)(nil)

// Allowed returns the rule that the values of column are among values, in
// the rows of the run. Values are compared as text: strings as they are,
// integers in decimal, booleans as true/false. NULLs are not checked.
func Allowed(sev Severity, column string, values ...string) *AllowedCheck {
	return &AllowedCheck{base: base{name: "allowed(" + column + ")", severity: sev}, column: column, values: values}
}

// Begin finds the column.
func (c *AllowedCheck) Begin(s *arrow.Schema) error {
	j, err := columnIndex(c.name, s, c.column)
	if err != nil {
		return err
	}
	c.idx = j
	switch t := s.Field(j).Type; {
	case kindOf(t) == kindText, kindOf(t) == kindBool, arrow.IsInteger(t.ID()):
	default:
		return fmt.Errorf("quality: %s: column %s is %s; an allowed set needs text, integers or booleans", c.name, c.column, t)
	}
	if len(c.values) == 0 {
		return fmt.Errorf("quality: %s: no allowed values", c.name)
	}
	c.set = make(map[string]bool, len(c.values))
	for _, v := range c.values {
		c.set[v] = true
	}
	return nil
}

type allowedSplit struct {
	c  *AllowedCheck
	st badState
}

// NewSplit returns a split's counter of values not in the set.
func (c *AllowedCheck) NewSplit() ferry.SplitCheck { return &allowedSplit{c: c} }

func (s *allowedSplit) Observe(b arrow.RecordBatch, rejected []int) {
	col := b.Column(s.c.idx)
	n := int(b.NumRows())
	ok := accepted(n, rejected)
	s.st.Rows += int64(n - len(rejected))
	text := textGetter(col)
	for i := range n {
		if !ok(i) || col.IsNull(i) {
			continue
		}
		var v string
		if text != nil {
			v = text(i)
		} else {
			v = keyText(col, i)
		}
		if !s.c.set[v] {
			s.st.Bad++
			s.st.Examples.add(strconv.Quote(v))
		}
	}
}

func (s *allowedSplit) State() json.RawMessage { return mustJSON(s.st) }

// Merge adds a split's counts.
func (c *AllowedCheck) Merge(state json.RawMessage) error {
	return mergeBad(&c.base, state, &c.bad, &c.rows, &c.ex)
}

// Verify passes when every value was allowed.
func (c *AllowedCheck) Verify(_ context.Context, in ferry.CheckInput) ferry.CheckResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	bad, rows, ex := c.bad, c.rows, c.ex
	c.bad, c.rows, c.ex = 0, 0, nil
	if bad > 0 {
		return c.result(false, "%d of %d values of %s not in the allowed set%s%s", bad, rows, c.column, ex, unchecked(in))
	}
	return c.result(true, "%d values of %s in the allowed set of %d%s", rows, c.column, len(c.values), unchecked(in))
}

// ---- freshness ----

// FreshnessCheck is the rule made by Freshness.
type FreshnessCheck struct {
	base
	column string
	maxAge time.Duration
	now    func() time.Time
	idx    int
	newest int64 // microseconds
	rows   int64
}

var _ ferry.Check = (*FreshnessCheck)(nil)

// Freshness returns the rule that the newest value of column (a date or
// timestamp; zone-less ones read as UTC) in the rows of the run is at most
// maxAge old when the run finishes. A run that wrote no non-NULL value
// fails it: nothing fresh arrived.
func Freshness(sev Severity, column string, maxAge time.Duration) *FreshnessCheck {
	return &FreshnessCheck{base: base{name: "freshness(" + column + ")", severity: sev}, column: column, maxAge: maxAge, now: time.Now}
}

// WithClock sets the clock the age is measured on (time.Now by default)
// and returns c.
func (c *FreshnessCheck) WithClock(now func() time.Time) *FreshnessCheck {
	c.now = now
	return c
}

// Begin finds the column.
func (c *FreshnessCheck) Begin(s *arrow.Schema) error {
	j, err := columnIndex(c.name, s, c.column)
	if err != nil {
		return err
	}
	if kindOf(s.Field(j).Type) != kindTime {
		return fmt.Errorf("quality: %s: column %s is %s; freshness needs a date or timestamp", c.name, c.column, s.Field(j).Type)
	}
	if c.maxAge <= 0 {
		return fmt.Errorf("quality: %s: max_age must be positive", c.name)
	}
	c.idx = j
	c.newest = math.MinInt64
	return nil
}

type freshState struct {
	Rows   int64 `json:"rows"`
	Newest int64 `json:"newest_us"`
}

type freshSplit struct {
	c  *FreshnessCheck
	st freshState
}

// NewSplit returns a split's newest-value tracker.
func (c *FreshnessCheck) NewSplit() ferry.SplitCheck {
	return &freshSplit{c: c, st: freshState{Newest: math.MinInt64}}
}

func (s *freshSplit) Observe(b arrow.RecordBatch, rejected []int) {
	col := b.Column(s.c.idx)
	get := timeGetter(col)
	if get == nil {
		return
	}
	n := int(b.NumRows())
	ok := accepted(n, rejected)
	for i := range n {
		if ok(i) && !col.IsNull(i) {
			s.st.Rows++
			s.st.Newest = max(s.st.Newest, get(i))
		}
	}
}

func (s *freshSplit) State() json.RawMessage { return mustJSON(s.st) }

// Merge keeps the newest value.
func (c *FreshnessCheck) Merge(state json.RawMessage) error {
	var st freshState
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("quality: %s: bad split state %s", c.name, cut(string(state), 100))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows += st.Rows
	if st.Rows > 0 {
		c.newest = max(c.newest, st.Newest)
	}
	return nil
}

// Verify passes when the newest value is recent enough.
func (c *FreshnessCheck) Verify(_ context.Context, in ferry.CheckInput) ferry.CheckResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	newest, rows := c.newest, c.rows
	c.newest, c.rows = math.MinInt64, 0
	if rows == 0 {
		return c.result(false, "no value of %s was written: nothing fresh arrived%s", c.column, unchecked(in))
	}
	age := c.now().Sub(time.UnixMicro(newest))
	if age > c.maxAge {
		return c.result(false, "newest %s is %s, %s old (max %s)%s", c.column, formatMicros(newest), age.Round(time.Second), c.maxAge, unchecked(in))
	}
	return c.result(true, "newest %s is %s, %s old (max %s)", c.column, formatMicros(newest), age.Round(time.Second), c.maxAge)
}
