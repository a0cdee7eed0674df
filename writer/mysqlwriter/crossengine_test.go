package mysqlwriter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

const crossMyDDL = `(
 id BIGINT PRIMARY KEY, i SMALLINT, n INT, big BIGINT, d DECIMAL(38,10), d2 DECIMAL(65,30), f DOUBLE,
 s LONGTEXT, b LONGBLOB, flag TINYINT(1), day DATE, tod TIME(6), dt DATETIME(6), j JSON, u UUID
) DEFAULT CHARSET=utf8mb4`

const crossPGDDL = `(
 id bigint PRIMARY KEY, i smallint, n integer, big bigint, d numeric(38,10), d2 numeric(65,30), f double precision,
 s text, b bytea, flag boolean, day date, tod interval, dt timestamptz, j json, u uuid)`

func addQuery(u, p string) string {
	if strings.Contains(u, "?") {
		return u + "&" + p
	}
	return u + "?" + p
}

// TestCrossEngine copies MySQL → PostgreSQL → MySQL through the Pipeline and
// checks in SQL that every value came back exactly, and that a DATETIME read
// with timeZone=Asia/Shanghai is the right timestamptz instant in between.
// TIME goes through PostgreSQL's interval with no options, its extremes
// (±838:59:59) and values beyond a day included.
func TestCrossEngine(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	pg, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	defer pg.Close(ctx)

	src, dst, mid := uniqueName("ferry_xsrc"), uniqueName("ferry_xdst"), uniqueName("ferry_xmid")
	for _, n := range []string{src, dst} {
		_, err := db.Exec("CREATE TABLE " + n + " " + crossMyDDL)
		require.NoError(t, err)
		t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + n) })
	}
	_, err = pg.Exec(ctx, "CREATE TABLE "+mid+" "+crossPGDDL)
	require.NoError(t, err)
	t.Cleanup(func() { pg.Exec(context.Background(), "DROP TABLE IF EXISTS "+mid) })

	_, err = db.Exec(`INSERT INTO ` + src + ` VALUES
	 (1, -32768, -2147483648, -9223372036854775808, -9999999999999999999999999999.9999999999, -99999999999999999999999999999999999.999999999999999999999999999999,
	  -1.7976931348623157e308, '', x'', 0, '0001-01-01', '-838:59:59', '1000-01-01 00:00:00', '{}', '00000000-0000-0000-0000-000000000000'),
	 (2, 32767, 2147483647, 9223372036854775807, 9999999999999999999999999999.9999999999, 99999999999999999999999999999999999.999999999999999999999999999999,
	  5e-324, 'tab\there new\nline back\\\\slash \\\\N quote'' "dq" emoji 😀 中文', x'00ff090a5c4e00', 1, '9999-12-31', '838:59:59',
	  '9999-12-31 15:59:59.999999', '{"a": [1, "x\\\\y 😀"], "b": null}', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
	 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	 (4, 7, 8, 9, 1.5, 2.25, 0.1, 'NULL', x'5c4e', 1, '2000-02-29', '-100:00:00.000001', '2024-07-01 08:00:00.000001', '[]', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')`)
	require.NoError(t, err)

	// MySQL → PG, DATETIME as Asia/Shanghai wall time
	rcfg, err := mysqlreader.ParseConfig(base + "?table=" + src + "&splitPk=id&timeZone=Asia/Shanghai")
	require.NoError(t, err)
	r, err := mysqlreader.Open(ctx, rcfg)
	require.NoError(t, err)
	pwcfg, err := pgwriter.ParseConfig(addQuery(testenv.PostgresURL(), "table="+mid))
	require.NoError(t, err)
	pw, err := pgwriter.New(pwcfg)
	require.NoError(t, err)
	sum, err := ferry.New(r, pw, &ferry.Options{Concurrency: 2}).Run(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 4, sum.RowsWritten)

	var instants []string
	rows, err := pg.Query(ctx, "SELECT coalesce(to_char(dt AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 'NULL') FROM "+mid+" ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		instants = append(instants, s)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"0999-12-31 15:54:17.000000", "9999-12-31 07:59:59.999999", "NULL", "2024-07-01 00:00:00.000001"}, instants,
		"Shanghai wall times as UTC instants (LMT +08:05:43 before 1901)")

	// PG → MySQL, instants written back as Asia/Shanghai wall time
	prcfg, err := pgreader.ParseConfig(addQuery(testenv.PostgresURL(), "table="+mid))
	require.NoError(t, err)
	pr, err := pgreader.Open(ctx, prcfg)
	require.NoError(t, err)
	wcfg, err := mysqlwriter.ParseConfig(base + "?table=" + dst + "&timeZone=Asia/Shanghai")
	require.NoError(t, err)
	mw, err := mysqlwriter.Open(ctx, wcfg)
	require.NoError(t, err)
	sum, err = ferry.New(pr, mw, &ferry.Options{Concurrency: 2}).Run(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 4, sum.RowsWritten)

	// Every value equal, compared in SQL (binary-exact for strings and bytes).
	cols := "id, i, n, big, d, d2, f, HEX(s), HEX(b), flag, day, tod, dt, j, u"
	want := query(t, "SELECT "+cols+" FROM "+src+" ORDER BY id")
	got := query(t, "SELECT "+cols+" FROM "+dst+" ORDER BY id")
	require.Len(t, want, 4)
	require.Equal(t, want, got)
	require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM (SELECT * FROM "+src+" EXCEPT SELECT * FROM "+dst+") x"))
}

