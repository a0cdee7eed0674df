package quality

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
)

// Spec is one rule as JSON. Type picks the rule; the other fields are the
// rule's, and a field the type does not use is an error.
type Spec struct {
	// Type is row_count, not_null, unique, range, allowed, freshness or sql.
	Type string `json:"type"`
	// Name names the rule in the Summary; "" means a name from the type and
	// columns (required for sql).
	Name string `json:"name,omitempty"`
	// Severity is "blocking" (the default) or "warning".
	Severity string `json:"severity,omitempty"`
	// Columns are the columns of not_null and unique.
	Columns []string `json:"columns,omitempty"`
	// Column is the column of range, allowed and freshness.
	Column string `json:"column,omitempty"`
	// Min and Max bound row_count (integers) and range (a number or a
	// string).
	Min json.RawMessage `json:"min,omitempty"`
	Max json.RawMessage `json:"max,omitempty"`
	// MinRatio and MaxRatio bound row_count against the previous run.
	MinRatio float64 `json:"min_ratio,omitempty"`
	MaxRatio float64 `json:"max_ratio,omitempty"`
	// MinArrived bounds row_count as a fraction of the rows read (minus
	// those filtered): 0.99 = at least 99% arrive.
	MinArrived float64 `json:"min_arrived,omitempty"`
	// Values are the allowed values (strings, numbers or booleans).
	Values []json.RawMessage `json:"values,omitempty"`
	// MaxAge is freshness's limit: a Go duration ("26h", "90m").
	MaxAge string `json:"max_age,omitempty"`
	// SQL is the query of sql; SQLByDialect gives one per dialect
	// (postgresql, mysql, sqlite, sqlserver).
	SQL          string            `json:"sql,omitempty"`
	SQLByDialect map[string]string `json:"sql_by_dialect,omitempty"`
	// MaxKeys caps the keys unique checks in Ferry; In "sql" makes it
	// check only in SQL inside the commit.
	MaxKeys int    `json:"max_keys,omitempty"`
	In      string `json:"in,omitempty"`
}

// Env is what rules made from JSON need from their surroundings.
type Env struct {
	// PreviousRows returns the previous successful run's written rows
	// (row_count ratios); nil means there is no history.
	PreviousRows func(ctx context.Context) (rows int64, ok bool, err error)
	// Now is freshness's clock; nil means time.Now.
	Now func() time.Time
}

// Parse reads a JSON array of rules (Spec) and returns them as checks.
func Parse(data []byte, env *Env) ([]ferry.Check, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var specs []Spec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("quality: rules: %w", err)
	}
	return FromSpecs(specs, env)
}

// FromSpecs returns the checks of specs.
func FromSpecs(specs []Spec, env *Env) ([]ferry.Check, error) {
	if env == nil {
		env = &Env{}
	}
	var out []ferry.Check
	names := map[string]int{}
	for i, s := range specs {
		c, err := s.check(env)
		if err != nil {
			return nil, fmt.Errorf("%w (rule %d)", err, i+1)
		}
		if j, dup := names[c.Name()]; dup {
			return nil, fmt.Errorf("quality: rules %d and %d are both named %q: give one a \"name\"", j+1, i+1, c.Name())
		}
		names[c.Name()] = i
		out = append(out, c)
	}
	return out, nil
}

