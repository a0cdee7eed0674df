package job_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/job"
)

// dataxJob is a small DataX job from SQLite to SQLite with parts to replace.
const dataxJob = `{
  "job": {
    "setting": {"speed": {"channel": 1}, "errorLimit": {"record": 0}},
    "content": [{
      "reader": {"name": "READER", "parameter": {
        "column": READCOLS,
        "connection": [{"table": [TABLE], "jdbcUrl": ["jdbc:sqlite:SRC"]}]}},
      "writer": {"name": "sqlitewriter", "parameter": {
        "column": ["id", "name"],
        "connection": [{"jdbcUrl": "jdbc:sqlite:DST", "table": ["jobtest_dst"]}]}}
    }]
  }
}`

func dataxText(src, dst string, repl ...string) string {
	r := strings.NewReplacer(append([]string{"READER", "sqlitereader", "READCOLS", `["id", "name"]`, "TABLE", `"jobtest_src"`, "SRC", src, "DST", dst}, repl...)...)
	// Replace the defaults only where a test did not.
	return r.Replace(dataxJob)
}

// Every kind of bad job gives one clear error, on one line.
func TestBadJobFiles(t *testing.T) {
	src := sqliteSource(t)
	dst := filepath.Join(t.TempDir(), "jobtest_dst.db")
	tests := []struct {
		name, text, want string
		opts             *job.Options
	}{
		{"invalid JSON", "{\"job\": {\"content\": [\n  {\"reader\": }\n]}}", "invalid JSON at line 2, column 14", nil},
		{"truncated JSON", "{\"job\": {\"content\": [", "invalid JSON at line 1, column 22: the file ends inside a value", nil},
		{"trailing text", "{\"job\": {}} x", "line 1, column 13: unexpected text after the JSON object", nil},
		{"not a job", `{"jobs": []}`, "not a DataX job", nil},
		{"unknown plugin", strings.Replace(dataxText(src, dst), `"sqlitereader"`, `"hdfsreader"`, 1), `unknown reader plugin "hdfsreader"`, nil},
		{"column count mismatch", strings.Replace(dataxText(src, dst), `["id", "name"]`, `["id", "name", "'x'"]`, 1), "the reader lists 3 columns and the writer 2", nil},
		{"no table", strings.Replace(dataxText(src, dst), `"table": ["jobtest_src"], `, "", 1), "no table (and no querySql)", nil},
		{"table and querySql", strings.Replace(dataxText(src, dst), `"table": ["jobtest_src"]`, `"table": ["jobtest_src"], "querySql": ["select 1"]`, 1), "table and querySql cannot be used together", nil},
		{"unresolved parameter", strings.Replace(dataxText(src, dst), `"jobtest_src"`, `"jobtest_${x}"`, 1), `job.content[0].reader.parameter.connection[0].table[0]: schedparam: position 8: unknown parameter "${x}"`, nil},
		{"unknown data source", `{"source": {"datasource": "nope"}, "destination": "sqlite:///tmp/x.db?table=t"}`, `unknown data source "nope"`, &job.Options{Catalog: &job.Catalog{Sources: map[string]job.CatalogEntry{"dw": {Dev: "sqlite:///tmp/a.db"}}}}},
		{"no catalog", `{"source": {"datasource": "nope"}, "destination": "sqlite:///tmp/x.db?table=t"}`, `data source "nope": no catalog given`, nil},
		{"prod entry in dev", `{"source": {"datasource": "dw", "env": "prod", "params": {"table": ["t"]}}, "destination": "sqlite:///tmp/x.db?table=t"}`, "a dev run never reaches prod", &job.Options{Catalog: &job.Catalog{Sources: map[string]job.CatalogEntry{"dw": {Dev: "sqlite:///tmp/a.db", Prod: "sqlite:///tmp/b.db"}}}}},
		{"bad write mode", strings.Replace(dataxText(src, dst), `"column": ["id", "name"],`+"\n        \"connection\": [{\"jdbcUrl\": \"jdbc:sqlite:"+dst, `"column": ["id", "name"], "writeMode": "merge",`+"\n        \"connection\": [{\"jdbcUrl\": \"jdbc:sqlite:"+dst, 1), `writeMode: ferry: unknown write mode "merge"`, nil},
		{"reader preSql", strings.Replace(dataxText(src, dst), `"column": ["id", "name"],`, `"column": ["id", "name"], "preSql": ["select 0"],`, 1), "a reader's preSql (a readiness check) is not supported", nil},
		{"two writer tables", strings.Replace(dataxText(src, dst), `"table": ["jobtest_dst"]`, `"table": ["jobtest_d[0-1]"]`, 1), "Ferry writes one destination table", nil},
		{"bad range", strings.Replace(dataxText(src, dst), `"jobtest_src"`, `"jobtest_[9-1]"`, 1), "start must not exceed end", nil},
		{"jdbc driver", strings.Replace(dataxText(src, dst), "jdbc:sqlite:"+src, "jdbc:oracle:thin:@h:1521:x", 1), "the oracle JDBC driver has no Ferry connector", nil},
		{"errorLimit", strings.Replace(dataxText(src, dst), `{"record": 0}`, `{"record": "many"}`, 1), `job.setting.errorLimit.record is "many"; want a number`, nil},
		{"native unknown key", `{"source": "sqlite:///x.db?table=t", "destination": "sqlite:///y.db?table=t", "mapp": {}}`, `unknown key "mapp"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			if o == nil {
				o = &job.Options{}
			}
			o.CycTime = cyc
			_, err := job.Parse([]byte(tt.text), o)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

// A table that does not exist fails the run (and check) with the
// reader's error naming it, before anything is written.
func TestMissingTable(t *testing.T) {
	src := sqliteSource(t)
	dst := filepath.Join(t.TempDir(), "jobtest_dst.db")
	p, err := job.Parse([]byte(strings.Replace(dataxText(src, dst), `"jobtest_src"`, `"jobtest_nosuch"`, 1)), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	_, err = p.Check(context.Background(), nil)
	require.ErrorContains(t, err, "jobtest_nosuch")
	_, err = p.Run(context.Background(), nil)
	require.ErrorContains(t, err, "jobtest_nosuch")

	// A destination table that does not exist: check says so for a writer
	// that does not create tables.
	pg := pgDB(t)
	exec(t, pg, "DROP TABLE IF EXISTS jobtest_nosuch_pg")
	text := `{"source": "sqlite://` + src + `?table=jobtest_src", "destination": {"url": "` + vars(t)["PG_URL"] + `", "params": {"table": ["jobtest_nosuch_pg"]}}}`
	p, err = job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	_, err = p.Check(context.Background(), nil)
	require.ErrorContains(t, err, "jobtest_nosuch_pg")
}

// Keys Ferry does not know are warnings, listed by plan and check.
func TestUnknownKeysWarn(t *testing.T) {
	src := sqliteSource(t)
	dst := filepath.Join(t.TempDir(), "jobtest_dst.db")
	text := strings.Replace(dataxText(src, dst), `"column": ["id", "name"],`, `"column": ["id", "name"], "fetchSize": 1024, "frobnicate": true,`, 1)
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	require.Contains(t, p.Warnings, "job.content[0].reader.parameter.frobnicate: unknown key, ignored")
	require.Contains(t, p.Warnings, "job.content[0].reader.parameter.fetchSize: accepted, Ferry sizes batches and splits itself")
	pl, err := p.Plan(context.Background(), nil)
	require.NoError(t, err)
	require.Contains(t, pl.String(), "frobnicate: unknown key, ignored")
}

// DataX replaces -D variables in the raw text, so they may stand outside
// strings; unknown ones are left for the scheduling parameters.
func TestDataXVariablesInRawText(t *testing.T) {
	text := `{"job": {"setting": {"speed": {"channel": $ch}, "errorLimit": {"record": ${maxErr}}}, "content": [{
	  "reader": {"name": "streamreader", "parameter": {"column": [{"value": "${who}-$bizdate", "type": "string"}], "sliceRecordCount": 2}},
	  "writer": {"name": "streamwriter", "parameter": {}}}]}}`
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc, Vars: map[string]string{"ch": "3", "maxErr": "5", "who": "x", "bizdate": "override"}})
	require.NoError(t, err)
	require.Equal(t, 3, p.Concurrency)
	require.EqualValues(t, 5, *p.Dirty.MaxRows)
	require.Contains(t, p.Source.Parts[0].URL, "x-override", "a -D variable wins over the parameter of the same name")
	p, err = job.Parse([]byte(strings.Replace(text, `"ch": 3`, "", 1)), &job.Options{CycTime: cyc, Vars: map[string]string{"ch": "2", "maxErr": "0", "who": "y"}})
	require.NoError(t, err)
	require.Contains(t, p.Source.Parts[0].URL, "y-20250726")
}
