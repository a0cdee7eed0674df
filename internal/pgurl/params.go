package pgurl

import "github.com/ferrydata/ferry/internal/urlparam"

// ConnParams declares the parameters ConnString reads: LibpqParams, passed
// through to pgx as libpq would take them.
var ConnParams = libpqTable()

// Params declares the parameters ReadTimeout and ConnString read.
var Params = urlparam.Join(urlparam.Table{
	{Name: "readTimeout", Default: "0", Doc: "fail a connection on which nothing arrived for this long (0 waits forever)", Sample: "10m"},
}, ConnParams)

var libpqDocs = map[string]string{
	"sslmode":                    "libpq: disable, allow, prefer (pgx's default), require, verify-ca or verify-full",
	"sslcert":                    "libpq: client certificate file",
	"sslkey":                     "libpq: client key file",
	"sslrootcert":                "libpq: root certificate file to verify the server with",
	"sslpassword":                "libpq: password of the client key",
	"sslsni":                     "libpq: send the server name in TLS (1, the default, or 0)",
	"sslnegotiation":             "libpq: postgres (the default) or direct TLS",
	"connect_timeout":            "libpq: seconds to connect, TLS and startup included (Ferry's default 30)",
	"application_name":           "libpq: application name shown in pg_stat_activity",
	"target_session_attrs":       "libpq: any, read-write, read-only, primary, standby or prefer-standby",
	"options":                    "libpq: command-line options sent to the server (-c name=value)",
	"search_path":                "server setting for the session",
	"statement_timeout":          "server setting for the session (milliseconds, or with a unit)",
	"TimeZone":                   "server setting for the session",
	"timezone":                   "server setting for the session",
	"password":                   "libpq: password (better in the URL's userinfo, PGPASSWORD or a passfile)",
	"user":                       "libpq: user name (instead of the URL's userinfo)",
	"host":                       "libpq: host name or socket directory (instead of the URL's host)",
	"port":                       "libpq: port (instead of the URL's port)",
	"dbname":                     "libpq: database (instead of the URL's path)",
	"service":                    "libpq: service name in pg_service.conf",
	"passfile":                   "libpq: password file (default ~/.pgpass)",
	"krbsrvname":                 "libpq: Kerberos service name",
	"krbspn":                     "libpq: Kerberos service principal name",
	"min_read_buffer_size":       "pgx: smallest read buffer, bytes",
	"default_query_exec_mode":    "pgx: query execution mode (cache_statement, exec, simple_protocol, ...)",
	"statement_cache_capacity":   "pgx: prepared statements cached per connection",
	"description_cache_capacity": "pgx: statement descriptions cached per connection",
}

var libpqSamples = map[string]string{
	"sslmode": "disable", "sslsni": "1", "sslnegotiation": "postgres", "connect_timeout": "5",
	"target_session_attrs": "any", "statement_timeout": "0", "TimeZone": "UTC", "timezone": "UTC",
	"port": "5432", "min_read_buffer_size": "8192", "default_query_exec_mode": "exec",
	"statement_cache_capacity": "512", "description_cache_capacity": "512",
}

func libpqTable() urlparam.Table {
	t := make(urlparam.Table, len(LibpqParams))
	for i, k := range LibpqParams {
		doc := libpqDocs[k]
		if doc == "" {
			doc = "libpq connection parameter, passed to pgx"
		}
		t[i] = urlparam.Param{Name: k, Doc: doc, Sample: libpqSamples[k],
			Secret: k == "password" || k == "sslpassword"}
	}
	t = t.With(urlparam.Param{Name: "connect_timeout", Default: "30", Doc: libpqDocs["connect_timeout"]})
	return t
}
