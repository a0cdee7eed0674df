package sqlshard_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	_ "github.com/ferrydata/ferry/reader/mysqlreader"
	_ "github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/reader/sqlshard"
	_ "github.com/ferrydata/ferry/writer/mysqlwriter"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		name, url string
		shards    []string // name@source
		urls      []string // table= of each shard URL (first two)
		values    map[string]string
		maxPer    int
		err       string
		plain     bool
	}{
		{name: "one table", url: "postgres://h:5432/db?table=t", plain: true},
		{name: "not SQL", url: "csv:///x.csv", plain: true},
		{name: "range", url: "mysql://u@h:3306/db?table=order_[00-02]&splitPk=id",
			shards: []string{"order_00@h:3306/db", "order_01@h:3306/db", "order_02@h:3306/db"}, maxPer: 4},
		{name: "databases", url: "mysql://u@h:3306/db?table=a.t[0-1],b.t[2-3]&sourceColumns=_db,_table&maxPerSource=2",
			shards: []string{"a.t0@h:3306/a", "a.t1@h:3306/a", "b.t2@h:3306/b", "b.t3@h:3306/b"},
			values: map[string]string{"_db": "a", "_table": "a.t0"}, maxPer: 2},
		{name: "pg schemas", url: "postgres://h:5432/db?tables=s1.t,s2.t&sourceColumns=_s:schema,_src:source",
			shards: []string{"s1.t@h:5432/db", "s2.t@h:5432/db"},
			values: map[string]string{"_s": "s1", "_src": "h:5432/db"}, maxPer: 4},
		{name: "list in table", url: "postgres://h/db?table=a,b&maxPerSource=0", shards: []string{"a@h/db", "b@h/db"}},
		{name: "source columns only", url: "postgres://h/db?table=a&sourceColumns=_t:table", shards: []string{"a@h/db"},
			values: map[string]string{"_t": "a"}, maxPer: 4},
		{name: "bad range", url: "postgres://h/db?table=t_[5-2]", err: "start must not exceed end"},
		{name: "bad cap", url: "postgres://h/db?table=a,b&maxPerSource=x", err: "maxPerSource"},
		{name: "bad kind", url: "postgres://h/db?table=a,b&sourceColumns=_x:host", err: "kind"},
		{name: "third column without kind", url: "postgres://h/db?table=a,b&sourceColumns=a,b,c", err: "say what column c holds"},
		{name: "repeated column", url: "postgres://h/db?table=a,b&sourceColumns=a:table,a:database", err: "repeated"},
		{name: "querySql", url: "postgres://h/db?querySql=select%201&tables=a,b", err: "not querySql"},
		{name: "sqlserver brackets", url: "sqlserver://h?database=d&table=[dbo].[t]", plain: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := sqlshard.ParseURL(c.url, nil)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				require.Contains(t, err.Error(), "sqlshard:")
				return
			}
			require.NoError(t, err)
			if c.plain {
				require.Nil(t, p)
				return
			}
			require.NotNil(t, p)
			var got []string
			for _, s := range p.Shards {
				got = append(got, s.Name+"@"+s.Source)
				u, err := url.Parse(s.URL)
				require.NoError(t, err)
				q := u.Query()
				require.Equal(t, s.Name, q.Get("table"))
				for _, k := range []string{"tables", "sourceColumns", "maxPerSource"} {
					require.False(t, q.Has(k), "%s left on the shard URL %s", k, s.URL)
				}
			}
			require.Equal(t, c.shards, got)
			require.Equal(t, c.maxPer, p.MaxPerSource)
			if c.values != nil {
				require.Equal(t, c.values, p.Shards[0].Values)
			}
		})
	}
}

func mysqlDB(t *testing.T) (*sql.DB, *url.URL) {
	pu, err := url.Parse(testenv.MySQLURL())
	require.NoError(t, err)
	cfg := mysql.NewConfig()
	cfg.User = pu.User.Username()
	cfg.Passwd, _ = pu.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", pu.Host, strings.TrimPrefix(pu.Path, "/")
	cfg.MultiStatements = true
	db := testenv.Ping(t, "mysql", cfg.FormatDSN(), "MariaDB")
	return db, pu
}

