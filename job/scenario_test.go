package job_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/job"
	"github.com/ferrydata/ferry/schedparam"
)

// DataX shards over two MySQL databases (connection[] entries with table
// ranges) into one PostgreSQL table, with the sourceColumns and
// maxPerSource extensions: every row names its database and table.
func TestShardSourceColumnsDataX(t *testing.T) {
	pg := pgDB(t)
	my := myDB(t, "jobsc_a")
	myDB(t, "jobsc_b")
	for i := range 8 {
		d := "jobsc_a"
		if i >= 4 {
			d = "jobsc_b"
		}
		exec(t, my, fmt.Sprintf("DROP TABLE IF EXISTS %s.jobsc_o_%d", d, i),
			fmt.Sprintf("CREATE TABLE %s.jobsc_o_%d (id int PRIMARY KEY, v varchar(20))", d, i),
			fmt.Sprintf("INSERT INTO %s.jobsc_o_%d VALUES (1, 'a%d'), (2, 'b%d'), (3, NULL)", d, i, i, i))
	}
	exec(t, pg, "DROP TABLE IF EXISTS jobsc_shard_dst",
		"CREATE TABLE jobsc_shard_dst (id int, v text, src_db text, src_table text, PRIMARY KEY (id, src_db, src_table))")
	text := `{"job": {"setting": {"speed": {"channel": 3}},
	  "content": [{"reader": {"name": "mysqlreader", "parameter": {"username": "{{MY_USER}}", "password": "{{MY_PASS}}",
	    "column": ["*"], "sourceColumns": ["_db", "_table"], "maxPerSource": 2,
	    "connection": [{"table": ["jobsc_o_[0-3]"], "jdbcUrl": ["jdbc:mysql://{{MY_HOST}}/jobsc_a"]},
	                   {"table": ["jobsc_o_[4-7]"], "jdbcUrl": ["jdbc:mysql://{{MY_HOST}}/jobsc_b"]}]}},
	   "writer": {"name": "postgresqlwriter", "parameter": {"username": "{{PG_USER}}", "password": "{{PG_PASS}}",
	    "column": ["id", "v", "src_db", "src_table"], "connection": [{"jdbcUrl": "{{PG_JDBC}}", "table": ["jobsc_shard_dst"]}]}}}]}}`
	path := jobText(t, text, nil, "jobsc_shards.json")
	sum, err := run(t, path, nil)
	require.NoError(t, err)
	require.EqualValues(t, 24, sum.RowsWritten)
	got := queryStrings(t, pg, "SELECT src_db, src_table, count(*), string_agg(coalesce(v, 'NULL'), ',' ORDER BY id) FROM jobsc_shard_dst GROUP BY 1, 2 ORDER BY 2")
	require.Len(t, got, 8)
	for i, g := range got {
		d := "jobsc_a"
		if i >= 4 {
			d = "jobsc_b"
		}
		require.Equal(t, fmt.Sprintf("%s|jobsc_o_%d|3|a%d,b%d,NULL", d, i, i, i), g)
	}

	// A shard whose column differs fails before anything is written.
	exec(t, pg, "TRUNCATE jobsc_shard_dst")
	exec(t, my, "ALTER TABLE jobsc_b.jobsc_o_6 MODIFY id bigint")
	_, err = run(t, path, nil)
	require.ErrorContains(t, err, "jobsc_o_6")
	require.ErrorContains(t, err, "column id")
	require.Zero(t, count(t, pg, "jobsc_shard_dst"))
}

// A Ferry job whose source URL names a table range (one URL, sqlshard)
// with sourceColumns at the job's top level.
func TestShardRangeURLNative(t *testing.T) {
	pg := pgDB(t)
	for i := range 3 {
		exec(t, pg, fmt.Sprintf("DROP TABLE IF EXISTS jobsc_r_%02d", i),
			fmt.Sprintf("CREATE TABLE jobsc_r_%02d (id int PRIMARY KEY, v text)", i),
			fmt.Sprintf("INSERT INTO jobsc_r_%02d SELECT g, 'r%d-' || g FROM generate_series(1, 50) g", i, i))
	}
	exec(t, pg, "DROP TABLE IF EXISTS jobsc_r_dst")
	path := jobText(t, `{"source": {"url": "{{PG_URL}}", "params": {"table": ["jobsc_r_[00-02]"]}},
	  "sourceColumns": ["_t:table"], "maxPerSource": 2,
	  "destination": {"url": "{{PG_URL}}", "params": {"table": ["jobsc_r_dst"], "create": ["true"]}}}`, nil, "jobsc_range.json")
	sum, err := run(t, path, nil)
	require.NoError(t, err)
	require.EqualValues(t, 150, sum.RowsWritten)
	require.Equal(t, []string{"jobsc_r_00|50", "jobsc_r_01|50", "jobsc_r_02|50"}, queryStrings(t, pg, "SELECT _t, count(*) FROM jobsc_r_dst GROUP BY 1 ORDER BY 1"))
	require.Equal(t, []string{"0"}, queryStrings(t, pg, `SELECT count(*) FROM jobsc_r_dst d WHERE v <> 'r' || right(_t, 1)::int || '-' || id`))
}

