package quality_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferrydata/ferry/quality"
)

const allRules = `[
 {"type": "row_count", "min": 10, "max": 12, "min_ratio": 0.5},
 {"type": "not_null", "columns": ["note", "amount"]},
 {"type": "unique", "columns": ["id"], "max_keys": 100},
 {"type": "unique", "name": "unique_sql", "columns": ["status", "qty"], "in": "sql", "severity": "warning"},
 {"type": "range", "column": "amount", "min": 0, "max": "12.5"},
 {"type": "allowed", "column": "status", "values": ["new", "paid"]},
 {"type": "allowed", "column": "qty", "values": [1, 2, 3], "severity": "warning"},
 {"type": "freshness", "column": "updated_at", "max_age": "3h"},
 {"type": "sql", "name": "no_negative", "sql": "SELECT id FROM {table} WHERE amount < 0", "sql_by_dialect": {"mysql": "SELECT id FROM {table} WHERE amount < 0 LIMIT 5"}}
]`

func TestParseRunsEveryRule(t *testing.T) {
	env := &quality.Env{
		PreviousRows: func(context.Context) (int64, bool, error) { return 20, true, nil },
		Now:          func() time.Time { return base.Add(time.Hour) },
	}
	checks, err := quality.Parse([]byte(allRules), env)
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, goodRows(), nil, checks...)
	if res.err == nil {
		t.Fatal("the sql rule has no querier here and is blocking: the run must fail")
	}
	want := map[string]bool{
		"row_count": true, "not_null(note,amount)": true, "unique(id)": true, "unique_sql": false, "range(amount)": true,
		"allowed(status)": true, "allowed(qty)": false, "freshness(updated_at)": true, "no_negative": false,
	}
	if len(res.sum.Checks) != len(want) {
		t.Fatalf("checks %+v", res.sum.Checks)
	}
	for _, c := range res.sum.Checks {
		if p, ok := want[c.Name]; !ok || p != c.Passed {
			t.Errorf("%s passed=%v (%s), want %v", c.Name, c.Passed, c.Detail, p)
		}
		if c.Name == "unique_sql" || c.Name == "allowed(qty)" {
			if c.Blocking {
				t.Errorf("%s should be a warning", c.Name)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`[{"type": "nope"}]`, `unknown rule type "nope"`},
		{`[{}]`, `without "type"`},
		{`[{"type": "not_null", "column": "id"}]`, `field "column" does not apply`},
		{`[{"type": "range", "column": "a", "min": [1]}]`, `is not a string, number or boolean`},
		{`[{"type": "row_count", "min": 1.5}]`, `is not a row count`},
		{`[{"type": "row_count", "min": -1}]`, `is not a row count`},
		{`[{"type": "freshness", "column": "a", "max_age": "a day"}]`, `not a duration`},
		{`[{"type": "sql", "sql": "SELECT 1"}]`, `a name is required`},
		{`[{"type": "unique", "columns": ["id"], "in": "memory"}]`, `in "memory"`},
		{`[{"type": "not_null", "columns": ["a"], "severity": "fatal"}]`, `severity "fatal"`},
		{`[{"type": "not_null", "columns": ["a"]}, {"type": "not_null", "columns": ["a"]}]`, `rules 1 and 2 are both named`},
		{`[{"type": "not_null", "colums": ["a"]}]`, `unknown field "colums"`},
		{`{"type": "not_null"}`, `quality: rules:`},
	} {
		_, err := quality.Parse([]byte(c.json), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "quality: ") {
			t.Errorf("%s: error %v, want %q", c.json, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(allRules))
	f.Add([]byte(`[{"type": "range", "column": "amount", "min": 1e400}]`))
	f.Add([]byte(`[{"type": "allowed", "column": "s", "values": [true, null, "x"]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checks, err := quality.Parse(data, nil)
		if err != nil {
			return
		}
		s := ordersSchema()
		for _, c := range checks {
			if c.Name() == "" {
				t.Fatalf("a rule without a name from %q", data)
			}
			_ = c.Begin(s) // must not panic
		}
	})
}
