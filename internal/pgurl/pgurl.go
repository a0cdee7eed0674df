// Package pgurl turns a postgres:// connector URL into the connection string
// pgx takes, and that connection string into a pgx configuration with
// Ferry's connection defaults (connect timeout, TCP keepalives, an optional
// idle-read timeout), for the PostgreSQL reader and writer.
package pgurl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/ferrydata/ferry"
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

// DefaultConnectTimeout bounds connecting, TLS and the startup handshake
// when the connection string sets no connect_timeout.
const DefaultConnectTimeout = 30 * time.Second

// ReadBuffer is the size of each connection's read buffer.
const ReadBuffer = 64 << 10

// KeepAlive is the TCP keepalive period of every connection.
const KeepAlive = 30 * time.Second

// ConnString checks that u is a postgres:// or postgresql:// URL and returns
// it as a pgx connection string that keeps only LibpqParams, which it marks
// known in p. pkg prefixes errors. Malformed query pairs are reported by
// p.Done, naming the parameter.
func ConnString(pkg string, u *url.URL, p *urlparam.Values) (string, error) {
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("%s: URL scheme %q, want postgres or postgresql", pkg, u.Scheme)
	}
	q, _ := urlparam.Parse(u.RawQuery) // the errors are p's, reported by p.Done
	keep := url.Values{}
	for _, k := range LibpqParams {
		if p.Has(k) {
			keep[k] = q[k]
		}
	}
	cu := *u
	cu.Scheme = "postgres"
	cu.RawQuery = keep.Encode()
	s := cu.String()
	if cu.Host == "" && !strings.HasPrefix(s, "postgres://") {
		// postgres:///db or postgres://?… : url.URL drops the empty
		// authority, pgx needs it (host from PGHOST, or the socket).
		s = "postgres://" + strings.TrimPrefix(s, "postgres:")
	}
	return s, nil
}

// ReadTimeout reads the readTimeout parameter: the longest the connection
// may wait for the server without receiving a byte (0, the default, waits
// forever).
func ReadTimeout(p *urlparam.Values) time.Duration {
	d := p.Duration("readTimeout", 0)
	if d < 0 {
		p.Fail("readTimeout", errors.New("must not be negative"))
	}
	return d
}

// ParseConfig parses connString into a pgx configuration with Ferry's
// defaults: connect_timeout 30 s unless set, TCP keepalives, queries in
// one round trip (QueryExecModeExec) unless default_query_exec_mode is set,
// reads through a ReadBuffer, and, when
// readTimeout > 0, a read deadline that fails a connection on which no byte
// arrived for that long. The error keeps pgx's reason (sslmode=bogus says
// what is wrong) with any password masked. pkg prefixes errors.
func ParseConfig(pkg, connString string, readTimeout time.Duration) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("%s: bad connection string: %s", pkg, RedactError(err))
	}
	if !strings.Contains(connString, "default_query_exec_mode") {
		// One round trip per query: the reader's and writer's statements
		// are one-shot catalog queries and DDL, for which the default
		// (prepare, then execute: two round trips) gains nothing.
		cc.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	// Read the socket in 64 KiB pieces, not pgproto3's 8 KiB: a COPY TO
	// stream arrives in one message per row, and fewer reads are fewer
	// system calls.
	cc.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, ReadBuffer), w)
	}
	timeout := cc.ConnectTimeout
	if timeout == 0 {
		timeout = DefaultConnectTimeout
		cc.ConnectTimeout = timeout
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: KeepAlive}
	cc.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil || readTimeout <= 0 {
			return c, err
		}
		return &idleConn{Conn: c, timeout: readTimeout}, nil
	}
	return cc, nil
}

// RedactError returns the text of err with passwords masked and everything
// else, the reason above all, kept.
func RedactError(err error) string {
	s := err.Error()
	// pgx masks the password of the connection string it quotes; mask
	// whatever URL or key=value password is left, keeping the rest.
	for _, f := range strings.Fields(s) {
		f = strings.Trim(f, "`'\"(),:")
		if strings.Contains(f, "://") {
			if r := ferry.Redact(f); r != f {
				s = strings.ReplaceAll(s, f, r)
			}
		}
	}
	return maskKV(s)
}

