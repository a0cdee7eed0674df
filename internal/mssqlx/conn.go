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
// as msdsn compares them), with one line of documentation each. A
// sqlserver:// URL parameter that is neither one of these nor a Ferry
// parameter of the connector is an error.
var driverParams = map[string]string{
	"database": "driver: database to connect to", "encrypt": "driver: strict, true, false or disable (TLS)",
	"password": "driver: password (better in the URL's userinfo)", "change password": "driver: new password to set at login",
	"user id": "driver: user name (instead of the URL's userinfo)", "port": "driver: port (default 1433)",
	"trustservercertificate": "driver: accept any server certificate", "certificate": "driver: file of the server's certificate",
	"servercertificate": "driver: file of the server's certificate, matched exactly", "tlsmin": "driver: lowest TLS version (1.0, 1.1, 1.2, 1.3)",
	"packet size": "driver: TDS packet size, bytes", "log": "driver: log flags (bit mask)",
	"connection timeout": "driver: seconds to connect (0 waits forever)", "hostnameincertificate": "driver: host name expected in the certificate",
	"keepalive": "driver: TCP keepalive, seconds", "serverspn": "driver: Kerberos service principal name",
	"workstation id": "driver: workstation name sent at login", "app name": "driver: application name sent at login",
	"applicationintent": "driver: ReadOnly to connect to a readable secondary", "failoverpartner": "driver: failover partner host",
	"failoverport": "driver: failover partner port", "failoverpartnerspn": "driver: failover partner's service principal name",
	"disableretry": "driver: do not retry a failed connection", "server": "driver: host[\\instance] (instead of the URL's host)",
	"protocol": "driver: dialer protocol (tcp, np, lpc, admin)", "dial timeout": "driver: seconds for the TCP dial",
	"pipe": "driver: named pipe", "multisubnetfailover": "driver: try every address of the host at once",
	"notraceid": "driver: send no trace id", "epa enabled": "driver: extended protection for NTLM",
	"fedauth": "driver: federated authentication method", "authenticator": "driver: authenticator name",
	"columnencryption": "driver: Always Encrypted", "krb5-configfile": "driver: Kerberos configuration file",
	"krb5-keytabfile": "driver: Kerberos keytab file", "krb5-credcachefile": "driver: Kerberos credential cache file",
	"krb5-realm": "driver: Kerberos realm", "krb5-dnslookupkdc": "driver: look the KDC up in DNS",
	"krb5-udppreferencelimit": "driver: Kerberos UDP size limit", "resetsessionid": "driver: reset the session id",
	"integrated security": "driver: Windows (SSPI) authentication", "trusted_connection": "driver: Windows (SSPI) authentication",
	"user": "driver: user name", "uid": "driver: user name", "pwd": "driver: password",
	"initial catalog": "driver: database to connect to", "app": "driver: application name",
	// "timezone" and "guid conversion" are refused: see refusedParams.
}

var driverSamples = map[string]string{
	"encrypt": "disable", "port": "1433", "trustservercertificate": "true", "tlsmin": "1.2", "packet size": "4096",
	"log": "0", "connection timeout": "30", "keepalive": "30", "applicationintent": "ReadOnly", "failoverport": "1433",
	"disableretry": "false", "protocol": "tcp", "dial timeout": "15", "multisubnetfailover": "false", "notraceid": "false",
	"epa enabled": "false", "columnencryption": "false", "krb5-dnslookupkdc": "false", "resetsessionid": "false",
	"integrated security": "false", "trusted_connection": "false", "database": "db", "initial catalog": "db",
}

// DriverParams declares go-mssqldb's own keys for urlparam: matched without
// regard to case, as the driver matches them.
var DriverParams = driverTable()

func driverTable() urlparam.Table {
	keys := make([]string, 0, len(driverParams))
	for k := range driverParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := make(urlparam.Table, len(keys))
	for i, k := range keys {
		t[i] = urlparam.Param{Name: k, Doc: driverParams[k], Fold: true, Sample: driverSamples[k],
			Secret: k == "password" || k == "pwd" || k == "change password"}
	}
	return t
}

// Params returns the table of a connector whose own parameters are own:
// own, then DriverParams.
func Params(own urlparam.Table) urlparam.Table { return urlparam.Join(own, DriverParams) }

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
// that neither side knows. t is the connector's table (made by Params). pkg
// prefixes errors. The error never holds the password.
func SplitURL(pkg string, u *url.URL, t urlparam.Table) (dsn string, p *urlparam.Values, err error) {
	if u.Scheme != "sqlserver" {
		return "", nil, fmt.Errorf("%s: URL scheme %q is not sqlserver", pkg, u.Scheme)
	}
	if u.Host == "" {
		return "", nil, fmt.Errorf("%s: URL %s has no host", pkg, ferry.Redact(u.String()))
	}
	p = t.Values(pkg, u)
	q, _ := urlparam.Parse(u.RawQuery) // Values already recorded the parse errors
	keep := url.Values{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if why, bad := refusedParams[lk]; bad {
			p.Refuse(k, fmt.Errorf("not accepted: %s", why))
			continue
		}
		if _, ok := driverParams[lk]; ok {
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