// Incremental by saved cursor from Go: RunOptions.CursorStore keeps it.
func TestCursorJobGo(t *testing.T) {
	pg := pgDB(t)
	exec(t, pg, "DROP TABLE IF EXISTS jobsc_cur_src", "DROP TABLE IF EXISTS jobsc_cur_dst",
		"CREATE TABLE jobsc_cur_src (id int PRIMARY KEY, updated_at timestamp, v text)",
		"INSERT INTO jobsc_cur_src SELECT g, timestamp '2026-11-01 00:00:00.000001' + (g / 7) * interval '1 ms', 'v' || g FROM generate_series(1, 200) g",
		"CREATE TABLE jobsc_cur_dst (id int PRIMARY KEY, updated_at timestamp, v text)")
	path := jobText(t, `{"source": {"url": "{{PG_URL}}", "params": {"table": ["jobsc_cur_src"]}},
	  "cursor": {"columns": ["updated_at", "id"], "nulls": "exclude"},
	  "destination": {"url": "{{PG_URL}}", "params": {"table": ["jobsc_cur_dst"], "key": ["id"]}}, "mode": "upsert"}`, nil, "jobsc_cur.json")
	p := parse(t, path, nil)
	ctx := context.Background()
	_, err := p.Run(ctx, nil)
	require.ErrorContains(t, err, "give a state store")

	store := cursor.FileStore{Path: filepath.Join(t.TempDir(), "c.json")}
	ro := &job.RunOptions{CursorStore: store}
	sum, err := p.Run(ctx, ro)
	require.NoError(t, err)
	require.EqualValues(t, 200, sum.RowsRead)
	st, err := store.Load(p.CursorKey())
	require.NoError(t, err)
	require.Equal(t, "200", st.Values[1].Text)

	exec(t, pg, "INSERT INTO jobsc_cur_src VALUES (201, timestamp '2026-11-01 00:00:00.028001', 'tie'), (202, NULL, 'null cursor')",
		"UPDATE jobsc_cur_src SET updated_at = timestamp '2026-11-02 00:00:00', v = 'moved' WHERE id = 3")
	sum, err = parse(t, path, nil).Run(ctx, ro)
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.RowsRead, "the tie at the saved timestamp with a larger id, and the moved row; NULL excluded")
	require.Equal(t, []string{"moved", "tie"}, queryStrings(t, pg, "SELECT v FROM jobsc_cur_dst WHERE id IN (3, 201) ORDER BY id"))

	// The DataX form takes cursor as a reader extension.
	_, err = job.Parse([]byte(`{"job": {"content": [{"reader": {"name": "postgresqlreader", "parameter": {"username": "u", "password": "p",
	  "column": ["*"], "cursor": "updated_at,id", "cursorLookback": "bad", "connection": [{"table": ["t"], "jdbcUrl": ["jdbc:postgresql://h/d"]}]}},
	  "writer": {"name": "streamwriter", "parameter": {}}}]}}`), &job.Options{CycTime: cyc})
	require.ErrorContains(t, err, "cursor")
	require.ErrorContains(t, err, "lookback")
}

// Incremental by filter: a where with the business date, written with
// partition-overwrite into that day's partition; a rerun of the day is
// idempotent and leaves the other days alone.
func TestIncrementalByFilter(t *testing.T) {
	pg := pgDB(t)
	exec(t, pg, "DROP TABLE IF EXISTS jobsc_f_src", "DROP TABLE IF EXISTS jobsc_f_dst",
		"CREATE TABLE jobsc_f_src (id int PRIMARY KEY, gmt_modified date, v text)",
		"INSERT INTO jobsc_f_src SELECT g, date '2026-11-01' + (g % 3), 'v' || g FROM generate_series(1, 300) g",
		"CREATE TABLE jobsc_f_dst (id int PRIMARY KEY, gmt_modified date, v text)",
		"INSERT INTO jobsc_f_dst VALUES (9001, '2026-11-02', 'stale'), (9002, '2026-11-03', 'other day')")
	path := jobText(t, `{"job": {"content": [{"reader": {"name": "postgresqlreader", "parameter": {"username": "{{PG_USER}}", "password": "{{PG_PASS}}",
	    "column": ["id", "gmt_modified", "v"], "where": "gmt_modified = '${yyyy-mm-dd}'", "connection": [{"table": ["jobsc_f_src"], "jdbcUrl": ["{{PG_JDBC}}"]}]}},
	  "writer": {"name": "postgresqlwriter", "parameter": {"username": "{{PG_USER}}", "password": "{{PG_PASS}}", "column": ["id", "gmt_modified", "v"],
	    "writeMode": "partition-overwrite", "partition": "gmt_modified = '${yyyy-mm-dd}'", "connection": [{"jdbcUrl": "{{PG_JDBC}}", "table": ["jobsc_f_dst"]}]}}}]}}`, nil, "jobsc_filter.json")
	cycle, err := schedparam.CycleTimesForDates("20261102", "20261102", schedparam.BackfillOptions{Location: time.UTC})
	require.NoError(t, err)
	sums := ""
	for range 2 {
		sum, err := run(t, path, &job.Options{CycTime: cycle[0]})
		require.NoError(t, err)
		require.EqualValues(t, 100, sum.RowsWritten)
		got := queryStrings(t, pg, "SELECT gmt_modified, count(*), md5(string_agg(id || v, ',' ORDER BY id)) FROM jobsc_f_dst GROUP BY 1 ORDER BY 1")
		if sums != "" {
			require.Equal(t, sums, fmt.Sprint(got), "a rerun of the day is idempotent")
		}
		sums = fmt.Sprint(got)
	}
	require.Equal(t, []string{"2026-11-02|100", "2026-11-03|1"}, queryStrings(t, pg, "SELECT gmt_modified, count(*) FROM jobsc_f_dst GROUP BY 1 ORDER BY 1"))
	require.Equal(t, []string{"0"}, queryStrings(t, pg, "SELECT count(*) FROM jobsc_f_dst d JOIN jobsc_f_src s USING (id) WHERE d.v <> s.v OR d.gmt_modified <> s.gmt_modified"))
}
