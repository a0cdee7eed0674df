package mysqlwriter_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// upCutProxy forwards TCP to server and cuts, once, the first connection
// that has sent the server more than after bytes (a LOAD DATA stream).
func upCutProxy(t *testing.T, server string, after int64, cuts *atomic.Int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
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
			go func() { // server → client
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
			go func() { // client → server, cut once
				defer wg.Done()
				defer s.Close()
				defer c.Close()
				buf := make([]byte, 32<<10)
				var sent int64
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if sent += int64(n); sent > after && cuts.CompareAndSwap(0, 1) {
							s.Write(buf[:n/2])
							return
						}
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestWriteCut cuts a writer connection in the middle of a split's LOAD
// DATA stream: the attempt's transaction dies with it, the split is copied
// again on a new connection, and the target gets every row once.
func TestWriteCut(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	src, dst := uniqueName("ferry_csrc"), uniqueName("ferry_cdst")
	_, err := db.Exec("CREATE TABLE " + src + " (id BIGINT PRIMARY KEY, s VARCHAR(300)) SELECT seq AS id, REPEAT('x', 200) AS s FROM seq_1_to_60000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + src + ", " + dst) })
	_, err = db.Exec("CREATE TABLE " + dst + " LIKE " + src)
	require.NoError(t, err)
	rcfg, err := mysqlreader.ParseConfig(base + "?table=" + src + "&splitPk=id")
	require.NoError(t, err)
	r, err := mysqlreader.Open(ctx, rcfg)
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	var cuts atomic.Int64
	u.Host = upCutProxy(t, u.Host, 2<<20, &cuts)
	wcfg, err := mysqlwriter.ParseConfig(strings.TrimSuffix(u.String(), "/") + "?table=" + dst)
	require.NoError(t, err)
	w, err := mysqlwriter.Open(ctx, wcfg)
	require.NoError(t, err)
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, cuts.Load(), "the proxy cut a connection")
	require.NotZero(t, sum.Retries)
	require.EqualValues(t, 60000, sum.RowsWritten)
	require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM (SELECT * FROM "+src+" EXCEPT SELECT * FROM "+dst+") x"))
	require.Equal(t, []string{"60000"}, query(t, "SELECT COUNT(*) FROM "+dst))
}
