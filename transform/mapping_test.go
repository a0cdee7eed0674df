package transform_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform"
)

func TestColumnMapping(t *testing.T) {
	mem := checked(t)
	b := batch(mem) // id, name, secret
	defer b.Release()
	tests := []struct {
		name string
		t    ferry.Transformer
		want string // field list
		col0 string // first column's values
	}{
		{"select by name", transform.Select("secret", "id"), "secret: utf8, id: int64", `["x" "y" "z"]`},
		{"select by position", transform.SelectPositions(2, 0), "secret: utf8, id: int64", `["x" "y" "z"]`},
		{"by position", transform.ByPosition("key", "customer", "token"), "key: int64, customer: utf8, token: utf8", `[1 2 3]`},
		{"pairs", transform.Map(transform.Pair{From: "name", To: "customer"}, transform.Pair{FromIndex: 0, To: "key"}, transform.Pair{From: "name"}),
			"customer: utf8, key: int64, name: utf8", `["a" "b" "c"]`},
		{"rename", transform.Rename(map[string]string{"secret": "token"}), "id: int64, name: utf8, token: utf8", `[1 2 3]`},
		{"json select", mustBuild(t, mem, `{"name":"select","parameter":{"columns":["name"]}}`), "name: utf8", `["a" "b" "c"]`},
		{"json select positions", mustBuild(t, mem, `{"name":"select","parameter":{"positions":[1]}}`), "name: utf8", `["a" "b" "c"]`},
		{"json by_position", mustBuild(t, mem, `{"name":"by_position","parameter":{"columns":["a","b","c"]}}`), "a: int64, b: utf8, c: utf8", `[1 2 3]`},
		{"json map", mustBuild(t, mem, `{"name":"map","parameter":{"pairs":[{"from":"secret","to":"s"},{"fromIndex":1}]}}`), "s: utf8, name: utf8", `["x" "y" "z"]`},
		{"json rename", mustBuild(t, mem, `{"name":"rename","parameter":{"columns":{"id":"key"}}}`), "key: int64, name: utf8, secret: utf8", `[1 2 3]`},
		{"json constant", mustBuild(t, mem, `{"name":"constant","parameter":{"column":"id","value":"k"}}`), "id: utf8, name: utf8, secret: utf8", `["k" "k" "k"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, d := run(t, tt.t, b)
			defer out.Release()
			require.Empty(t, d)
			require.Equal(t, tt.want, fieldList(out.Schema()))
			require.Equal(t, tt.col0, out.Column(0).String())
			// The schema is built once: a second batch gets the same one.
			again, err := tt.t.Transform(context.Background(), b)
			require.NoError(t, err)
			defer again.Release()
			require.Same(t, out.Schema(), again.Schema())
		})
	}
}

func TestColumnMappingErrors(t *testing.T) {
	b := batch(checked(t))
	defer b.Release()
	tests := []struct {
		t    ferry.Transformer
		want string
	}{
		{transform.SelectPositions(3), "select: columnIndex 3 out of range: the source has 3 columns (id, name, secret)"},
		{transform.SelectPositions(1, 1), "column 1 named twice"},
		{transform.ByPosition("a", "b"), "by position: the source has 3 columns (id, name, secret), the destination names 2"},
		{transform.Map(transform.Pair{From: "nope"}), `map: no column "nope" in the source`},
		{transform.Map(transform.Pair{From: "id"}, transform.Pair{From: "name", To: "id"}), `map: two columns would be named "id"`},
	}
	for _, tt := range tests {
		_, err := tt.t.OutputSchema(b.Schema())
		require.ErrorContains(t, err, tt.want)
	}
	for spec, want := range map[string]string{
		`{"name":"select","parameter":{}}`:                                "select: parameter: no columns",
		`{"name":"select","parameter":{"columns":["a"],"positions":[1]}}`: "exclusive",
		`{"name":"map","parameter":{"pairs":[]}}`:                         "map: parameter: no pairs",
		`{"name":"rename","parameter":{"cols":{}}}`:                       `unknown field "cols"`,
	} {
		var s transform.Spec
		require.NoError(t, jsonUnmarshal(spec, &s))
		_, err := transform.Build(s)
		require.ErrorContains(t, err, want)
	}
}