// maskKV masks password=... pairs of a keyword/value connection string.
func maskKV(s string) string {
	const k = "password="
	out := s
	for i := 0; ; {
		j := strings.Index(out[i:], k)
		if j < 0 {
			return out
		}
		j += i + len(k)
		if j > len(k) && out[j-len(k)-1] != ' ' && out[j-len(k)-1] != '`' && out[j-len(k)-1] != '?' && out[j-len(k)-1] != '&' {
			i = j
			continue
		}
		e := j
		for e < len(out) && out[e] != ' ' && out[e] != '&' && out[e] != '`' {
			e++
		}
		out = out[:j] + "xxxxx" + out[e:]
		i = j + 5
	}
}

// Addr returns "host:port" of the first host cc connects to.
func Addr(cc *pgx.ConnConfig) string {
	return net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))
}

// Connect connects with cc (copied, so the caller's stays unchanged). Its
// error names the server's host and port and says when the connect timeout
// ran out.
func Connect(ctx context.Context, pkg string, cc *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err == nil {
		return conn, nil
	}
	if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || isTimeout(err)) {
		return nil, fmt.Errorf("%s: connect to %s: no answer within the connect timeout (%s; set connect_timeout in the URL, in seconds): %w",
			pkg, Addr(cc), cc.ConnectTimeout, timeoutError{err})
	}
	return nil, fmt.Errorf("%s: connect to %s: %w", pkg, Addr(cc), err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// timeoutError hides the context.DeadlineExceeded of a connect timeout, so
// that the Pipeline does not take the server's silence for the caller's
// cancellation.
type timeoutError struct{ err error }

func (e timeoutError) Error() string { return e.err.Error() }

// Exec runs one statement built from quoted names over the extended
// protocol, so that a second statement stacked behind it can never run (the
// server refuses "multiple commands" in one prepared statement).
func Exec(ctx context.Context, conn *pgx.Conn, sql string) (pgconn.CommandTag, error) {
	return conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close()
}

// idleConn fails a Read that received nothing for timeout. A deadline
// pgconn sets itself (to interrupt a read on cancellation) still applies.
type idleConn struct {
	net.Conn
	timeout time.Duration
	mu      sync.Mutex
	ext     time.Time // the deadline pgconn set, zero for none
}

func (c *idleConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.ext = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *idleConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.ext = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *idleConn) Read(p []byte) (int, error) {
	d := time.Now().Add(c.timeout)
	c.mu.Lock()
	ext := !c.ext.IsZero() && c.ext.Before(d)
	if ext {
		d = c.ext
	}
	c.mu.Unlock()
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err != nil && !ext && isTimeout(err) {
		err = fmt.Errorf("no data from the server for %s (readTimeout): %w", c.timeout, err)
	}
	return n, err
}

// ExecAll runs statements built from quoted names in one round trip: one
// extended-protocol batch, each statement on its own (as Exec), with one
// Sync at the end. Outside a transaction block they run as one implicit
// transaction. The first statement that fails stops the rest; its error
// is returned with its position (1-based) and, inside an explicit
// transaction the batch began, the caller rolls back.
func ExecAll(ctx context.Context, conn *pgx.Conn, stmts ...string) error {
	b := &pgconn.Batch{}
	for _, s := range stmts {
		b.ExecParams(s, nil, nil, nil, nil)
	}
	res, err := conn.PgConn().ExecBatch(ctx, b).ReadAll()
	if err == nil || len(stmts) == 1 {
		return err
	}
	at := len(res) + 1
	for i, r := range res {
		if r.Err != nil {
			at = i + 1
			break
		}
	}
	return fmt.Errorf("statement %d of %d: %w", min(at, len(stmts)), len(stmts), err)
}