func withQuery(base, q string) string {
	if strings.Contains(base, "?") {
		return base + "&" + q
	}
	return base + "?" + q
}

// 16 MySQL tables over 2 databases into one table, with the database and
// table of each row; checked in SQL both ways. A shard whose column type
// differs fails before anything is written.
func TestMySQLSixteenShards(t *testing.T) {
	ctx := context.Background()
	db, _ := mysqlDB(t)
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(q string) {
		t.Helper()
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	exec(`SET SESSION max_recursive_iterations = 100000`)
	var parts []string
	for _, d := range []string{"sqlshard_a", "sqlshard_b"} {
		exec("DROP DATABASE IF EXISTS " + d)
		exec("CREATE DATABASE " + d)
	}
	for i := range 16 {
		d := "sqlshard_a"
		if i >= 8 {
			d = "sqlshard_b"
		}
		tbl := fmt.Sprintf("%s.ord_%02d", d, i)
		exec(`CREATE TABLE ` + tbl + ` (id bigint PRIMARY KEY, name varchar(40), amount decimal(12,2), ts datetime(6), note text)`)
		// Ids overlap across shards on purpose: the source columns keep
		// the rows apart.
		exec(fmt.Sprintf(`INSERT INTO %s WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < %d)
			SELECT i, concat('n', i, '\t"', %d), i * 1.25 + %d, TIMESTAMP '2026-11-01 00:00:00.000001' + INTERVAL i SECOND,
			IF(i %% 7 = 0, NULL, concat('shard ', %d, ' é😀')) FROM g`, tbl, 100+i*10, i, i, i))
		parts = append(parts, fmt.Sprintf(`SELECT concat_ws('|', id, name, amount, ts, coalesce(note, '<null>'), '%s', 'ord_%02d') AS r FROM %s`, d, i, tbl))
	}
	exec(`DROP TABLE IF EXISTS sqlshard_a.dest`)
	base := testenv.MySQLURL()
	from := withQuery(base, "table=sqlshard_a.ord_[00-07],sqlshard_b.ord_[08-15]&sourceColumns=_db,_t:table&maxPerSource=2")
	to := withQuery(strings.Replace(base, "/test", "/sqlshard_a", 1), "table=dest&create=true")
	r, err := sqlshard.OpenReader(ctx, from, nil)
	require.NoError(t, err)
	w, err := ferry.OpenWriter(ctx, to)
	require.NoError(t, err)
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 4}).Run(ctx)
	require.NoError(t, err)
	var want int64
	for i := range 16 {
		want += int64(100 + i*10)
	}
	require.EqualValues(t, want, sum.RowsWritten)

	// The table part of _t is the table as named (qualified), the database
	// part from _db.
	src := "SELECT r FROM (" + strings.Join(parts, " UNION ALL ") + ") s"
	dst := `SELECT concat_ws('|', id, name, amount, ts, coalesce(note, '<null>'), _db, substring_index(_t, '.', -1)) AS r FROM sqlshard_a.dest`
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM (`+src+` EXCEPT `+dst+`) x`).Scan(&n))
	require.Zero(t, n, "source rows missing in the destination")
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM (`+dst+` EXCEPT `+src+`) x`).Scan(&n))
	require.Zero(t, n, "destination rows not in the source")
	require.NoError(t, db.QueryRow(`SELECT count(DISTINCT _db, _t) FROM sqlshard_a.dest WHERE _t LIKE concat(_db, '.%')`).Scan(&n))
	require.Equal(t, 16, n)

	// A shard with a different type: the error names the shard and the
	// column, and nothing is written.
	exec(`ALTER TABLE sqlshard_b.ord_13 MODIFY amount double`)
	exec(`DROP TABLE IF EXISTS sqlshard_a.dest2`)
	_, err = sqlshard.OpenReader(ctx, strings.Replace(from, "maxPerSource=2", "maxPerSource=3", 1), nil)
	require.ErrorContains(t, err, "sqlshard_b.ord_13")
	require.ErrorContains(t, err, "amount")
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sqlshard_a' AND table_name = 'dest2'`).Scan(&n))
	require.Zero(t, n)
	// A missing column too.
	exec(`ALTER TABLE sqlshard_b.ord_13 MODIFY amount decimal(12,2), DROP COLUMN note`)
	_, err = sqlshard.OpenReader(ctx, from, nil)
	require.ErrorContains(t, err, "shard sqlshard_b.ord_13 lacks column note")
}

