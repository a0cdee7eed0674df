package job_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/job"
)

func sqliteSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jobtest_src.db")
	d := sqliteDB(t, path)
	exec(t, d, "CREATE TABLE jobtest_src (id INTEGER PRIMARY KEY, name TEXT)",
		"INSERT INTO jobtest_src VALUES (1,'ann'),(2,NULL),(3,'tab\there')")
	return path
}

// txtfilewriter: truncate replaces the file, append adds a file named
// fileName__<uuid>, nonConflict refuses to run when a file of that name
// exists.
func TestDataXTxtfileWriter(t *testing.T) {
	src := sqliteSource(t)
	dir := t.TempDir()
	runMode := func(mode string) error {
		_, err := run(t, jobFile(t, "sqlite2txt.json", map[string]string{"SQLITE": src, "DIR": dir, "MODE": mode}), nil)
		return err
	}
	want := "id\tname\ttag\n1\tann\tx\n2\t\\N\tx\n3\t\"tab\there\"\tx\n"
	require.NoError(t, runMode("nonConflict"))
	got, err := os.ReadFile(filepath.Join(dir, "jobtest_out"))
	require.NoError(t, err)
	require.Equal(t, want, string(got))

	require.ErrorContains(t, runMode("nonConflict"), "nonConflict")
	require.NoError(t, runMode("truncate"))
	require.NoError(t, runMode("append"))
	files, err := filepath.Glob(filepath.Join(dir, "jobtest_out*"))
	require.NoError(t, err)
	require.Len(t, files, 2, "%v", files)
	for _, f := range files {
		got, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Equal(t, want, string(got), f)
	}
}

// DataX's first example: streamreader → streamwriter prints
// sliceRecordCount rows per channel, tab-separated.
func TestDataXStream(t *testing.T) {
	p := parse(t, jobFile(t, "stream_example.json", nil), nil)
	var out bytes.Buffer
	sum, err := p.Run(context.Background(), &job.RunOptions{Stdout: &out})
	require.NoError(t, err)
	require.EqualValues(t, 12, sum.RowsWritten)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 12)
	n := 0
	for _, l := range lines {
		if l == "DataX\t19890604\t1989-06-04 00:00:00\ttrue\ttest\t1" {
			n++
		}
	}
	require.Equal(t, 3, n, "each of the 3 slices starts its incr at 1:\n%s", out.String())
}

// Ferry's own form: mapping by name with a rename and constants from
// scheduling parameters, upsert, custom parameters; plan and check write
// nothing and run no preSql.
func TestFerryNativeAndPlanWritesNothing(t *testing.T) {
	src := sqliteSource(t)
	pg := pgDB(t)
	exec(t, pg, "DROP TABLE IF EXISTS jobtest_native", "DROP TABLE IF EXISTS jobtest_marker",
		"CREATE TABLE jobtest_native (id bigint PRIMARY KEY, label text, ds text, hour text, other text DEFAULT 'd')",
		"CREATE TABLE jobtest_marker (v text)",
		"INSERT INTO jobtest_native VALUES (1, 'old', 'old', 'old', 'kept')")
	path := jobFile(t, "ferry_native.json", map[string]string{"SQLITE": src})
	p := parse(t, path, &job.Options{Params: map[string]string{"maxid": "2"}})
	require.Equal(t, job.FormatFerry, p.Format)

	pl, err := p.Plan(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"id", "label", "ds", "hour"}, []string{pl.Mapping[0].To, pl.Mapping[1].To, pl.Mapping[2].To, pl.Mapping[3].To})
	require.Equal(t, "name", pl.Mapping[1].From)
	require.Equal(t, "int64", pl.Mapping[0].DestType)
	require.Contains(t, strings.Join(pl.DestinationSQL, "\n"), "preSql (before the load): insert into jobtest_marker values ('pre')")
	require.Contains(t, pl.String(), "id <= 2")
	_, err = p.Check(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"1|old|old|old|kept"}, queryStrings(t, pg, "SELECT * FROM jobtest_native"))
	require.Zero(t, count(t, pg, "jobtest_marker"), "plan and check run no preSql")

	sum, err := p.Run(context.Background(), nil)
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.RowsWritten)
	require.Equal(t, []string{"1|ann|2025-07-26|00|kept", "2|NULL|2025-07-26|00|d"},
		queryStrings(t, pg, "SELECT * FROM jobtest_native ORDER BY id"))
	require.Equal(t, 1, count(t, pg, "jobtest_marker"))
}

