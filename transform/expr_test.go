package transform_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/transform"
)

// TestExprFilter: comparisons, arithmetic, string functions, CASE-like
// conditionals, null tests and date functions over stdBatch, whose rows are
// n = 123, -5, NULL, 0; f = 1.5, 5, NaN, NULL; d = 1.50, -5.00, 10.25, NULL;
// s = apple, banana, cherry, NULL; day = 2024-01-01, 2024-03-10, 2024-12-31,
// NULL; ts = 2024-01-01 00:00, 2024-03-10 02:30:00.5, 2024-12-31 23:59:59.999999,
// NULL; flag = true, false, true, NULL.
func TestExprFilter(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	tests := []struct {
		where string
		keep  []int64
	}{
		{"n > 0", []int64{0}}, // NULL > 0 is NULL: dropped
		{"n == nil", []int64{2}},
		{"n != nil && n <= 0", []int64{1, 3}},
		{"(n ?? 0) == 0", []int64{2, 3}},
		{"n * 2 + 1 > 0 and f < 3", []int64{0}},
		{"n % 2 == 1", []int64{0}},
		{"s startsWith 'b' || s == nil", []int64{1, 3}},
		{"upper(s) == 'APPLE'", []int64{0}},
		{"len(s) > 5", []int64{1, 2}},
		{"s in ['apple', 'cherry']", []int64{0, 2}},
		{"s matches '^b.*a$'", []int64{1}},
		{"substr(s, 1, 2) == 'pp'", []int64{0}},
		{"f > 1", []int64{0, 1}}, // NaN > 1 is false
		{"d * 2 > 3", []int64{2}},
		{"flag", []int64{0, 2}},
		{"!flag", []int64{1}},
		{"day.Year() == 2024 && int(day.Month()) >= 3", []int64{1, 2}},
		{"ts > date('2024-03-10')", []int64{1, 2}},
		{"ts.Hour() == 2 && ts.Nanosecond() == 500000000", []int64{1}},
		{"day.Format('2006-01') == '2024-12'", []int64{2}},
		{"(n > 0 ? 'pos' : n < 0 ? 'neg' : 'zero') == 'neg'", []int64{1}},
		{"if n == 0 { true } else { false }", []int64{3}},
		{"col(1) > 100", []int64{0}},
		{`$env["s"] == "banana"`, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			tr, err := transform.Filter(tt.where, &transform.Options{Allocator: mem})
			require.NoError(t, err)
			out, d := run(t, tr, b)
			defer out.Release()
			require.Empty(t, d)
			require.Equal(t, tt.keep, ids(t, out))
		})
	}
}

// TestExprFilterDirty: an expression that fails on non-NULL values makes
// the row dirty, naming the column and the value; the other rows go on.
func TestExprFilterDirty(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	tr, err := transform.Filter("n % (n - 123) == 0", &transform.Options{Allocator: mem})
	require.NoError(t, err)
	out, d := run(t, tr, b)
	defer out.Release()
	require.Equal(t, []int64{3}, ids(t, out))
	require.Len(t, d, 1)
	require.EqualValues(t, 0, d[0].Row)
	require.Equal(t, "n", d[0].Column)
	require.EqualValues(t, 123, d[0].Value)
	require.ErrorContains(t, d[0].Err, "integer divide by zero")
}

func TestExprCompute(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	idx := func(i int) *int { return &i }
	tests := []struct {
		cfg      transform.ComputeConfig
		col      int // output column index
		typ      string
		want     string // the column's values
		dirtyIDs []int64
	}{
		{cfg: transform.ComputeConfig{Column: "total", Expr: "n * 2"}, col: 8, typ: "int64", want: "[246 -10 (null) 0]"},
		{cfg: transform.ComputeConfig{Column: "s", Expr: "upper(s) + '!'"}, col: 4, typ: "utf8", want: `["APPLE!" "BANANA!" "CHERRY!" (null)]`},
		{cfg: transform.ComputeConfig{Column: "sign", Expr: "n > 0 ? 'pos' : n < 0 ? 'neg' : 'zero'"}, col: 8, typ: "utf8", want: `["pos" "neg" (null) "zero"]`},
		{cfg: transform.ComputeConfig{Column: "y", Expr: "day.Year()"}, col: 8, typ: "int64", want: "[2024 2024 2024 (null)]"},
		{cfg: transform.ComputeConfig{Column: "n", Expr: "n ?? -1", Type: "int32"}, col: 1, typ: "int32", want: "[123 -5 -1 0]"},
		{cfg: transform.ComputeConfig{Column: "amount", Expr: "d * 2", Type: "decimal(10,2)"}, col: 8, typ: "decimal(10, 2)", want: "[3 -10 20.5 (null)]"},
		{cfg: transform.ComputeConfig{ColumnIndex: idx(4), Expr: "substr(col(4), 1, 3)"}, col: 4, typ: "utf8", want: `["ppl" "ana" "her" (null)]`},
		{cfg: transform.ComputeConfig{Column: "local", Expr: "ts.In(timezone('Asia/Shanghai')).Format('2006-01-02 15:04')"}, col: 8, typ: "utf8",
			want: `["2024-01-01 08:00" "2024-03-10 10:30" "2025-01-01 07:59" (null)]`},
		{cfg: transform.ComputeConfig{Column: "later", Expr: "ts.Add(duration('90m'))", Type: "timestamp"}, col: 8, typ: "timestamp[us]",
			want: "[2024-01-01 01:30:00 2024-03-10 04:00:00.5 2025-01-01 01:29:59.999999 (null)]"},
		{cfg: transform.ComputeConfig{Column: "flag", Expr: "flag ?? false", Type: "bool"}, col: 7, typ: "bool", want: "[true false true false]"},
		{cfg: transform.ComputeConfig{Column: "small", Expr: "n * 1000", Type: "int16"}, col: 8, typ: "int16", want: "[-5000 (null) 0]", dirtyIDs: []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Expr, func(t *testing.T) {
			tr, err := transform.Compute(tt.cfg, &transform.Options{Allocator: mem})
			require.NoError(t, err)
			out, d := run(t, tr, b)
			defer out.Release()
			require.Equal(t, tt.typ, out.Schema().Field(tt.col).Type.String())
			require.Equal(t, tt.want, timestampsAsText(out.Column(tt.col)))
			require.Equal(t, tt.dirtyIDs, dirtyIDs(d))
		})
	}
}

