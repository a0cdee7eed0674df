package transform_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/transform"
)

// TestText: DataWorks' string replacement, literal and RE2 with capture
// groups, trimming, case changes and NULL <-> "" conversions.
func TestText(t *testing.T) {
	vals := []*string{strPtr("  Hello, World  "), strPtr(""), nil, strPtr("2024-03-10"), strPtr("a😀a")}
	tests := []struct {
		name string
		cfg  transform.TextConfig
		want []*string
	}{
		{"literal", transform.TextConfig{Find: "o", With: "0"},
			[]*string{strPtr("  Hell0, W0rld  "), strPtr(""), nil, strPtr("2024-03-10"), strPtr("a😀a")}},
		{"literal ignoring case", transform.TextConfig{Find: "WORLD", With: "There", IgnoreCase: true},
			[]*string{strPtr("  Hello, There  "), strPtr(""), nil, strPtr("2024-03-10"), strPtr("a😀a")}},
		{"literal with regex characters", transform.TextConfig{Find: ".", With: "!", IgnoreCase: true},
			[]*string{strPtr("  Hello, World  "), strPtr(""), nil, strPtr("2024-03-10"), strPtr("a😀a")}},
		{"regex with groups", transform.TextConfig{Find: `^(\d{4})-(\d{2})-(\d{2})$`, Regex: true, With: "$3/$2/${1}"},
			[]*string{strPtr("  Hello, World  "), strPtr(""), nil, strPtr("10/03/2024"), strPtr("a😀a")}},
		{"regex named group", transform.TextConfig{Find: `(?P<x>😀)`, Regex: true, With: "[${x}]"},
			[]*string{strPtr("  Hello, World  "), strPtr(""), nil, strPtr("2024-03-10"), strPtr("a[😀]a")}},
		{"trim both, upper", transform.TextConfig{Trim: "both", Case: "upper"},
			[]*string{strPtr("HELLO, WORLD"), strPtr(""), nil, strPtr("2024-03-10"), strPtr("A😀A")}},
		{"trim left", transform.TextConfig{Trim: "left"},
			[]*string{strPtr("Hello, World  "), strPtr(""), nil, strPtr("2024-03-10"), strPtr("a😀a")}},
		{"trim chars right, lower", transform.TextConfig{Trim: "right", TrimChars: "a0", Case: "lower"},
			[]*string{strPtr("  hello, world  "), strPtr(""), nil, strPtr("2024-03-1"), strPtr("a😀")}},
		{"null to empty", transform.TextConfig{NullToEmpty: true},
			[]*string{strPtr("  Hello, World  "), strPtr(""), strPtr(""), strPtr("2024-03-10"), strPtr("a😀a")}},
		{"empty to null after trim", transform.TextConfig{Trim: "both", Find: "2024-03-10", With: "", EmptyToNull: true},
			[]*string{strPtr("Hello, World"), nil, nil, nil, strPtr("a😀a")}},
		{"null to empty, then a default by regex", transform.TextConfig{NullToEmpty: true, Find: "^$", Regex: true, With: "n/a"},
			[]*string{strPtr("  Hello, World  "), strPtr("n/a"), strPtr("n/a"), strPtr("2024-03-10"), strPtr("a😀a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checked(t)
			b := strBatch(mem, vals)
			defer b.Release()
			cfg := tt.cfg
			cfg.Columns = []string{"s"}
			tr, err := transform.Text(cfg, &transform.Options{Allocator: mem})
			require.NoError(t, err)
			out, d := run(t, tr, b)
			defer out.Release()
			require.Empty(t, d)
			require.Equal(t, tt.want, columnStrings(t, out, 1))
		})
	}
}

func TestTextSpecAndErrors(t *testing.T) {
	mem := checked(t)
	b := strBatch(mem, []*string{strPtr("x-1"), strPtr("y-22")})
	defer b.Release()
	tr := mustBuild(t, mem, `{"name":"replace","parameter":{"columnIndexes":[1],"find":"-(\\d+)","regex":true,"with":"#$1","case":"upper"}}`)
	out, _ := run(t, tr, b)
	require.Equal(t, []*string{strPtr("X#1"), strPtr("Y#22")}, columnStrings(t, out, 1))
	out.Release()
	for _, tt := range []struct {
		cfg  transform.TextConfig
		want string
	}{
		{transform.TextConfig{}, "replace: no columns"},
		{transform.TextConfig{Columns: []string{"s"}, Trim: "middle"}, `trim "middle"`},
		{transform.TextConfig{Columns: []string{"s"}, Case: "title"}, `case "title"`},
		{transform.TextConfig{Columns: []string{"s"}, Find: "(", Regex: true}, "not an RE2 regular expression"},
	} {
		_, err := transform.Text(tt.cfg, nil)
		require.ErrorContains(t, err, tt.want)
	}
	tr, err := transform.Text(transform.TextConfig{Columns: []string{"nope"}}, nil)
	require.NoError(t, err)
	_, err = tr.OutputSchema(b.Schema())
	require.ErrorContains(t, err, `replace: no column "nope" in the source (have id, s)`)
}

// TestRegexReplaceAnchoring: the one-match path is taken only when every
// match spans the whole text; an alternation of anchors is not that.
func TestRegexReplaceAnchoring(t *testing.T) {
	mem := checked(t)
	b := strBatch(mem, []*string{strPtr("ab"), strPtr("aXb"), strPtr("")})
	defer b.Release()
	for find, want := range map[string][]*string{
		`^a|b$`:      {strPtr("--"), strPtr("-X-"), strPtr("")},
		`^(a)(.*)b$`: {strPtr("[]"), strPtr("[X]"), strPtr("")},
		`^$`:         {strPtr("ab"), strPtr("aXb"), strPtr("[]")},
		`(?m)^a`:     {strPtr("-b"), strPtr("-Xb"), strPtr("")},
	} {
		with := "-"
		if find != `^a|b$` && find != `(?m)^a` {
			with = "[$2]"
		}
		tr, err := transform.Text(transform.TextConfig{Columns: []string{"s"}, Find: find, Regex: true, With: with}, &transform.Options{Allocator: mem})
		require.NoError(t, err)
		out, _ := run(t, tr, b)
		require.Equal(t, want, columnStrings(t, out, 1), find)
		out.Release()
	}
}
