// Package urlparamtest checks a connector's URL parser against its declared
// urlparam table, for the connectors' tests.
package urlparamtest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// Check checks that listed (what ferry.URLMux.ReaderParams or WriterParams
// returns for the connector's scheme, the list help prints) is table, and
// that parse accepts every declared parameter: base (a URL with a query,
// valid for the parser) with each parameter added in turn, set to its Sample
// or else its Default, must not be reported unknown or undeclared. An
// error of another kind (a value the parser refuses in that context) is
// logged, not failed: the parameter was read.
func Check(t testing.TB, table urlparam.Table, listed []ferry.URLParam, ok bool, base string, parse func(string) error) {
	t.Helper()
	if !ok {
		t.Fatalf("the scheme of %s lists no URL parameters", base)
	}
	want := urlreg.Public(table)
	if len(want) != len(listed) {
		t.Fatalf("help lists %d parameters, the table declares %d", len(listed), len(want))
	}
	for i := range want {
		if want[i] != listed[i] {
			t.Errorf("help lists %+v, the table declares %+v", listed[i], want[i])
		}
	}
	if err := parse(base); err != nil {
		t.Fatalf("%s: %v", base, err)
	}
	for _, p := range table {
		if p.Doc == "" {
			t.Errorf("parameter %s has no documentation", p.Name)
		}
		v := p.Sample
		if v == "" {
			v = p.Default
		}
		u := base + "&" + url.QueryEscape(p.Name) + "=" + url.QueryEscape(v)
		err := parse(u)
		if err == nil {
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "unknown URL parameter") || strings.Contains(msg, "not declared") {
			t.Errorf("parameter %s is declared but the parser does not take it: %v", p.Name, err)
		} else {
			t.Logf("%s=%s: %v", p.Name, v, err)
		}
	}
}