// setting.speed: channel is the concurrency, byte and record are job-wide
// limits on the engine.
func TestSpeedLimits(t *testing.T) {
	my := myDB(t, "")
	pg := pgDB(t)
	exec(t, my, "DROP TABLE IF EXISTS jobtest_orders",
		"CREATE TABLE jobtest_orders (id BIGINT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2))",
		"INSERT INTO jobtest_orders VALUES (1,'a',1),(2,'b',2),(3,'c',3)")
	exec(t, pg, "DROP TABLE IF EXISTS jobtest_orders_pg", "DROP TABLE IF EXISTS jobtest_log",
		"CREATE TABLE jobtest_orders_pg (id bigint, name text, src text, version bigint, note text, amount numeric(10,2))",
		"CREATE TABLE jobtest_log (msg text)")
	p := parse(t, jobFile(t, "mysql2pg.json", nil), &job.Options{Vars: map[string]string{"minid": "0"}})
	op, err := p.Open(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 2, op.Options.Concurrency)
	require.EqualValues(t, 100000, op.Options.RowsPerSecond)
	require.EqualValues(t, 10485760, op.Options.BytesPerSecond)
	sum, err := op.Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.RowsWritten)
	require.Equal(t, 3, count(t, pg, "jobtest_orders_pg"))
}

// Ferry's connectors under their own names: a url parameter and the
// connector's URL parameters.
func TestFerryPluginNames(t *testing.T) {
	src := sqliteSource(t)
	out := filepath.Join(t.TempDir(), "jobtest_out.csv")
	text := `{"job": {"setting": {"speed": {"channel": 1}, "errorLimit": {"record": 0}}, "content": [{
	  "reader": {"name": "sqlitereader", "parameter": {"url": "sqlite://` + src + `", "table": "jobtest_src", "column": ["id", "name", "'${bizdate}'"]}},
	  "writer": {"name": "csvwriter", "parameter": {"url": "csv://` + out + `", "writeMode": "truncate", "delimiter": ";", "column": ["id", "who", "ds"]}}}]}}`
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	_, err = p.Run(context.Background(), nil)
	require.NoError(t, err)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "id;who;ds\n1;ann;20250726\n2;;20250726\n3;tab\there;20250726\n", string(got))
}

// txtfile compress: a gzip file is read (and its columns found inside it),
// and txtfilewriter writes gzip.
func TestTxtfileCompress(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("1,ann\n2,bob\n"))
	zw.Close()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jobtest_in.csv.gz"), buf.Bytes(), 0o644))
	text := `{"job": {"setting": {"speed": {"channel": 1}, "errorLimit": {"record": 0}}, "content": [{
	  "reader": {"name": "txtfilereader", "parameter": {"path": "` + dir + `/jobtest_in.csv.gz", "compress": "gzip", "column": ["*"]}},
	  "writer": {"name": "txtfilewriter", "parameter": {"path": "` + dir + `", "fileName": "jobtest_out.csv.gz", "writeMode": "truncate", "compress": "gzip"}}}]}}`
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	sum, err := p.Run(context.Background(), nil)
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.RowsWritten)
	f, err := os.Open(filepath.Join(dir, "jobtest_out.csv.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, "1,ann\n2,bob\n", string(got))

	_, err = job.Parse([]byte(strings.Replace(text, `"compress": "gzip", "column"`, `"compress": "zip", "column"`, 1)), &job.Options{CycTime: cyc})
	require.ErrorContains(t, err, `compress = "zip"`)
}
