package sqlshard

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// TestURLParamTable: every parameter sqlshard declares (and help lists for
// the SQL schemes) is taken off the URL before the shard readers see it.
func TestURLParamTable(t *testing.T) {
	require.Equal(t, urlreg.Public(params), URLParams("mysql"))
	require.Nil(t, URLParams("csv"))
	for _, p := range params {
		v := p.Sample
		if v == "" {
			v = p.Default
		}
		raw := "mysql://root@h:3306/db?table=t&" + url.QueryEscape(p.Name) + "=" + url.QueryEscape(v)
		plan, err := ParseURL(raw, nil)
		require.NoError(t, err, raw)
		require.NotNil(t, plan, raw)
		for _, sh := range plan.Shards {
			u, err := url.Parse(sh.URL)
			require.NoError(t, err)
			require.NotContains(t, u.Query(), p.Name, "%s reaches the shard reader", p.Name)
		}
	}
}
