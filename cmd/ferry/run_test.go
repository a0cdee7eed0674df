package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/ferrydata/ferry/internal/testenv"
)

// cliJob writes a DataX job from a SQLite table (ids 1..5) to another
// SQLite file and returns the job path and the destination path.
func cliJob(t *testing.T, where string) (jobPath, dst string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "clijob_src.db")
	dst = filepath.Join(dir, "clijob_dst.db")
	db, err := sql.Open("sqlite", src)
	require.NoError(t, err)
	for _, q := range []string{
		"CREATE TABLE clijob_t (id INTEGER PRIMARY KEY, name TEXT)",
		"INSERT INTO clijob_t VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e')",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	db.Close()
	text := `{"job": {"setting": {"speed": {"channel": 2}, "errorLimit": {"record": 0}},
  "content": [{
    "reader": {"name": "sqlitereader", "parameter": {"column": ["id", "name", "'${bizdate}'"], "where": "` + where + `",
      "connection": [{"table": ["clijob_t"], "jdbcUrl": ["jdbc:sqlite:` + src + `"]}]}},
    "writer": {"name": "sqlitewriter", "parameter": {"column": ["id", "name", "ds"], "preSql": ["create table if not exists clijob_pre (x)"],
      "connection": [{"jdbcUrl": "jdbc:sqlite:` + dst + `", "table": ["clijob_out"]}]}}}]}}`
	jobPath = filepath.Join(dir, "clijob.json")
	require.NoError(t, os.WriteFile(jobPath, []byte(text), 0o644))
	return jobPath, dst
}

func sqliteRows(t *testing.T, path, q string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b, c sql.NullString
		require.NoError(t, rows.Scan(&a, &b, &c))
		out = append(out, a.String+"|"+b.String+"|"+c.String)
	}
	return out
}

func TestRunJob(t *testing.T) {
	path, dst := cliJob(t, "id >= ${minid}")
	code, out, errOut := runCLI(t, "run", "--bizdate", "20250726", "--param", "minid=5", "-p", "-Dminid=4 -Dother='a b'", "--progress", "never", path)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Ferry run succeeded")
	require.Contains(t, out, "rows written           2")
	require.Equal(t, []string{"4|d|20250726", "5|e|20250726"}, sqliteRows(t, dst, "SELECT id, name, ds FROM clijob_out ORDER BY id"))

	path, dst = cliJob(t, "id >= ${minid}")
	code, out, errOut = runCLI(t, "run", "--cyctime", "20250101000000", "--json", "--progress", "never", "-p", "-Dminid=1", path)
	require.Equal(t, 0, code, errOut)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &sum), out)
	require.EqualValues(t, 5, sum["rows_written"])
	require.Contains(t, sqliteRows(t, dst, "SELECT id, name, ds FROM clijob_out ORDER BY id"), "1|a|20241231")
}

// plan and check connect but write nothing: the destination file is not
// even created, and the preSql does not run.
func TestPlanCheckJob(t *testing.T) {
	path, dst := cliJob(t, "id <= ${yyyymmdd}")
	code, out, errOut := runCLI(t, "plan", "--bizdate", "20250726", path)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Ferry plan (datax job, env dev, scheduled at 2025-07-27T00:00:00Z)")
	require.Contains(t, out, "WHERE (id <= 20250726)")
	require.Contains(t, out, "preSql (before the load): create table if not exists clijob_pre (x)")
	require.Contains(t, out, "ds                   <- '20250726'")
	code, out, errOut = runCLI(t, "check", "--bizdate", "20250726", "--json", path)
	require.Equal(t, 0, code, errOut)
	var pl map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &pl), out)
	require.NotEmpty(t, pl["splits"])
	_, err := os.Stat(dst)
	require.True(t, os.IsNotExist(err), "plan and check must not create %s", dst)
}

func TestJobCommandErrors(t *testing.T) {
	path, _ := cliJob(t, "id > 0")
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{\"job\": \n  [}"), 0o644))
	catalog := filepath.Join(t.TempDir(), "catalog.json")
	require.NoError(t, os.WriteFile(catalog, []byte(`{"db": {"dev": "mysql://u:${env:CLIJOB_PW}@127.0.0.1:1/x", "prod": "mysql://u@127.0.0.1:1/y"}}`), 0o644))
	native := filepath.Join(t.TempDir(), "native.json")
	require.NoError(t, os.WriteFile(native, []byte(`{"source": {"datasource": "db", "params": {"table": ["t"]}}, "destination": "stream://stdout"}`), 0o644))
	t.Setenv("CLIJOB_PW", "hunter2-secret")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run"}, 2, "give one job file"},
		{[]string{"run", "--env", "staging", path}, 2, `--env "staging": want dev or prod`},
		{[]string{"plan", "--bizdate", "20250101", "--cyctime", "20250101000000", path}, 2, "not both"},
		{[]string{"check", "--timezone", "Mars/Base", path}, 2, "--timezone"},
		{[]string{"run", "-p", "minid=1", path}, 2, "is not -Dname=value"},
		{[]string{"run", "--param", "nothing", path}, 2, "want name=expr"},
		{[]string{"run", "--progress", "never", bad}, 1, "invalid JSON at line 2, column 4"},
		{[]string{"run", "--progress", "never", path + ".missing"}, 1, "no such file"},
		{[]string{"check", "--catalog", catalog, native}, 1, "connect"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, tt.args...)
		require.Equal(t, tt.code, code, "%v: %s", tt.args, errOut)
		require.Contains(t, errOut, tt.want, "%v", tt.args)
		require.NotContains(t, errOut, "hunter2-secret")
		if tt.code == 1 {
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
		}
	}
	code, _, _ := runCLI(t, "run", "-h")
	require.Equal(t, 0, code)
}

