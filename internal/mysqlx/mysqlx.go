// Package mysqlx holds what the MySQL reader and writer share: the
// connection configuration parsed from a mysql:// URL, the session settings
// both need, and identifier quoting.
package mysqlx

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ConnConfig turns the scheme, user, password, host, port and database of a
// mysql:// or mariadb:// URL into a driver configuration (TCP, default
// 127.0.0.1:3306). pkg prefixes errors. Query parameters are left to the
// caller.
func ConnConfig(pkg string, u *url.URL) (*mysql.Config, error) {
	if u.Scheme != "mysql" && u.Scheme != "mariadb" {
		return nil, fmt.Errorf("%s: scheme %q is not mysql or mariadb", pkg, u.Scheme)
	}
	c := mysql.NewConfig()
	if u.User != nil {
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	}
	c.Net = "tcp"
	c.Addr = net.JoinHostPort(host, port)
	c.DBName = strings.TrimPrefix(u.Path, "/")
	return c, nil
}

// Session returns a copy of c set up for Ferry: text protocol with
// client-side interpolation, raw (unparsed) time values, the UTC session
// time zone, utf8mb4 unless a collation is set, and sqlMode when it is not
// empty.
func Session(c *mysql.Config, sqlMode string) *mysql.Config {
	c = c.Clone()
	c.InterpolateParams = true
	c.ParseTime = false
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["time_zone"] = "'+00:00'"
	if sqlMode != "" {
		c.Params["sql_mode"] = sqlMode
	}
	if c.Collation == "" {
		c.Collation = "utf8mb4_general_ci"
	}
	return c
}

// QuoteIdent quotes a MySQL identifier ("db.t" is not split: use QuoteTable).
func QuoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// SplitTable splits "db.t" into db and t; db is "" for "t".
func SplitTable(s string) (db, t string) {
	if i := strings.IndexByte(s, '.'); i >= 0 && !strings.Contains(s, "`") {
		return s[:i], s[i+1:]
	}
	return "", strings.Trim(s, "`")
}

// QuoteTable quotes "t" or "db.t".
func QuoteTable(s string) string {
	db, t := SplitTable(s)
	if db == "" {
		return QuoteIdent(t)
	}
	return QuoteIdent(db) + "." + QuoteIdent(t)
}
