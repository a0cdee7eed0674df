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

// cutProxy forwards TCP to server and cuts, once, the first connection
// that has sent more than after bytes: to the server if up (a LOAD DATA
// stream), else to the client (a streamed result).
func cutProxy(t *testing.T, server string, after int64, up bool, cuts *atomic.Int64) string {
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
			go func() { defer wg.Done(); cutCopy(c, s, after, !up, cuts) }()
			go func() { defer wg.Done(); cutCopy(s, c, after, up, cuts) }()
		}
	}()
	return ln.Addr().String()
}

// cutCopy copies src to dst; if cut, it stops, once in all, after more
// than after bytes (sending half of the last read). It closes both.
func cutCopy(dst, src net.Conn, after int64, cut bool, cuts *atomic.Int64) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	var sent int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if sent += int64(n); cut && sent > after && cuts.CompareAndSwap(0, 1) {
				dst.Write(buf[:n/2])
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestWriteCut cuts a writer connection in the middle of a split's LOAD
// DATA stream: the attempt's transaction dies with it, the split is copied
// again on a new connection, and the target gets every row once. A reader
// connection cut in the middle of a split's result (its snapshot is gone
// with it) fails the run with the reader's error, and the target keeps its
// rows.
func TestWriteCut(t *testing.T) {
	for _, up := range []bool{true, false} {
		name := "write"
		if !up {
			name = "read"
		}
		t.Run(name, func(t *testing.T) { cutRun(t, up) })
	}
}

func cutRun(t *testing.T, up bool) {
	db, base := testDB(t)
	ctx := context.Background()
	src, dst := uniqueName("ferry_csrc"), uniqueName("ferry_cdst")
	_, err := db.Exec("CREATE TABLE " + src + " (id BIGINT PRIMARY KEY, s VARCHAR(300)) SELECT seq AS id, REPEAT('x', 200) AS s FROM seq_1_to_60000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + src + ", " + dst) })
	_, err = db.Exec("CREATE TABLE " + dst + " LIKE " + src)
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	var cuts atomic.Int64
	u.Host = cutProxy(t, u.Host, 2<<20, up, &cuts)
	cut := strings.TrimSuffix(u.String(), "/")
	rbase, wbase := base, cut
	if !up {
		rbase, wbase = cut, base
	}
	rcfg, err := mysqlreader.ParseConfig(rbase + "?table=" + src + "&splitPk=id")
	require.NoError(t, err)
	r, err := mysqlreader.Open(ctx, rcfg)
	require.NoError(t, err)
	wcfg, err := mysqlwriter.ParseConfig(wbase + "?table=" + dst)
	require.NoError(t, err)
	w, err := mysqlwriter.Open(ctx, wcfg)
	require.NoError(t, err)
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
	require.EqualValues(t, 1, cuts.Load(), "the proxy cut a connection")
	if !up {
		require.ErrorContains(t, err, "mysqlreader")
		require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM "+dst))
		return
	}
	require.NoError(t, err)
	require.NotZero(t, sum.Retries)
	require.EqualValues(t, 60000, sum.RowsWritten)
	require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM (SELECT * FROM "+src+" EXCEPT SELECT * FROM "+dst+") x"))
	require.Equal(t, []string{"60000"}, query(t, "SELECT COUNT(*) FROM "+dst))
}
