package mysqlwriter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// TestPipeline copies MySQL → MySQL through the Pipeline with 1 and 2
// workers and checks the copy in SQL.
func TestPipeline(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	src := uniqueName("ferry_psrc")
	_, err := db.Exec("CREATE TABLE " + src + " (id BIGINT PRIMARY KEY, s VARCHAR(20), dt DATETIME(6)) SELECT seq AS id, CONCAT('r', seq) AS s, '2024-01-01 00:00:00' + INTERVAL seq SECOND AS dt FROM seq_1_to_30000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + src) })
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			dst := uniqueName("ferry_pdst")
			_, err := db.Exec("CREATE TABLE " + dst + " LIKE " + src)
			require.NoError(t, err)
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
			rcfg, err := mysqlreader.ParseConfig(base + "?table=" + src + "&splitPk=id&batchRows=4000")
			require.NoError(t, err)
			r, err := mysqlreader.Open(ctx, rcfg)
			require.NoError(t, err)
			wcfg, err := mysqlwriter.ParseConfig(base + "?table=" + dst)
			require.NoError(t, err)
			w, err := mysqlwriter.Open(ctx, wcfg)
			require.NoError(t, err)
			sum, err := ferry.New(r, w, &ferry.Options{Concurrency: workers}).Run(ctx)
			require.NoError(t, err)
			require.EqualValues(t, 30000, sum.RowsWritten)
			require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM (SELECT * FROM "+src+" EXCEPT SELECT * FROM "+dst+") x"))
			require.Equal(t, []string{"30000"}, query(t, "SELECT COUNT(*) FROM "+dst))
		})
	}
}
