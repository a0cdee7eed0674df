package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/testenv"
)

// pgScenario connects to PostgreSQL and returns an exec helper and a name
// function that makes table names unique to this process (prefix clisc_).
func pgScenario(t *testing.T) (*pgx.Conn, func(string), func(string) string) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	pid := strconv.Itoa(os.Getpid())
	name := func(s string) string { return strings.ReplaceAll(s, "PID", pid) }
	exec := func(q string) {
		t.Helper()
		_, err := c.Exec(ctx, name(q))
		require.NoError(t, err, name(q))
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // run history and cursors stay in the test
	return c, exec, name
}

// ferry backfill of 14 days, 3 at a time, through the CLI: one date fails
// (its source is not ready), is fixed and rerun with --only-failed; a rerun
// of the whole range leaves the destination identical.
func TestBackfillCLI(t *testing.T) {
	ctx := context.Background()
	c, exec, name := pgScenario(t)
	exec(`DROP TABLE IF EXISTS clisc_bf_src_PID, clisc_bf_dst_PID, clisc_bf_broken_PID`)
	t.Cleanup(func() {
		c.Exec(context.Background(), name(`DROP TABLE IF EXISTS clisc_bf_src_PID, clisc_bf_dst_PID, clisc_bf_broken_PID`))
		c.Exec(context.Background(), name(`DROP FUNCTION IF EXISTS clisc_bf_ready_PID(date)`))
	})
	exec(`CREATE TABLE clisc_bf_src_PID (id bigint PRIMARY KEY, dt date NOT NULL, v text)`)
	exec(`INSERT INTO clisc_bf_src_PID SELECT g, date '2026-10-01' + (g % 14), 'row ' || g || E'\t"x"' FROM generate_series(1, 2800) g`)
	exec(`CREATE TABLE clisc_bf_dst_PID (id bigint PRIMARY KEY, dt date NOT NULL, v text)`)
	exec(`INSERT INTO clisc_bf_dst_PID VALUES (999999, '2026-10-04', 'stale')`)
	// A date listed in clisc_bf_broken is "not ready": reading it fails.
	exec(`CREATE TABLE clisc_bf_broken_PID (day date)`)
	exec(`INSERT INTO clisc_bf_broken_PID VALUES ('2026-10-06')`)
	exec(`CREATE FUNCTION clisc_bf_ready_PID(d date) RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN IF EXISTS (SELECT 1 FROM clisc_bf_broken_PID WHERE day = d) THEN RAISE EXCEPTION 'day % not ready', d; END IF; RETURN true; END $$`)
	checksum := func(tbl string) string {
		var n int64
		var h string
		require.NoError(t, c.QueryRow(ctx, name(`SELECT count(*), coalesce(md5(string_agg(id || '|' || dt::text || '|' || v, ',' ORDER BY id)), '') FROM `+tbl)).Scan(&n, &h))
		return fmt.Sprintf("%d:%s", n, h)
	}
	pg := testenv.PostgresURL()
	text := name(`{"source": {"url": "` + pg + `", "params": {"table": ["clisc_bf_src_PID"], "where": ["dt = '${yyyy-mm-dd}' AND clisc_bf_ready_PID(dt)"]}},
	  "destination": {"url": "` + pg + `", "params": {"table": ["clisc_bf_dst_PID"], "partition": ["dt = '${yyyy-mm-dd}'"]}},
	  "mode": "partition-overwrite", "concurrency": 1, "rowsPerSecond": 1000000}`)
	path := filepath.Join(t.TempDir(), "clisc_bf.json")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	state := filepath.Join(t.TempDir(), "bf-state.json")

	code, out, errOut := runCLI(t, "backfill", "--from", "20261001", "--to", "20261014", "--parallel", "3", "--state", state, path)
	require.Equal(t, 1, code, out+errOut)
	require.Contains(t, out, "20261006         2026-10-07 00:00:00 failed")
	require.Contains(t, out, "not ready")
	require.Contains(t, out, "14 instances: 13 ok, 1 failed, 0 skipped; 2600 rows written")
	require.Contains(t, errOut, "20261006")
	require.Contains(t, errOut, "--only-failed")
	var n int
	require.NoError(t, c.QueryRow(ctx, name(`SELECT count(*) FROM clisc_bf_dst_PID WHERE v = 'stale'`)).Scan(&n))
	require.Zero(t, n, "partition-overwrite replaced the stale day")

	exec(`DELETE FROM clisc_bf_broken_PID`)
	code, out, errOut = runCLI(t, "backfill", "--from", "20261001", "--to", "20261014", "--parallel", "3", "--state", state, "--only-failed", path)
	require.Equal(t, 0, code, out+errOut)
	require.Contains(t, out, "14 instances: 1 ok, 0 failed, 13 skipped; 200 rows written")
	require.Equal(t, checksum("clisc_bf_src_PID"), checksum("clisc_bf_dst_PID"))

	before := checksum("clisc_bf_dst_PID")
	code, out, errOut = runCLI(t, "backfill", "--from", "2026-10-01", "--to", "2026-10-14", "--parallel", "3", path)
	require.Equal(t, 0, code, out+errOut)
	require.Contains(t, out, "14 instances: 14 ok, 0 failed, 0 skipped; 2800 rows written")
	require.Equal(t, before, checksum("clisc_bf_dst_PID"), "a rerun of the range leaves the destination identical")
}

