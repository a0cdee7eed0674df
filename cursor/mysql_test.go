package cursor_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/internal/testenv"
	_ "github.com/ferrydata/ferry/reader/mysqlreader"
	_ "github.com/ferrydata/ferry/writer/mysqlwriter"
)

// The same increments on MariaDB, with a zone-less DATETIME(6) cursor.
func TestIncrementalMySQL(t *testing.T) {
	base := testenv.MySQLURL()
	pu, err := url.Parse(base)
	require.NoError(t, err)
	cfg := mysql.NewConfig()
	cfg.User = pu.User.Username()
	cfg.Passwd, _ = pu.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", pu.Host, strings.TrimPrefix(pu.Path, "/")
	db := testenv.Ping(t, "mysql", cfg.FormatDSN(), "MariaDB")
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(q string) {
		t.Helper()
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	exec(`DROP TABLE IF EXISTS cur_my_src, cur_my_dst`)
	exec(`CREATE TABLE cur_my_src (id bigint PRIMARY KEY, updated_at datetime(6), v varchar(50))`)
	exec(`SET SESSION max_recursive_iterations = 100000`)
	exec(`INSERT INTO cur_my_src WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 500)
		SELECT i, TIMESTAMP '2026-11-01 00:00:00.000001' + INTERVAL (i DIV 50) SECOND, concat('v', i) FROM g`)
	exec(`CREATE TABLE cur_my_dst (id bigint PRIMARY KEY, updated_at datetime(6), v varchar(50))`)
	count := func(q string) int {
		var n int
		require.NoError(t, db.QueryRow(q).Scan(&n))
		return n
	}
	differ := func() int {
		return count(`SELECT count(*) FROM cur_my_src s LEFT JOIN cur_my_dst d ON d.id = s.id AND d.updated_at <=> s.updated_at AND d.v <=> s.v WHERE d.id IS NULL`) +
			count(`SELECT count(*) FROM cur_my_dst d LEFT JOIN cur_my_src s ON s.id = d.id WHERE s.id IS NULL`)
	}
	store := cursor.FileStore{Path: t.TempDir()}
	src := base + "?table=cur_my_src&splitPk=id&cursor=updated_at,id&cursorNulls=exclude"
	dst := base + "?table=cur_my_dst&mode=upsert&key=id"
	sum, err := pgSync(t, store, src, dst, false, false)
	require.NoError(t, err)
	require.EqualValues(t, 500, sum.RowsRead)
	require.Zero(t, differ())

	exec(`INSERT INTO cur_my_src VALUES (501, TIMESTAMP '2026-11-01 00:00:10.000001', 'tie'), (502, TIMESTAMP '2026-11-01 00:05:00', 'new')`)
	exec(`UPDATE cur_my_src SET updated_at = TIMESTAMP '2026-11-01 00:06:00', v = 'moved' WHERE id IN (3, 4)`)
	sum, err = pgSync(t, store, src, dst, false, false)
	require.NoError(t, err)
	require.EqualValues(t, 4, sum.RowsRead, "a tie at the saved timestamp with a larger id, a new row, two moved rows")
	require.Zero(t, differ())
}
