package pgurl

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrydata/ferry/internal/urlparam"
)

// silentServer accepts TCP connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestSilentServer: a server that accepts and never answers fails the
// connect within the connect timeout, or the idle-read timeout, with an
// error naming host and port, never hangs.
func TestSilentServer(t *testing.T) {
	addr := silentServer(t)
	for _, tc := range []struct {
		conn        string
		readTimeout time.Duration
		want        string
	}{
		{"postgres://u@" + addr + "/db?sslmode=disable&connect_timeout=1", 0, "connect timeout"},
		{"postgres://u@" + addr + "/db?sslmode=disable&connect_timeout=60", 300 * time.Millisecond, "readTimeout"},
	} {
		cc, err := ParseConfig("pgtest", tc.conn, tc.readTimeout)
		if err != nil {
			t.Fatal(err)
		}
		// a guard far beyond both timeouts, so that a hang fails the test
		// instead of blocking it; the error must not be the guard's
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_, err = Connect(ctx, "pgtest", cc)
		guard := ctx.Err()
		cancel()
		switch {
		case err == nil:
			t.Fatalf("%s: connected to a silent server", tc.conn)
		case guard != nil:
			t.Fatalf("%s: the connect ran until the test's guard: %v", tc.conn, err)
		case !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: %v, want an error naming %s and %q", tc.conn, err, addr, tc.want)
		}
	}
}

// TestDefaults: 30 s connect timeout unless set; keepalives on.
func TestDefaults(t *testing.T) {
	cc, err := ParseConfig("pgtest", "postgres://u@h/db", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cc.ConnectTimeout != DefaultConnectTimeout {
		t.Errorf("connect timeout %s, want %s", cc.ConnectTimeout, DefaultConnectTimeout)
	}
	cc, _ = ParseConfig("pgtest", "postgres://u@h/db?connect_timeout=5", 0)
	if cc.ConnectTimeout != 5*time.Second {
		t.Errorf("connect_timeout=5 gave %s", cc.ConnectTimeout)
	}
	if cc.DialFunc == nil {
		t.Error("no dial function (keepalives)")
	}
}

// TestErrorsKeepTheReason: a bad setting says what is wrong, and never
// shows the password.
func TestErrorsKeepTheReason(t *testing.T) {
	for _, tc := range []struct{ conn, want string }{
		{"postgres://u:s3cr3t@h/db?sslmode=bogus", "sslmode"},
		{"postgres://u:s3cr3t@h/db?connect_timeout=x", "connect_timeout"},
		{"host=h user=u password=s3cr3t sslmode=bogus", "sslmode"},
	} {
		_, err := ParseConfig("pgtest", tc.conn, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: %v, want the reason (%s) without the password", strings.ReplaceAll(tc.conn, "s3cr3t", "..."), err, tc.want)
		}
	}
}

// TestConnStringMalformed: a malformed query pair is an error naming the
// parameter (it was dropped silently before), libpq parameters are kept.
func TestConnStringMalformed(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"postgres://u@h/db?table=t&sslmode=disable&where=id%3C3%ZZ", "where"},
		{"postgres://u@h/db?table=t&bogus=1;2", "bogus"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		p := urlparam.New("pgtest", u)
		p.String("table", "")
		p.String("where", "")
		if _, err := ConnString("pgtest", u, p); err != nil {
			t.Fatal(err)
		}
		if err := p.Done(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.url, err, tc.want)
		}
	}
	u, _ := url.Parse("postgres://u@h:5433/db?table=t&sslmode=require&application_name=x")
	p := urlparam.New("pgtest", u)
	p.String("table", "")
	cs, err := ConnString("pgtest", u, p)
	if err != nil || p.Done() != nil {
		t.Fatal(err, p.Done())
	}
	if cs != "postgres://u@h:5433/db?application_name=x&sslmode=require" {
		t.Errorf("conn string %q", cs)
	}
}

// FuzzConnString: any URL goes through ConnString and ParseConfig without
// a panic, and no error shows the password of the URL.
func FuzzConnString(f *testing.F) {
	for _, s := range []string{
		"postgres://u:pw@h:5432/db?table=t&sslmode=disable",
		"postgresql://u@[::1]:5432/db?connect_timeout=3&readTimeout=1s",
		"postgres://u:p%ZZw@h/db",
		"postgres://h/db?sslmode=bogus&password=pw",
		"postgres://u@h/db?options=-c%20search_path%3Dx&bogus=1;2",
		"postgres:///db?host=/tmp&port=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		p := urlparam.New("pgfuzz", u)
		rt := ReadTimeout(p)
		cs, err := ConnString("pgfuzz", u, p)
		if err != nil {
			return
		}
		_ = p.Done()
		_, err = ParseConfig("pgfuzz", cs, rt)
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 && err != nil && strings.Contains(err.Error(), pw) && !strings.Contains(strings.ReplaceAll(s, pw, ""), pw) {
			t.Errorf("error shows the password: %v", err)
		}
	})
}

// A URL without a host keeps its authority, so that pgx takes the host (and
// the user, database, password) from PGHOST and the other libpq variables.
func TestConnStringWithoutHost(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"postgres://?table=t", "postgres://"},
		{"postgres:///shop?table=t", "postgres:///shop"},
		{"postgresql:///shop?table=t&sslmode=disable", "postgres:///shop?sslmode=disable"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		p := urlparam.New("pgtest", u)
		p.String("table", "")
		cs, err := ConnString("pgtest", u, p)
		if err != nil {
			t.Fatal(err)
		}
		if cs != tc.want {
			t.Errorf("%s: conn string %q, want %q", tc.url, cs, tc.want)
		}
		t.Setenv("PGHOST", "db.example")
		t.Setenv("PGUSER", "etl")
		cc, err := ParseConfig("pgtest", cs, 0)
		if err != nil {
			t.Fatalf("%s: %v", cs, err)
		}
		if cc.Host != "db.example" || cc.User != "etl" {
			t.Errorf("%s: host %q user %q, want PGHOST and PGUSER", cs, cc.Host, cc.User)
		}
	}
}
