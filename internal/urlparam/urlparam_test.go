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