// 8 PostgreSQL tables over 2 schemas into one table, checked with EXCEPT
// both ways.
func TestPostgresEightShards(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresURL()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	defer conn.Close(ctx)
	exec := func(q string) {
		t.Helper()
		_, err := conn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	exec(`DROP SCHEMA IF EXISTS sqlshard_s1 CASCADE`)
	exec(`DROP SCHEMA IF EXISTS sqlshard_s2 CASCADE`)
	exec(`CREATE SCHEMA sqlshard_s1`)
	exec(`CREATE SCHEMA sqlshard_s2`)
	var parts []string
	for i := range 8 {
		s := "sqlshard_s1"
		if i >= 4 {
			s = "sqlshard_s2"
		}
		tbl := fmt.Sprintf("%s.t_%d", s, i)
		exec(`CREATE TABLE ` + tbl + ` (id bigint PRIMARY KEY, name text, amount numeric(12,2), ts timestamptz, u uuid, j jsonb)`)
		exec(fmt.Sprintf(`INSERT INTO %s SELECT g, 'n' || g || E'\t"\\' || %d, g * 1.25, timestamptz '2026-11-01 00:00:00.000001+00' + g * interval '1 second',
			md5(g::text || %d)::uuid, CASE WHEN g %% 5 = 0 THEN NULL ELSE jsonb_build_object('k', g) END FROM generate_series(1, %d) g`, tbl, i, i, 200+i*30))
		parts = append(parts, fmt.Sprintf(`SELECT concat_ws('|', id, name, amount, ts, u, coalesce(j::text, '<null>'), '%s', '%s') AS r FROM %s`, s, tbl, tbl))
	}
	exec(`DROP TABLE IF EXISTS sqlshard_dest`)
	from := withQuery(dsn, "table=sqlshard_s1.t_[0-3],sqlshard_s2.t_[4-7]&sourceColumns=_schema:schema,_table:table")
	to := withQuery(dsn, "table=sqlshard_dest&create=true")
	r, err := sqlshard.OpenReader(ctx, from, nil)
	require.NoError(t, err)
	w, err := ferry.OpenWriter(ctx, to)
	require.NoError(t, err)
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 3}).Run(ctx)
	require.NoError(t, err)
	var want int64
	for i := range 8 {
		want += int64(200 + i*30)
	}
	require.EqualValues(t, want, sum.RowsWritten)
	src := "SELECT r FROM (" + strings.Join(parts, " UNION ALL ") + ") s"
	dst := `SELECT concat_ws('|', id, name, amount, ts, u, coalesce(j::text, '<null>'), _schema, _table) AS r FROM sqlshard_dest`
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM (`+src+` EXCEPT ALL `+dst+`) x`).Scan(&n))
	require.Zero(t, n, "source rows missing in the destination")
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM (`+dst+` EXCEPT ALL `+src+`) x`).Scan(&n))
	require.Zero(t, n, "destination rows not in the source")

	// A renamed column in one shard fails before writing.
	exec(`ALTER TABLE sqlshard_s2.t_6 RENAME COLUMN name TO title`)
	_, err = sqlshard.OpenReader(ctx, from, nil)
	require.ErrorContains(t, err, "shard sqlshard_s2.t_6 has column title where shard sqlshard_s1.t_0 has name")
}
