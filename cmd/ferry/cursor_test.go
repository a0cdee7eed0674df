package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// ferry sync with cursor= copies only what changed, and ferry state shows
// and resets the cursor.
func TestSyncWithCursor(t *testing.T) {
	dir := t.TempDir()
	src, dst, state := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db"), filepath.Join(dir, "cursor.json")
	db, err := sql.Open("sqlite", src)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 100) INSERT INTO t (id, v) SELECT i, 'v' || i FROM g`)
	require.NoError(t, err)
	from := "sqlite://" + src + "?table=t&cursor=id&cursorNulls=exclude"
	to := "sqlite://" + dst + "?table=t&mode=upsert&key=id&create=true"
	sync := func() map[string]any {
		t.Helper()
		var out, errOut strings.Builder
		code := run(context.Background(), []string{"sync", "--from", from, "--to", to, "--state", state, "--json", "--progress", "never", "--history", "off"}, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		var sum map[string]any
		require.NoError(t, json.Unmarshal([]byte(out.String()), &sum), out.String())
		return sum
	}
	require.EqualValues(t, 100, sync()["rows_read"])
	_, err = db.Exec(`WITH RECURSIVE g(i) AS (SELECT 101 UNION ALL SELECT i + 1 FROM g WHERE i < 110) INSERT INTO t (id, v) SELECT i, 'new' FROM g`)
	require.NoError(t, err)
	require.EqualValues(t, 10, sync()["rows_read"])
	require.EqualValues(t, 0, sync()["rows_read"])

	var out, errOut strings.Builder
	require.Equal(t, 0, run(context.Background(), []string{"state", "show", "--from", from, "--to", to, "--state", state}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "id=110 (int)")
	require.Equal(t, 0, run(context.Background(), []string{"state", "reset", "--from", from, "--to", to, "--state", state}, &out, &errOut))
	require.EqualValues(t, 110, sync()["rows_read"], "after a reset the next run is a full copy")
}