func TestParseDataXVars(t *testing.T) {
	got, err := parseDataXVars(`-Da=1  -Db='x y' -Dc="q" -Dd=`)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "1", "b": "x y", "c": "q", "d": ""}, got)
	_, err = parseDataXVars(`-Da='open`)
	require.Error(t, err)
}

// ferry run --checkpoint keeps what ferry resume needs to finish a failed
// run: here the source query fails on a row (a division by zero); once the
// row is fixed, the resume copies the split again and commits once, with
// the job resolved at the run's scheduled time.
func TestRunCheckpointResume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	pid := strconv.Itoa(os.Getpid())
	for _, q := range []string{
		"DROP TABLE IF EXISTS clijob_rs_src_PID", "DROP TABLE IF EXISTS clijob_rs_dst_PID", "DROP TABLE IF EXISTS clijob_rs_log_PID",
		"CREATE TABLE clijob_rs_src_PID (id int PRIMARY KEY, v text)",
		"CREATE TABLE clijob_rs_dst_PID (id int PRIMARY KEY, v text)",
		"CREATE TABLE clijob_rs_log_PID (ds text)",
		"INSERT INTO clijob_rs_src_PID VALUES (1,'a'),(2,'b'),(3,'boom')",
	} {
		q = strings.ReplaceAll(q, "PID", pid)
		_, err := c.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	name := func(s string) string { return strings.ReplaceAll(s, "PID", pid) }
	pgURL := testenv.PostgresURL()
	text := name(`{"source": {"url": "` + pgURL + `", "params": {"querySql": ["select id, v from clijob_rs_src_PID where 1 / (case when v = 'boom' then 0 else 1 end) = 1"]}}, "destination": {"url": "` + pgURL + `",
	  "params": {"table": ["clijob_rs_dst_PID"], "postSql": ["insert into clijob_rs_log_PID values ('${bizdate}')"]}}, "mode": "upsert"}`)
	path := filepath.Join(t.TempDir(), "clijob_rs.json")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	dir := filepath.Join(t.TempDir(), "ck")

	t.Cleanup(func() {
		for _, tb := range []string{"src", "dst", "log"} {
			c.Exec(context.Background(), name("DROP TABLE IF EXISTS clijob_rs_"+tb+"_PID"))
		}
	})
	code, _, errOut := runCLI(t, "run", "--bizdate", "20250726", "--progress", "never", "--checkpoint", dir, path)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, errOut, "division by zero")
	var n int
	require.NoError(t, c.QueryRow(ctx, name("SELECT count(*) FROM clijob_rs_dst_PID")).Scan(&n))
	require.Zero(t, n, "nothing is visible before the commit")

	_, err = c.Exec(ctx, name("UPDATE clijob_rs_src_PID SET v = 'c' WHERE id = 3"))
	require.NoError(t, err)
	var out, errb bytes.Buffer
	code = runResume(ctx, []string{"--progress", "never", dir}, &out, &errb) // bounded by ctx: fails, never hangs
	require.Equal(t, 0, code, errb.String())
	require.NoError(t, c.QueryRow(ctx, name("SELECT count(*) FROM clijob_rs_dst_PID")).Scan(&n))
	require.Equal(t, 3, n)
	var ds string
	require.NoError(t, c.QueryRow(ctx, name("SELECT ds FROM clijob_rs_log_PID")).Scan(&ds))
	require.Equal(t, "20250726", ds, "the resumed run resolves the job at the run's scheduled time")
}

func TestVersionHelpAndJSONFailure(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "ferry "), out)
	code, out2, _ := runCLI(t, "--version")
	require.Equal(t, 0, code)
	require.Equal(t, out, out2)
	for _, cmd := range []string{"sync", "run", "plan", "check"} {
		code, out, _ := runCLI(t, "help", cmd)
		require.Equal(t, 0, code, cmd)
		require.Contains(t, out, "-json", cmd)
		code, _, _ = runCLI(t, cmd, "-h")
		require.Equal(t, 0, code, cmd)
	}

	// A run that fails before the pipeline starts still prints a JSON
	// object with --json, and the error once, prefixed once.
	code, out, errOut := runCLI(t, "sync", "--from", "nosuch://u:hunter2@h/x", "--to", "clitest://y", "--json")
	require.Equal(t, 2, code, "an unknown scheme is a usage error")
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &obj), out)
	require.Contains(t, obj["error"], `unknown scheme "nosuch"`)
	require.Equal(t, "nosuch://u:xxxxx@h/x", obj["source"])
	require.NotEmpty(t, obj["version"])
	require.NotContains(t, out+errOut, "hunter2")
	require.False(t, strings.HasPrefix(errOut, "ferry: ferry:"), errOut)

	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"job": [`), 0o644))
	code, out, _ = runCLI(t, "run", "--json", bad)
	require.Equal(t, 1, code)
	require.NoError(t, json.Unmarshal([]byte(out), &obj), out)
	require.Contains(t, obj["error"], "invalid JSON at line 1")
}

// ${env:NAME} in a sync URL is expanded, and its value never shown.
func TestSyncEnvInURL(t *testing.T) {
	t.Setenv("CLITEST_ROWS", "7")
	t.Setenv("CLITEST_PW", "hunter2-pw")
	code, out, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=${env:CLITEST_ROWS}", "--to", "clitest://envurl", "--progress", "never")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "rows written           14")
	code, out, errOut = runCLI(t, "sync", "--from", "nosuch://u:${env:CLITEST_PW}@h/x", "--to", "clitest://y", "--json")
	require.Equal(t, 2, code)
	require.NotContains(t, out+errOut, "hunter2-pw")
}
