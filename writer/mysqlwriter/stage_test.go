package mysqlwriter_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// TestStagedModes runs the staged protocol in the modes the conformance
// suite does not (upsert, replace, partition-overwrite): two writers on one
// stage copy different splits, one split is copied twice (the second
// attempt replaces the first), an attempt whose process died (its writer
// closed with the split open) does not count, nothing is visible before
// Commit, Commit twice and Status after Commit.
func TestStagedModes(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	for _, c := range []struct {
		mode  ferry.WriteMode
		ddl   string
		old   string
		extra string // the URL's mode parameters
		want  []string
	}{
		{ferry.ModeUpsert, "(id BIGINT PRIMARY KEY, v VARCHAR(10))", "(1, 'old'), (1000, 'old')", "&key=id", []string{"500|1|500", "1000|old"}},
		{ferry.ModeReplace, "(id BIGINT PRIMARY KEY, v VARCHAR(10))", "(1, 'old'), (1000, 'old')", "", []string{"500|1|500", "1000|old"}},
		{ferry.ModePartitionOverwrite, "(id BIGINT, v VARCHAR(10))", "(1, 'old'), (2000, 'new')", "&partition=v%3D'new'", []string{"500|1|500", "1|old"}},
	} {
		t.Run(string(c.mode), func(t *testing.T) {
			dst := uniqueName("ferry_wstage")
			_, err := db.Exec("CREATE TABLE " + dst + " " + c.ddl)
			require.NoError(t, err)
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
			_, err = db.Exec("INSERT INTO " + dst + " VALUES " + c.old)
			require.NoError(t, err)
			before := query(t, "SELECT id, v FROM "+dst+" ORDER BY id")
			urlstr := base + "?table=" + dst + "&mode=" + string(c.mode) + c.extra
			run := ferry.NewRunID()
			open := func() *mysqlwriter.Writer {
				w := openWriter(t, ctx, urlstr)
				require.NoError(t, w.PrepareStage(ctx, run, killSchema))
				return w
			}
			a, b, dead := open(), open(), open()
			require.NoError(t, copyKillSplit(ctx, a, "a", 600, 700)) // replaced below
			require.NoError(t, copyKillSplit(ctx, b, "b", 301, 501))
			require.NoError(t, copyKillSplit(ctx, b, "a", 1, 301))
			sw, err := dead.OpenSplit(ctx, "c")
			require.NoError(t, err)
			rec := killBatch(memory.DefaultAllocator, 800, 900)
			require.NoError(t, sw.Write(ctx, rec))
			rec.Release()
			require.NoError(t, dead.Close()) // the process dies with the split open

			st, err := a.Status(ctx)
			require.NoError(t, err)
			require.Equal(t, ferry.StageStatus{Done: []ferry.SplitMark{{Split: "a", Rows: 300}, {Split: "b", Rows: 200}}}, st)
			require.Equal(t, before, query(t, "SELECT id, v FROM "+dst+" ORDER BY id"), "nothing visible before Commit")

			require.NoError(t, a.Commit(ctx))
			require.NoError(t, b.Commit(ctx), "a second Commit, from the other writer")
			require.NoError(t, a.Commit(ctx), "and a third")
			st, err = b.Status(ctx)
			require.NoError(t, err)
			require.True(t, st.Committed)
			require.Error(t, b.Abort(ctx, nil), "Abort of a committed run")
			require.NoError(t, a.Close())
			require.NoError(t, b.Close())
			got := append(query(t, "SELECT COUNT(*), MIN(id), MAX(id) FROM "+dst+" WHERE v = 'new'"), query(t, "SELECT id, v FROM "+dst+" WHERE v <> 'new' ORDER BY id")...)
			require.Equal(t, c.want, got)
		})
	}
}
