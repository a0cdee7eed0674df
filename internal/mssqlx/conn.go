// Package mssqlx holds what sqlserverreader and sqlserverwriter share: the
// split of a sqlserver:// URL into go-mssqldb's connection string and Ferry's
// own parameters, the SQL Server <-> Arrow type mapping, value conversions
// (uniqueidentifier byte order, datetime's 1/300 s ticks, money scale, the
// decimal text the driver returns) and the classification of the server's
// error numbers.
package mssqlx

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// driverParams are the connection-string keys go-mssqldb reads (lower case,
// as msdsn compares them). A sqlserver:// URL parameter that is neither one
// of these nor a Ferry parameter of the connector is an error.
var driverParams = map[string]bool{
	"database": true, "encrypt": true, "password": true, "change password": true, "user id": true,
	"port": true, "trustservercertificate": true, "certificate": true, "servercertificate": true,
	"tlsmin": true, "packet size": true, "log": true, "connection timeout": true,
	"hostnameincertificate": true, "keepalive": true, "serverspn": true, "workstation id": true,
	"app name": true, "applicationintent": true, "failoverpartner": true, "failoverport": true,
	"failoverpartnerspn": true, "disableretry": true, "server": true, "protocol": true,
	"dial timeout": true, "pipe": true, "multisubnetfailover": true, "notraceid": true,
	"epa enabled": true, "fedauth": true, "authenticator": true, "columnencryption": true,
	"krb5-configfile": true, "krb5-keytabfile": true, "krb5-credcachefile": true, "krb5-realm": true,
	"krb5-dnslookupkdc": true, "krb5-udppreferencelimit": true, "resetsessionid": true,
	"integrated security": true, "trusted_connection": true, "user": true, "uid": true, "pwd": true,
	"initial catalog": true, "app": true,
	// "timezone" and "guid conversion" are refused: see refusedParams.
}

// refusedParams are driver keys that would change how values are encoded
// behind the connector's back.
var refusedParams = map[string]string{
	"timezone":        "Ferry reads and writes datetime/datetime2/smalldatetime as zone-less wall-clock values; the driver's timezone would shift smalldatetime writes (set the reader's or writer's timeZone instead, where offered)",
	"guid conversion": "Ferry converts uniqueidentifier between SQL Server's mixed-endian order and RFC 4122 itself; the driver's conversion would apply it twice",
}

// SplitURL separates a sqlserver://user:password@host:port/instance?... URL
// (go-mssqldb's own URL form) into the go-mssqldb connection string (the URL
// with only the driver's parameters) and the Ferry parameters, which it
// returns as urlparam.Values for the caller to read and then check with Done.
// Driver parameters are marked known in p, so Done reports only parameters
// that neither side knows. pkg prefixes errors. The error never holds the
// password.
func SplitURL(pkg string, u *url.URL) (dsn string, p *urlparam.Values, err error) {
	if u.Scheme != "sqlserver" {
		return "", nil, fmt.Errorf("%s: URL scheme %q is not sqlserver", pkg, u.Scheme)
	}
	if u.Host == "" {
		return "", nil, fmt.Errorf("%s: URL %s has no host", pkg, ferry.Redact(u.String()))
	}
	p = urlparam.New(pkg, u)
	q, _ := urlparam.Parse(u.RawQuery) // New already recorded the parse errors
	keep := url.Values{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if why, bad := refusedParams[lk]; bad {
			p.Has(k)
			p.Fail(k, fmt.Errorf("not accepted: %s", why))
			continue
		}
		if driverParams[lk] {
			p.Has(k) // known: the driver's
			keep[k] = q[k]
		}
	}
	d := *u
	d.RawQuery = keep.Encode()
	d.Fragment = ""
	dsn = d.String()
	if _, perr := msdsn.Parse(dsn); perr != nil {
		// msdsn's messages name the key, never the password.
		return "", nil, fmt.Errorf("%s: connection parameters of %s: %w", pkg, ferry.Redact(u.String()), perr)
	}
	return dsn, p, nil
}

// CheckDSN parses a go-mssqldb connection string (URL, ADO or ODBC form)
// given in a Go Config, and refuses the keys SplitURL refuses.
func CheckDSN(pkg, dsn string) error {
	if dsn == "" {
		return fmt.Errorf("%s: Config.DSN is empty", pkg)
	}
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return fmt.Errorf("%s: connection string: %w", pkg, err)
	}
	if cfg.Encoding.GuidConversion {
		return fmt.Errorf("%s: connection string: guid conversion: not accepted: %s", pkg, refusedParams["guid conversion"])
	}
	if tz := cfg.Encoding.Timezone; tz != nil && tz.String() != "UTC" {
		return fmt.Errorf("%s: connection string: timezone: not accepted: %s", pkg, refusedParams["timezone"])
	}
	return nil
}

// Redact returns dsn without its password, for messages: a URL through
// url.Redacted, another form with its password/pwd value masked.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && !strings.Contains(dsn, ";") {
		return ferry.Redact(u.String())
	}
	parts := strings.Split(dsn, ";")
	for i, part := range parts {
		k, _, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "password", "pwd":
			parts[i] = k + "=xxxxx"
		}
	}
	return strings.Join(parts, ";")
}
