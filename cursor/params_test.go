package cursor

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// TestURLParamTable: every parameter the cursor declares (and help lists
// for the SQL schemes) is taken off the URL before the reader sees it.
func TestURLParamTable(t *testing.T) {
	require.Equal(t, urlreg.Public(params), URLParams("postgres"))
	require.Nil(t, URLParams("csv"))
	for _, p := range params {
		v := p.Sample
		if v == "" {
			v = p.Default
		}
		q := url.Values{"table": {"t"}, ParamCursor: {"id"}}
		q.Set(p.Name, v)
		raw := "postgres://u@h/db?" + q.Encode()
		out, spec, err := FromURL(raw)
		require.NoError(t, err, raw)
		require.NotNil(t, spec, raw)
		u, err := url.Parse(out)
		require.NoError(t, err)
		require.NotContains(t, u.Query(), p.Name, "%s reaches the reader", p.Name)
	}
}
