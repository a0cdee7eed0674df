package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/testenv"
)

// childArgsEnv makes the test binary run the ferry command line given in it
// (a JSON list) instead of the tests: the crash tests re-execute the
// binary so that a SIGKILL at a crash point ends a real process.
const childArgsEnv = "CLISC_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgsEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// ferryChild runs the ferry command line args in a child process with the
// crash point armed ("" for none) and returns its exit error and output.
func ferryChild(t *testing.T, crash string, args ...string) (error, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	b, err := json.Marshal(args)
	require.NoError(t, err)
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(b))
	if crash != "" {
		cmd.Env = append(cmd.Env, crashpoint.Env+"="+crash)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return err, out.String()
}

// ferry sync --state killed after the commit but before the cursor is saved
// repeats the rows on the next run (upsert absorbs them); killed before the
// commit, the next run reads what it would have. Both converge with
// nothing skipped.
func TestSyncCursorKilled(t *testing.T) {
	ctx := context.Background()
	c, sqlExec, name := pgScenario(t)
	sqlExec(`DROP TABLE IF EXISTS clisc_kill_src_PID, clisc_kill_dst_PID`)
	t.Cleanup(func() {
		c.Exec(context.Background(), name(`DROP TABLE IF EXISTS clisc_kill_src_PID, clisc_kill_dst_PID`))
	})
	sqlExec(`CREATE TABLE clisc_kill_src_PID (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text)`)
	sqlExec(`INSERT INTO clisc_kill_src_PID SELECT g, timestamptz '2026-11-01 00:00:00+00' + g * interval '1 ms', 'v' || g FROM generate_series(1, 1000) g`)
	sqlExec(`CREATE TABLE clisc_kill_dst_PID (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, v text)`)
	pg := testenv.PostgresURL()
	from := withParam(pg, name("table=clisc_kill_src_PID&cursor=updated_at,id"))
	to := withParam(pg, name("table=clisc_kill_dst_PID&mode=upsert&key=id"))
	state := filepath.Join(t.TempDir(), "cursor.json")
	sync := func(crash string) (error, string) {
		return ferryChild(t, crash, "sync", "--from", from, "--to", to, "--state", state, "--json", "--progress", "never", "--history", "off")
	}
	differ := func() int {
		var n int
		require.NoError(t, c.QueryRow(ctx, name(`SELECT count(*) FROM ((SELECT * FROM clisc_kill_src_PID EXCEPT SELECT * FROM clisc_kill_dst_PID) UNION ALL (SELECT * FROM clisc_kill_dst_PID EXCEPT SELECT * FROM clisc_kill_src_PID)) x`)).Scan(&n))
		return n
	}
	killed := func(err error) bool {
		ee, ok := err.(*exec.ExitError)
		return ok && !ee.Exited() // ended by a signal
	}

	// Killed after the commit: the rows are there, the cursor is not saved.
	err, out := sync("ferry.commit.after")
	require.True(t, killed(err), "%v: %s", err, out)
	require.Zero(t, differ(), "committed before the kill")
	_, serr := os.Stat(state)
	require.True(t, os.IsNotExist(serr), "no cursor saved")
	err, out = sync("")
	require.NoError(t, err, out)
	require.Contains(t, out, `"rows_read": 1000`, "the rows of the killed run are read again")
	require.Zero(t, differ())

	// Killed before the commit: nothing is visible, the cursor stays.
	sqlExec(`INSERT INTO clisc_kill_src_PID SELECT g, now(), 'new' || g FROM generate_series(1001, 1050) g`)
	sqlExec(`UPDATE clisc_kill_src_PID SET updated_at = now(), v = 'moved' WHERE id <= 10`)
	before, _ := os.ReadFile(state)
	err, out = sync("ferry.commit.before")
	require.True(t, killed(err), "%v: %s", err, out)
	require.Equal(t, 70, differ(), "nothing committed (50 new rows, 10 moved ones both ways)")
	after, _ := os.ReadFile(state)
	require.Equal(t, string(before), string(after))
	err, out = sync("")
	require.NoError(t, err, out)
	require.Contains(t, out, `"rows_read": 60`, "exactly the changed rows")
	require.Zero(t, differ())
}

func withParam(u, q string) string {
	if strings.Contains(u, "?") {
		return u + "&" + q
	}
	return u + "?" + q
}