func TestExprErrors(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	for where, want := range map[string]string{
		"nope > 1":     "unknown name nope",
		"s + 1 > 0":    "mismatched types string and int",
		"n + 1":        "expected bool",
		"col(99) > 0":  "col(99): the source has 8 columns",
		"col(n) > 0":   "col() takes an integer literal",
		"n >":          "unexpected token",
		"date(s) > ts": "", // type-checks; fails per row (dirty), tested elsewhere
	} {
		tr, err := transform.Filter(where, nil)
		if err == nil {
			_, err = tr.OutputSchema(b.Schema())
		}
		if want == "" {
			require.NoError(t, err, where)
			continue
		}
		require.ErrorContains(t, err, want, where)
	}
	for _, spec := range []struct{ p, want string }{
		{`{"column":"x","expr":"n ?? 'a'"}`, `the expression's type is interface {}: set "type"`},
		{`{"expr":"1"}`, "no column"},
		{`{"column":"x","expr":""}`, "empty expression"},
		{`{"column":"x","expr":"1","type":"money"}`, `unknown type "money"`},
		{`{"column":"x","expr":"1","typo":1}`, `unknown field "typo"`},
	} {
		tr, err := transform.Build(transform.Spec{Name: "compute", Parameter: json.RawMessage(spec.p)})
		if err == nil {
			_, err = tr.OutputSchema(b.Schema())
		}
		require.ErrorContains(t, err, spec.want, spec.p)
	}
}

// TestExprFastPathMatchesVM: filters of comparisons, null tests, !, && and
// || run without the VM and keep exactly the rows the VM keeps, NULLs,
// NaN and short-circuits included.
func TestExprFastPathMatchesVM(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	for _, where := range []string{
		"n > 0", "n >= 0", "n < 0", "n <= -5", "n == 0", "n != 0", "0 != n", "n == nil", "n != nil", "nil == n", "nil == nil",
		"n == 123 || n == nil", "n != nil && n <= 0", "!(n > 0)", "not (n > 0)", "!(n == nil)",
		"f > 1", "f != 5", "f == f", "f != f", "f < 5.5 and f > 1", "n > 1.5", "d >= 1.5", "d == -5", "d < f",
		"s == 'apple'", "s != 'apple'", "s < 'b'", "s >= 'banana' || s == nil", `$env["s"] > "a"`, "col(4) == 'cherry'",
		"flag", "!flag", "flag == true", "flag != false || n == nil", "flag && n > 0", "n > 0 && flag", "true", "false || n == 0",
		"n == n", "s == s", "n > 0 || f > 1", "(n ?? 0) == 0", "(n ?? 1.5) > 1", "(d ?? 0) > 1.5", "(s ?? \"zz\") > \"b\"", "(flag ?? true)", "(f ?? n) > 1",
	} {
		vmT, err := transform.FilterVM(where, &transform.Options{Allocator: mem})
		require.NoError(t, err, where)
		fastT, err := transform.Filter(where, &transform.Options{Allocator: mem})
		require.NoError(t, err, where)
		want, d := run(t, vmT, b)
		require.Empty(t, d, where)
		got, d := run(t, fastT, b)
		require.Empty(t, d, where)
		require.Equal(t, ids(t, want), ids(t, got), where)
		if where != "(f ?? n) > 1" && where != "(flag ?? true)" {
			require.True(t, transform.HasFastPath(fastT), where)
		}
		want.Release()
		got.Release()
	}
}

// TestExprNullEquality: == and != with a NULL operand make the row NULL
// for every type (expr alone says false for integers and fails for
// strings); `in` is false for NULL.
func TestExprNullEquality(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	for where, keep := range map[string][]int64{
		"n != 5":                {0, 1, 3},
		"s != 'x'":              {0, 1, 2},
		"f != 0":                {0, 1, 2},
		"upper(s) != 'x'":       {0, 1, 2}, // VM path
		"len(s) >= 0 && s != n": nil,       // mismatched types fail to type-check, see below
		"n in [0, -5]":          {1, 3},
		"!(n in [0, -5])":       {0, 2},
	} {
		if keep == nil {
			tr, err := transform.Filter(where, nil)
			require.NoError(t, err)
			_, err = tr.OutputSchema(b.Schema())
			require.ErrorContains(t, err, "mismatched types", where)
			continue
		}
		tr, err := transform.Filter(where, &transform.Options{Allocator: mem})
		require.NoError(t, err)
		out, _ := run(t, tr, b)
		require.Equal(t, keep, ids(t, out), where)
		out.Release()
	}
}