func TestBackfillUsage(t *testing.T) {
	job := filepath.Join(t.TempDir(), "j.json")
	require.NoError(t, os.WriteFile(job, []byte(`{"source": "clitest://s", "destination": "clitest://bfusage"}`), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "20261001", job}, "--from and --to are required"},
		{[]string{"--from", "20261002", "--to", "20261001", job}, "before --from"},
		{[]string{"--from", "20261001", "--to", "20261002", "--every", "week", job}, `--every "week"`},
		{[]string{"--from", "20261001", "--to", "20261002", "--parallel", "0", job}, "--parallel 0"},
		{[]string{"--from", "20261001", "--to", "20261002", "--only-failed", job}, "--only-failed needs --state"},
		{[]string{"--from", "20261001", "--to", "20261002", "--bizdate", "20261001", job}, "--bizdate and --cyctime are for ferry run"},
		{[]string{"--from", "2026-13-01", "--to", "20261002", job}, "--from"},
		{[]string{"--from", "20261001", "--to", "20261002"}, "give one job file"},
	} {
		code, _, errOut := runCLI(t, append([]string{"backfill"}, c.args...)...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, c.args)
	}
	// Hourly: 24 instances a day.
	code, out, errOut := runCLI(t, "backfill", "--from", "20261001", "--to", "20261001", "--every", "hour", "--parallel", "4", job)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "24 instances: 24 ok")
}

// A job with a cursor through ferry run --state: the first run copies
// everything, the next only the rows past the saved cursor.
func TestRunCursorState(t *testing.T) {
	ctx := context.Background()
	c, exec, name := pgScenario(t)
	exec(`DROP TABLE IF EXISTS clisc_cur_src_PID, clisc_cur_dst_PID`)
	t.Cleanup(func() {
		c.Exec(context.Background(), name(`DROP TABLE IF EXISTS clisc_cur_src_PID, clisc_cur_dst_PID`))
	})
	exec(`CREATE TABLE clisc_cur_src_PID (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text)`)
	exec(`INSERT INTO clisc_cur_src_PID SELECT g, timestamptz '2026-11-01 00:00:00.000001+00' + (g / 10) * interval '1 second', 'v' || g FROM generate_series(1, 300) g`)
	exec(`CREATE TABLE clisc_cur_dst_PID (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text)`)
	pg := testenv.PostgresURL()
	text := name(`{"source": {"url": "` + pg + `", "params": {"table": ["clisc_cur_src_PID"]}},
	  "destination": {"url": "` + pg + `", "params": {"table": ["clisc_cur_dst_PID"], "key": ["id"]}},
	  "mode": "upsert", "cursor": "updated_at,id"}`)
	path := filepath.Join(t.TempDir(), "clisc_cur.json")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	state := filepath.Join(t.TempDir(), "cursors")
	differ := func() int {
		var n int
		require.NoError(t, c.QueryRow(ctx, name(`SELECT count(*) FROM ((SELECT * FROM clisc_cur_src_PID EXCEPT SELECT * FROM clisc_cur_dst_PID) UNION ALL (SELECT * FROM clisc_cur_dst_PID EXCEPT SELECT * FROM clisc_cur_src_PID)) x`)).Scan(&n))
		return n
	}
	code, out, errOut := runCLI(t, "run", "--progress", "never", "--json", "--state", state, path)
	require.Equal(t, 0, code, out+errOut)
	require.Contains(t, out, `"rows_read": 300`)
	require.Zero(t, differ())

	exec(`INSERT INTO clisc_cur_src_PID VALUES (301, timestamptz '2026-11-01 00:00:30.000001+00', 'tie'), (302, now(), 'new')`)
	exec(`UPDATE clisc_cur_src_PID SET updated_at = now(), v = 'moved' WHERE id IN (5, 6)`)
	exec(`UPDATE clisc_cur_src_PID SET v = 'unseen' WHERE id = 7`) // the cursor does not move: not read
	code, out, errOut = runCLI(t, "run", "--progress", "never", "--json", "--state", state, path)
	require.Equal(t, 0, code, out+errOut)
	require.Contains(t, out, `"rows_read": 4`)
	require.Equal(t, 2, differ(), "only the update that did not move the cursor is missed (one row, both ways)")

	// Without --state the default is under the state directory, keyed by
	// the job: a first run there.
	code, out, errOut = runCLI(t, "run", "--progress", "never", "--json", path)
	require.Equal(t, 0, code, out+errOut)
	require.Contains(t, out, `"rows_read": 302`)
	require.Zero(t, differ())
	entries, err := os.ReadDir(filepath.Join(os.Getenv("XDG_STATE_HOME"), "ferry", "cursors"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
}
