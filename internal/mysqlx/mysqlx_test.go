package mysqlx

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/urlparam"
)

func TestParseTable(t *testing.T) {
	for _, c := range []struct{ in, db, name, quoted string }{
		{"t", "", "t", "`t`"},
		{"db.t", "db", "t", "`db`.`t`"},
		{"`a.b`.`c``d`", "a.b", "c`d", "`a.b`.`c``d`"},
		{"db.`x (x int); DROP TABLE v`", "db", "x (x int); DROP TABLE v", "`db`.`x (x int); DROP TABLE v`"},
	} {
		tb, err := ParseTable(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, Table{DB: c.db, Name: c.name}, tb)
		require.Equal(t, c.quoted, tb.Quoted())
	}
	for _, bad := range []string{"", "a.b.c", "t`; DROP TABLE v; --", "`open", "a.", ".a", "a\x00b"} {
		_, err := ParseTable(bad)
		require.Error(t, err, bad)
	}
}

func conn(t *testing.T, raw string) (*urlparam.Values, error) {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p := urlparam.New("x", u)
	_, err = ConnConfig("x", u, p)
	return p, err
}

func TestConnConfig(t *testing.T) {
	u, _ := url.Parse("mariadb://u:pw@h:3307/db?timeout=2s&readTimeout=3s&tls=skip-verify&charset=utf8mb4&table=t")
	p := urlparam.New("x", u)
	c, err := ConnConfig("x", u, p)
	require.NoError(t, err)
	require.Equal(t, "h:3307", c.Addr)
	require.Equal(t, "db", c.DBName)
	require.Equal(t, 2*time.Second, c.Timeout)
	require.Equal(t, 3*time.Second, c.ReadTimeout)
	require.NotNil(t, c.TLS)
	p.String("table", "")
	require.NoError(t, p.Done())
	s := Session(c, "")
	require.False(t, s.MultiStatements)
	require.False(t, s.AllowAllFiles)

	// Options Ferry sets itself, and system variables, are not driver options here.
	for _, raw := range []string{"mysql://h/db?multiStatements=true", "mysql://h/db?sql_mode=x", "mysql://h/db?allowAllFiles=true"} {
		p, err := conn(t, raw)
		require.NoError(t, err)
		require.Error(t, p.Done(), raw)
	}
	_, err = conn(t, "mysql://h/db?timeout=soon")
	require.Error(t, err)
	_, err = conn(t, "postgres://h/db")
	require.Error(t, err)
}

// TestSilentServer: a server that accepts TCP and never answers fails the
// connect and handshake within the timeout, naming host:port (the driver's
// own timeout covers the dial only).
func TestSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and never answer
		}
	}()
	u, _ := url.Parse("mysql://u:s3cret@" + ln.Addr().String() + "/db?timeout=300ms")
	c, err := ConnConfig("x", u, urlparam.New("x", u))
	require.NoError(t, err)
	db, err := OpenDB("x", Session(c, ""))
	require.NoError(t, err)
	defer db.Close()
	err = db.PingContext(context.Background())
	require.Error(t, err)
	require.Contains(t, err.Error(), "x: connect to "+ln.Addr().String()+": no answer within 300ms")
	require.NotContains(t, err.Error(), "s3cret")
}
