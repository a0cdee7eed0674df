package urlparam_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/urlparam"
)

func TestValues(t *testing.T) {
	u, _ := url.Parse("x://h/p?table=orders&n=12&f=0.5&b=yes&d=2s&cols=a,+b+,c")
	q := urlparam.New("x", u)
	require.Equal(t, "orders", q.String("table", ""))
	require.Equal(t, "dflt", q.String("missing", "dflt"))
	require.Equal(t, 12, q.Int("n", 0))
	require.Equal(t, 0.5, q.Float("f", 0))
	require.True(t, q.Bool("b", false))
	require.Equal(t, 2*time.Second, q.Duration("d", 0))
	require.Equal(t, []string{"a", "b", "c"}, q.List("cols"))
	require.NoError(t, q.Done())
}

func TestValuesErrors(t *testing.T) {
	u, _ := url.Parse("x://h/p?n=x&b=maybe&typo=1")
	q := urlparam.New("xreader", u)
	q.Int("n", 0)
	q.Bool("b", false)
	err := q.Done()
	require.ErrorContains(t, err, `xreader: parameter n="x" is not an integer`)
	require.ErrorContains(t, err, `parameter b="maybe" is not a boolean`)
	require.ErrorContains(t, err, "unknown URL parameter typo (known: b, n)")
	require.ErrorIs(t, err, urlparam.ErrParameter)
}

func TestMalformedPairsAreErrors(t *testing.T) {
	for raw, want := range map[string]string{
		"where=id%3C3%ZZ": `parameter where: bad %-escape in the value "id%3C3%ZZ"`,
		"bogus=1;2":       `parameter bogus: ';' in the value "1;2" must be written %3B`,
		"a%zz=1":          `parameter "a%zz": bad %-escape in the name`,
		"table=order_%":   `parameter table: bad %-escape`,
		"x=1;y=2&table=t": `parameter x: ';'`,
	} {
		u := &url.URL{Scheme: "x", Host: "h", RawQuery: raw}
		q := urlparam.New("xreader", u)
		q.String("where", "")
		q.String("table", "")
		q.String("bogus", "")
		require.ErrorContains(t, q.Done(), want, raw)
	}
	q, errs := urlparam.Parse("a=1&b=x%2By&c=&d")
	require.Empty(t, errs)
	require.Equal(t, url.Values{"a": {"1"}, "b": {"x+y"}, "c": {""}, "d": {""}}, q)
}

var testTable = urlparam.Table{
	{Name: "table", Doc: "the table"},
	{Name: "splitPk", Doc: "split column"},
	{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
	{Name: "app name", Doc: "a driver key", Fold: true},
}

func TestTable(t *testing.T) {
	for _, tt := range []struct {
		query string
		read  []string
		want  string // "" for no error
	}{
		{query: "table=t&splitPk=id", read: []string{"table", "splitPk"}},
		{query: "table=t&splitpk=id", read: []string{"table", "splitPk"},
			want: "xreader: unknown URL parameter splitpk (did you mean splitPk?)"},
		{query: "Table=t", read: []string{"table"}, want: "unknown URL parameter Table (did you mean table?)"},
		{query: "batchRow=1&tabel=t", read: []string{"table", "batchRows"},
			want: "unknown URL parameters batchRow (did you mean batchRows?), tabel (did you mean table?)"},
		{query: "bogus=1", read: []string{"table"},
			want: "unknown URL parameter bogus (known: app name, batchRows, splitPk, table)"},
		{query: "bogus=1&tabl=t", read: []string{"table"},
			want: "unknown URL parameters bogus, tabl (did you mean table?) (known: app name, batchRows, splitPk, table)"},
		// A Fold parameter is found in any case.
		{query: "App+Name=ferry", read: []string{"App Name"}},
		// Reading an undeclared name is the parser's bug, reported once.
		{query: "table=t", read: []string{"table", "where", "where"},
			want: "xreader: parameter where is read but not declared in the parameter table (a bug in xreader)"},
		{query: "table=order_%", read: []string{"table"}, want: "parameter table: bad %-escape"},
	} {
		u := &url.URL{Scheme: "x", Host: "h", RawQuery: tt.query}
		q := testTable.Values("xreader", u)
		for _, name := range tt.read {
			q.String(name, "")
		}
		err := q.Done()
		if tt.want == "" {
			require.NoError(t, err, tt.query)
			continue
		}
		require.ErrorContains(t, err, tt.want, tt.query)
		require.Equal(t, 1, strings.Count(err.Error(), "not declared")+strings.Count(err.Error(), "unknown URL")+strings.Count(err.Error(), "bad %"), tt.query)
	}
}

func TestTableHelpers(t *testing.T) {
	require.Equal(t, []string{"app name", "batchRows", "splitPk", "table"}, testTable.Names())
	p, ok := testTable.Lookup("APP NAME")
	require.True(t, ok)
	require.Equal(t, "app name", p.Name)
	_, ok = testTable.Lookup("TABLE")
	require.False(t, ok, "only Fold parameters match without case")

	w := testTable.With(urlparam.Param{Name: "splitPk", Doc: "mine"})
	require.Equal(t, "mine", w[1].Doc)
	require.Equal(t, "split column", testTable[1].Doc, "With copies")
	require.Panics(t, func() { testTable.With(urlparam.Param{Name: "nope"}) })

	j := urlparam.Join(testTable[:2], testTable[2:])
	require.Equal(t, testTable, j)
	require.Panics(t, func() { urlparam.Join(testTable, testTable[:1]) })
}

func TestSuggest(t *testing.T) {
	known := []string{"batchRows", "column", "columns", "splitPk", "table", "where"}
	for name, want := range map[string]string{
		"splitpk":    "splitPk",   // case only
		"SPLITPK":    "splitPk",   // case only
		"split_pk":   "splitPk",   // one edit
		"splitKey":   "",          // too far
		"batchrow":   "batchRows", // case and one edit
		"colums":     "column",    // tie at one edit: the first in order
		"table":      "",          // itself is not a suggestion
		"tbl":        "table",     // two edits
		"completely": "",
	} {
		require.Equal(t, want, urlparam.Suggest(name, known), name)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "where=id%3C3%ZZ", "x=1;2", "%", "=&=", "a=%E2%82%AC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, errs := urlparam.Parse(raw)
		if len(errs) == 0 {
			// Whatever parses cleanly must agree with the standard library.
			std, err := url.ParseQuery(raw)
			if err != nil {
				t.Fatalf("Parse accepted %q, url.ParseQuery: %v", raw, err)
			}
			require.Equal(t, std, q)
		}
	})
}

func TestInvalid(t *testing.T) {
	if urlparam.Invalid(nil) != nil {
		t.Error("Invalid(nil) is not nil")
	}
	err := urlparam.Invalid(errors.New("pgwriter: no table"))
	if !errors.Is(err, urlparam.ErrParameter) || err.Error() != "pgwriter: no table" {
		t.Errorf("Invalid: %v (is ErrParameter: %v)", err, errors.Is(err, urlparam.ErrParameter))
	}
	if wrapped := fmt.Errorf("open: %w", err); !errors.Is(wrapped, urlparam.ErrParameter) {
		t.Error("the mark does not survive wrapping")
	}
}
