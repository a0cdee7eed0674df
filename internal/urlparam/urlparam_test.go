package urlparam_test

import (
	"net/url"
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
	require.ErrorContains(t, err, "unknown URL parameter(s) typo (known: b, n)")
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