func (s Spec) check(env *Env) (ferry.Check, error) {
	var sev Severity
	switch s.Severity {
	case "", "blocking":
	case "warning", "warn":
		sev = Warning
	default:
		return nil, fmt.Errorf("quality: %s: severity %q (want blocking or warning)", s.Type, s.Severity)
	}
	used := map[string]bool{}
	use := func(fields ...string) {
		for _, f := range fields {
			used[f] = true
		}
	}
	var c interface {
		ferry.Check
		setName(string)
	}
	switch s.Type {
	case "row_count":
		use("min", "max", "min_ratio", "max_ratio", "min_arrived")
		var spec RowCountSpec
		var err error
		if spec.Min, err = intBound(s.Min, "min"); err != nil {
			return nil, err
		}
		if spec.Max, err = intBound(s.Max, "max"); err != nil {
			return nil, err
		}
		spec.MinRatio, spec.MaxRatio, spec.MinArrived, spec.Previous = s.MinRatio, s.MaxRatio, s.MinArrived, env.PreviousRows
		c = RowCount(sev, spec)
	case "not_null":
		use("columns")
		c = NotNull(sev, s.Columns...)
	case "unique":
		use("columns", "max_keys", "in")
		u := Unique(sev, s.Columns...)
		if s.MaxKeys > 0 {
			u.WithMaxKeys(s.MaxKeys)
		}
		switch s.In {
		case "", "auto":
		case "sql":
			u.SQLOnly()
		default:
			return nil, fmt.Errorf("quality: unique: in %q (want auto or sql)", s.In)
		}
		c = u
	case "range":
		use("column", "min", "max")
		lo, err := textBound(s.Min)
		if err != nil {
			return nil, fmt.Errorf("quality: range: min: %w", err)
		}
		hi, err := textBound(s.Max)
		if err != nil {
			return nil, fmt.Errorf("quality: range: max: %w", err)
		}
		c = Range(sev, s.Column, lo, hi)
	case "allowed":
		use("column", "values")
		vals := make([]string, 0, len(s.Values))
		for _, v := range s.Values {
			t, err := textBound(v)
			if err != nil {
				return nil, fmt.Errorf("quality: allowed: values: %w", err)
			}
			vals = append(vals, t)
		}
		c = Allowed(sev, s.Column, vals...)
	case "freshness":
		use("column", "max_age")
		d, err := time.ParseDuration(s.MaxAge)
		if err != nil {
			return nil, fmt.Errorf("quality: freshness: max_age %q is not a duration like \"26h\"", s.MaxAge)
		}
		f := Freshness(sev, s.Column, d)
		if env.Now != nil {
			f.WithClock(env.Now)
		}
		c = f
	case "sql":
		use("sql", "sql_by_dialect")
		if s.Name == "" {
			return nil, fmt.Errorf("quality: sql: a name is required")
		}
		q := SQL(sev, s.Name, s.SQL)
		for d, text := range s.SQLByDialect {
			q.ForDialect(d, text)
		}
		c = q
	case "":
		return nil, fmt.Errorf("quality: a rule without \"type\"")
	default:
		return nil, fmt.Errorf("quality: unknown rule type %q (want row_count, not_null, unique, range, allowed, freshness or sql)", s.Type)
	}
	if err := s.unused(used); err != nil {
		return nil, err
	}
	if s.Name != "" {
		c.setName(s.Name)
	}
	return c, nil
}

// unused reports a field set that the type does not read.
func (s Spec) unused(used map[string]bool) error {
	set := map[string]bool{
		"columns": len(s.Columns) > 0, "column": s.Column != "", "min": len(s.Min) > 0, "max": len(s.Max) > 0,
		"min_ratio": s.MinRatio != 0, "max_ratio": s.MaxRatio != 0, "min_arrived": s.MinArrived != 0, "values": len(s.Values) > 0, "max_age": s.MaxAge != "",
		"sql": s.SQL != "", "sql_by_dialect": len(s.SQLByDialect) > 0, "max_keys": s.MaxKeys != 0, "in": s.In != "",
	}
	for f, on := range set {
		if on && !used[f] {
			return fmt.Errorf("quality: %s: field %q does not apply to this rule type", s.Type, f)
		}
	}
	return nil
}

func intBound(raw json.RawMessage, field string) (int64, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("quality: row_count: %s %s is not a row count", field, raw)
	}
	return n, nil
}

// textBound turns a JSON string, number or boolean into its text.
func textBound(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&n) == nil {
		return n.String(), nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return strconv.FormatBool(b), nil
	}
	return "", fmt.Errorf("%s is not a string, number or boolean", raw)
}
