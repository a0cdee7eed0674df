package mysqlwriter_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// TestWriteCut cuts a writer connection in the middle of a split's LOAD
// DATA stream: the attempt's transaction dies with it, the split is copied
// again on a new connection, and the target gets every row once. A reader
// connection cut in the middle of a split's result is dropped from the
// snapshot's connections, and the split read again on another one; when
// every reader connection is cut, the run fails (it does not wait for a
// connection that will not come back) and the target keeps its rows.
func TestWriteCut(t *testing.T) {
	t.Run("write", func(t *testing.T) { cutRun(t, true, 1) })
	t.Run("read", func(t *testing.T) { cutRun(t, false, 1) })
	t.Run("read, every connection", func(t *testing.T) { cutRun(t, false, 1000) })
}

func cutRun(t *testing.T, up bool, max int64) {
	db, base := testDB(t)
	ctx := context.Background()
	src, dst := uniqueName("ferry_csrc"), uniqueName("ferry_cdst")
	_, err := db.Exec("CREATE TABLE " + src + " (id BIGINT PRIMARY KEY, s VARCHAR(300)) SELECT seq AS id, REPEAT('x', 200) AS s FROM seq_1_to_60000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + src + ", " + dst) })
	_, err = db.Exec("CREATE TABLE " + dst + " LIKE " + src)
	require.NoError(t, err)
	var cuts atomic.Int64
	cut := strings.TrimSuffix(testenv.ProxiedURL(t, base, "3306", testenv.CutAfter(2<<20, max, up, &cuts)), "/")
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
	if max > 1 {
		require.ErrorContains(t, err, "mysqlreader")
		require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM "+dst))
		return
	}
	require.EqualValues(t, 1, cuts.Load(), "the proxy cut a connection")
	require.NoError(t, err)
	require.NotZero(t, sum.Retries)
	require.EqualValues(t, 60000, sum.RowsWritten)
	require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM (SELECT * FROM "+src+" EXCEPT SELECT * FROM "+dst+") x"))
	require.Equal(t, []string{"60000"}, query(t, "SELECT COUNT(*) FROM "+dst))
}