// TestTypeMatrix copies every MySQL type, TIME extremes included, MySQL →
// MySQL through the Pipeline with no options, into a table made by
// create=true and into one made LIKE the source: every value comes back
// exactly (compared in SQL).
func TestTypeMatrix(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	src := uniqueName("ferry_wmsrc")
	_, err := db.Exec("CREATE TABLE " + src + ` (
	 id BIGINT NOT NULL PRIMARY KEY,
	 ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
	 i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
	 d DECIMAL(65,30), d2 DECIMAL(12,2), dbl DOUBLE,
	 s VARCHAR(100), tx TEXT, b VARBINARY(100), bl BLOB,
	 bt BIT(10), flag TINYINT(1),
	 dt DATE, tm TIME(6), tm0 TIME, dtt DATETIME(6), ts TIMESTAMP(6) NULL, y YEAR,
	 j JSON, u UUID) DEFAULT CHARSET=utf8mb4`)
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + src) })
	_, err = db.Exec("INSERT INTO " + src + ` VALUES
	 (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
	  -99999999999999999999999999999999999.999999999999999999999999999999, -9999999999.99, -1.7976931348623157e308,
	  '', '', '', x'00ff', b'0', 0, '1000-01-01', '-838:59:59.000000', '-838:59:59', '1000-01-01 00:00:00', '1970-01-01 00:00:01', 1901,
	  '{}', '00000000-0000-0000-0000-000000000000'),
	 (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
	  99999999999999999999999999999999999.999999999999999999999999999999, 9999999999.99, 5e-324,
	  'emoji 😀 tab\there', 'new\nline \\N', x'000a090d5c4e', x'', b'1111111111', 1, '9999-12-31', '838:59:59.000000', '838:59:59',
	  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155, '{"a": [1, "😀"]}', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
	 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  '-100:00:00.000001', '00:00:00', NULL, NULL, NULL, NULL, NULL),
	 (4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.25, 0.1, 'x', 'y', 'z', 'w', b'101', 0, '2000-02-29', '23:59:59.999999', '24:00:00',
	  '2024-07-01 08:00:00.000001', '2024-07-01 08:00:00.5', 2024, '[]', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')`)
	require.NoError(t, err)
	cols := "id, ti, tu, si, su, mi, mu, i, iu, bi, bu, d, d2, dbl, HEX(s), HEX(tx), HEX(b), HEX(bl), bt+0, flag, dt, tm, tm0, dtt, ts, y, j, u"
	want := query(t, "SELECT "+cols+" FROM "+src+" ORDER BY id")
	for _, created := range []bool{true, false} {
		dst := uniqueName("ferry_wmdst")
		t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
		if !created {
			_, err := db.Exec("CREATE TABLE " + dst + " LIKE " + src)
			require.NoError(t, err)
		}
		rcfg, err := mysqlreader.ParseConfig(base + "?table=" + src)
		require.NoError(t, err)
		r, err := mysqlreader.Open(ctx, rcfg)
		require.NoError(t, err)
		wcfg, err := mysqlwriter.ParseConfig(base + "?create=true&table=" + dst)
		require.NoError(t, err)
		w, err := mysqlwriter.Open(ctx, wcfg)
		require.NoError(t, err)
		sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 4, sum.RowsWritten)
		require.Equal(t, want, query(t, "SELECT "+cols+" FROM "+dst+" ORDER BY id"), "created=%v", created)
	}
}
