package cursor

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// The URL parameters of a cursor, on a SQL reader's URL.
const (
	ParamCursor   = "cursor"         // cursor=updated_at,id
	ParamNulls    = "cursorNulls"    // include (default) or exclude
	ParamLookback = "cursorLookback" // a duration: 10m, 2h
)

// dialects maps reader URL schemes to their SQL dialect.
var dialects = map[string]sqlident.Dialect{
	"postgres": sqlident.PostgreSQL, "postgresql": sqlident.PostgreSQL,
	"mysql": sqlident.MySQL, "mariadb": sqlident.MySQL,
	"sqlite": sqlident.SQLite, "sqlserver": sqlident.SQLServer,
}

// FromURL takes the cursor parameters out of a SQL reader URL. It returns
// the URL without them and the Spec, or a nil Spec when the URL has no
// cursor.
func FromURL(rawURL string) (string, *Spec, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, fmt.Errorf("cursor: malformed URL")
	}
	q, errs := urlparam.Parse(u.RawQuery)
	if len(errs) > 0 {
		return "", nil, fmt.Errorf("cursor: %v", errs[0])
	}
	if _, ok := q[ParamCursor]; !ok {
		return rawURL, nil, nil
	}
	if _, ok := dialects[u.Scheme]; !ok {
		return "", nil, fmt.Errorf("cursor: %s:// readers take no cursor (it needs a SQL source)", u.Scheme)
	}
	if q.Get("querySql") != "" {
		return "", nil, fmt.Errorf("cursor: a cursor goes with table=, not querySql (put the condition in the query)")
	}
	spec := &Spec{Nulls: NullPolicy(q.Get(ParamNulls))}
	for _, c := range strings.Split(q.Get(ParamCursor), ",") {
		if c = strings.TrimSpace(c); c != "" {
			spec.Columns = append(spec.Columns, c)
		}
	}
	if lb := q.Get(ParamLookback); lb != "" {
		d, err := time.ParseDuration(lb)
		if err != nil {
			return "", nil, fmt.Errorf("cursor: %s=%q is not a duration", ParamLookback, lb)
		}
		spec.Lookback = d
	}
	if err := spec.Check(); err != nil {
		return "", nil, err
	}
	q.Del(ParamCursor)
	q.Del(ParamNulls)
	q.Del(ParamLookback)
	u.RawQuery = q.Encode()
	return u.String(), spec, nil
}

// Apply adds the predicate for saved (nil: none, the first run) to the
// where parameter of a SQL reader URL (combined with AND) and returns the
// new URL.
func Apply(rawURL string, spec Spec, saved []Value) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("cursor: malformed URL")
	}
	d, ok := dialects[u.Scheme]
	if !ok {
		return "", fmt.Errorf("cursor: %s:// readers take no cursor", u.Scheme)
	}
	pred, err := spec.Predicate(d, saved)
	if err != nil || pred == "" {
		return rawURL, err
	}
	q, errs := urlparam.Parse(u.RawQuery)
	if len(errs) > 0 {
		return "", fmt.Errorf("cursor: %v", errs[0])
	}
	if w := strings.TrimSpace(q.Get("where")); w != "" {
		pred = "(" + w + ") AND " + pred
	}
	q.Set("where", pred)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
