package testenv

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// A RelayFunc copies one direction of a proxied connection, from src to dst
// (up: client to server), and returns when that direction ends or should be
// cut; the proxy then closes both ends.
type RelayFunc func(up bool, dst, src net.Conn)

// Proxy forwards every connection made to the returned host:port to
// server, each direction through relay, until the test ends.
func Proxy(t testing.TB, server string, relay RelayFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			for _, up := range []bool{true, false} {
				dst, src := c, s
				if up {
					dst, src = s, c
				}
				go func() {
					defer wg.Done()
					defer c.Close()
					defer s.Close()
					relay(up, dst, src)
				}()
			}
		}
	}()
	return ln.Addr().String()
}

// Relay copies src to dst; every chunk read goes through keep first, which
// says how much of it to send and whether to go on after that.
func Relay(dst, src net.Conn, keep func(p []byte) (n int, more bool)) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			k, more := n, true
			if keep != nil {
				k, more = keep(buf[:n])
			}
			if _, werr := dst.Write(buf[:k]); werr != nil || !more {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// CutAfter is a RelayFunc that cuts a connection once more than after
// bytes went by in the direction up (half of the last chunk sent), for at
// most max connections, counted in cuts; everything else is copied.
func CutAfter(after, max int64, up bool, cuts *atomic.Int64) RelayFunc {
	return func(dir bool, dst, src net.Conn) {
		var sent int64
		Relay(dst, src, func(p []byte) (int, bool) {
			if sent += int64(len(p)); dir == up && sent > after && take(cuts, max) {
				return len(p) / 2, false
			}
			return len(p), true
		})
	}
}

// take counts one more cut unless there were max already.
func take(cuts *atomic.Int64, max int64) bool {
	for {
		n := cuts.Load()
		if n >= max {
			return false
		}
		if cuts.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// ProxiedURL returns urlstr (a postgres:// or mysql:// URL) with its host
// replaced by a Proxy to it through relay.
func ProxiedURL(t testing.TB, urlstr, defaultPort string, relay RelayFunc) string {
	t.Helper()
	u, err := url.Parse(urlstr)
	if err != nil {
		t.Fatal(err)
	}
	server := u.Host
	if u.Port() == "" {
		server += ":" + defaultPort
	}
	u.Host = Proxy(t, server, relay)
	return u.String()
}
