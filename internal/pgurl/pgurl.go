// Package pgurl turns a postgres:// connector URL into the connection string
// pgx takes, for the PostgreSQL reader and writer.
package pgurl

import (
	"fmt"
	"net/url"

	"github.com/ferrydata/ferry/internal/urlparam"
)

// LibpqParams are the connection parameters passed through to pgx; every
// other query parameter is the connector's own.
var LibpqParams = []string{
	"sslmode", "sslcert", "sslkey", "sslrootcert", "sslpassword", "sslsni", "sslnegotiation",
	"connect_timeout", "application_name", "target_session_attrs", "options",
	"search_path", "statement_timeout", "TimeZone", "timezone", "password", "user", "host", "port", "dbname", "service",
	"passfile", "krbsrvname", "krbspn", "min_read_buffer_size", "default_query_exec_mode", "statement_cache_capacity",
	"description_cache_capacity",
}

// ConnString checks that u is a postgres:// or postgresql:// URL and returns
// it as a pgx connection string that keeps only LibpqParams, which it marks
// known in p. pkg prefixes errors.
func ConnString(pkg string, u *url.URL, p *urlparam.Values) (string, error) {
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("%s: URL scheme %q, want postgres or postgresql", pkg, u.Scheme)
	}
	q := u.Query()
	keep := url.Values{}
	for _, k := range LibpqParams {
		if p.Has(k) {
			keep[k] = q[k]
		}
	}
	cu := *u
	cu.Scheme = "postgres"
	cu.RawQuery = keep.Encode()
	return cu.String(), nil
}
