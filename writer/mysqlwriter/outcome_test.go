package mysqlwriter_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// TestOutcomeUnknown: a commit whose connection dies before its COMMIT is
// answered returns an error wrapped with ferry.OutcomeUnknown, and Status
// tells what happened (here: nothing; a retried Commit then commits once).
func TestOutcomeUnknown(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	dst := uniqueName("ferry_wunknown")
	_, err := db.Exec("CREATE TABLE " + dst + " (id BIGINT PRIMARY KEY, v VARCHAR(10)) SELECT 1000 AS id, 'old' AS v")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
	w := openWriter(t, ctx, base+"?table="+dst)
	run := ferry.NewRunID()
	require.NoError(t, w.PrepareStage(ctx, run, killSchema))
	for _, s := range killSplits {
		require.NoError(t, copyKillSplit(ctx, w, s.id, s.lo, s.hi))
	}
	mysqlwriter.SetBeforeCommit(func(ctx context.Context, conn *sql.Conn) {
		var id int64
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))
		_, err := db.Exec("KILL CONNECTION ?", id)
		require.NoError(t, err)
	})
	err = w.Commit(ctx)
	mysqlwriter.SetBeforeCommit(nil)
	require.Error(t, err)
	require.True(t, ferry.IsOutcomeUnknown(err), "%v", err)
	require.Equal(t, ferry.ClassOutcomeUnknown, ferry.Classify(err))
	st, err := w.Status(ctx)
	require.NoError(t, err)
	require.False(t, st.Committed)
	require.Len(t, st.Done, 2)
	require.Equal(t, []string{"1"}, query(t, "SELECT COUNT(*) FROM "+dst))
	require.NoError(t, w.Commit(ctx))
	require.Equal(t, []string{"501"}, query(t, "SELECT COUNT(*) FROM "+dst))
	require.NoError(t, w.Close())
}
