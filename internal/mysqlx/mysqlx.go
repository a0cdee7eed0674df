// Package mysqlx holds what the MySQL reader and writer share: the
// connection configuration parsed from a mysql:// URL (with the driver's own
// options passed through), the session settings both need, a connector with
// a connect-and-handshake timeout, and table names parsed and quoted with
// internal/sqlident.MySQL.
package mysqlx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// DefaultConnectTimeout bounds the TCP connect and the handshake of every
// new connection when the URL sets no timeout.
const DefaultConnectTimeout = 30 * time.Second

// DriverParams are the go-sql-driver/mysql DSN options a connector URL may
// carry; they are passed to the driver as written (see the driver's
// documentation). The options Ferry sets itself (parseTime, loc,
// interpolateParams, multiStatements, allowAllFiles, time_zone, sql_mode)
// are not among them, and neither are server system variables: the driver
// would paste their values into SET statements.
var DriverParams = []string{
	"tls", "charset", "collation", "timeout", "readTimeout", "writeTimeout",
	"compress", "maxAllowedPacket", "allowCleartextPasswords", "allowNativePasswords",
	"allowOldPasswords", "allowFallbackToPlaintext", "serverPubKey", "connectionAttributes",
	"rejectReadOnly", "checkConnLiveness", "clientFoundRows",
}

// ConnConfig turns the scheme, user, password, host, port, database and the
// DriverParams of a mysql:// or mariadb:// URL into a driver configuration
// (TCP, default 127.0.0.1:3306, connect timeout DefaultConnectTimeout). It
// marks DriverParams known in p; the caller reads the other parameters. pkg
// prefixes errors.
func ConnConfig(pkg string, u *url.URL, p *urlparam.Values) (*mysql.Config, error) {
	if u.Scheme != "mysql" && u.Scheme != "mariadb" {
		return nil, fmt.Errorf("%s: scheme %q is not mysql or mariadb", pkg, u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	}
	keep := url.Values{}
	for _, k := range DriverParams {
		if p.Has(k) {
			keep.Set(k, p.String(k, ""))
		}
	}
	// The driver parses its own options; the address and database are set
	// below, so nothing of the URL's path reaches its parser.
	c, err := mysql.ParseDSN("tcp(127.0.0.1:3306)/?" + keep.Encode())
	if err != nil {
		return nil, fmt.Errorf("%s: driver option: %w", pkg, err)
	}
	if c.Params != nil {
		// Not a driver option: the driver would send it as a system variable.
		return nil, fmt.Errorf("%s: unexpected driver parameters %v", pkg, c.Params)
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
	}
	c.Net = "tcp"
	c.Addr = net.JoinHostPort(host, port)
	c.DBName = strings.TrimPrefix(u.Path, "/")
	if c.Timeout == 0 {
		c.Timeout = DefaultConnectTimeout
	}
	return c, nil
}

// Session returns a copy of c set up for Ferry: text protocol with
// client-side interpolation, one statement per query (multiStatements off:
// SQL built from names can never stack a second statement), raw (unparsed)
// time values, the UTC session time zone, utf8mb4 unless a collation is set,
// sqlMode when it is not empty, and, unless c has a DialFunc, sockets read
// through a ReadBuffer-sized buffer.
func Session(c *mysql.Config, sqlMode string) *mysql.Config {
	c = c.Clone()
	c.InterpolateParams = true
	c.MultiStatements = false
	c.AllowAllFiles = false
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
	if c.Timeout == 0 {
		c.Timeout = DefaultConnectTimeout
	}
	if c.DialFunc == nil {
		c.DialFunc = dialBuffered
	}
	return c
}

// OpenDB returns a pool over c (already set up by Session) whose every new
// connection must connect and finish the handshake within c.Timeout; a
// failure names host:port. pkg prefixes errors.
func OpenDB(pkg string, c *mysql.Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	return sql.OpenDB(&connector{Connector: conn, pkg: pkg, addr: c.Addr, timeout: c.Timeout}), nil
}

// connector bounds the handshake too: the driver's timeout covers the TCP
// dial only, and a server that accepts and never answers would hang it.
type connector struct {
	driver.Connector
	pkg     string
	addr    string
	timeout time.Duration
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.Connector.Connect(cctx)
	if err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			// Not wrapped: database/sql must not retry it (three times the wait).
			return nil, fmt.Errorf("%s: connect to %s: no answer within %s (set timeout= in the URL): %v", c.pkg, c.addr, c.timeout, err)
		}
		if errors.Is(err, driver.ErrBadConn) {
			// database/sql would retry it silently; keep the cause visible.
			return nil, fmt.Errorf("%s: connect to %s: %v", c.pkg, c.addr, err)
		}
		return nil, fmt.Errorf("%s: connect to %s: %w", c.pkg, c.addr, err)
	}
	return conn, nil
}

// Quote quotes one MySQL identifier (dots included: "a.b" is one name).
func Quote(name string) (string, error) { return sqlident.MySQL.Quote(name) }

// MustQuote quotes a name that was already checked (read from the catalog,
// or a field name that passed CheckNames).
func MustQuote(name string) string { return sqlident.MySQL.MustQuote(name) }

// CheckNames reports the first name that cannot be quoted.
func CheckNames(what string, names []string) error {
	for _, n := range names {
		if err := sqlident.Check(n); err != nil {
			return fmt.Errorf("%s %q: %w", what, n, err)
		}
	}
	return nil
}

// Table is a parsed table name: DB is "" for the connection's database.
type Table struct {
	DB, Name string
}

// ParseTable parses "t", "db.t" or backquoted parts ("`my.db`.`t`") with
// sqlident.MySQL.Split.
func ParseTable(name string) (Table, error) {
	parts, err := sqlident.MySQL.Split(name)
	if err != nil {
		return Table{}, err
	}
	if len(parts) == 1 {
		return Table{Name: parts[0]}, nil
	}
	return Table{DB: parts[0], Name: parts[1]}, nil
}

// Quoted returns the table as quoted SQL text.
func (t Table) Quoted() string {
	if t.DB == "" {
		return sqlident.MySQL.MustQuote(t.Name)
	}
	return sqlident.MySQL.MustQuote(t.DB) + "." + sqlident.MySQL.MustQuote(t.Name)
}

// Sibling returns the table named name in t's database.
func (t Table) Sibling(name string) Table { return Table{DB: t.DB, Name: name} }

// String returns the table as the user would write it.
func (t Table) String() string {
	if t.DB == "" {
		return t.Name
	}
	return t.DB + "." + t.Name
}

// SchemaArg returns the WHERE condition on information_schema's
// TABLE_SCHEMA column for t's database and its bound arguments.
func (t Table) SchemaArg(col string) (string, []any) {
	if t.DB == "" {
		return col + " = DATABASE()", nil
	}
	return col + " = ?", []any{t.DB}
}

// IsConnLost reports an error of a connection that broke (reset, closed,
// cut mid-stream, timed out), as opposed to one the server answered: the
// server rolled back the connection's transaction, and the work can be done
// again on another connection.
func IsConnLost(err error) bool {
	var ne net.Error
	return errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne)
}
