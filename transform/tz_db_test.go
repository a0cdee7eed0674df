package transform_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// The time-zone matrix, run through the Pipeline against the real servers
// and checked in SQL, with PostgreSQL's own time-zone database as the
// oracle (AT TIME ZONE); MariaDB here has no time-zone tables, so the MySQL
// case carries PostgreSQL's expected wall clock as text next to the value.

// db is the little the checks need of database/sql and of pgx.
type db interface {
	exec(q string) error
	count(q string) (int64, error)
}

type pgConn struct{ c *pgx.Conn }

func (p pgConn) exec(q string) error {
	_, err := p.c.Exec(context.Background(), q)
	return err
}

func (p pgConn) count(q string) (n int64, err error) {
	err = p.c.QueryRow(context.Background(), q).Scan(&n)
	return n, err
}

type sqlDB struct{ d *sql.DB }

func (s sqlDB) exec(q string) error {
	_, err := s.d.Exec(q)
	return err
}

func (s sqlDB) count(q string) (n int64, err error) {
	err = s.d.QueryRow(q).Scan(&n)
	return n, err
}

func pgDB(t *testing.T) db {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return pgConn{c}
}

func myDB(t *testing.T) db {
	u := testenv.MySQLURL()
	cfg, err := mysqlwriter.ParseConfig(u + sep(u) + "table=x")
	require.NoError(t, err)
	db := testenv.Ping(t, "mysql", cfg.Conn.FormatDSN(), "MySQL")
	t.Cleanup(func() { db.Close() })
	return sqlDB{db}
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func exec(t *testing.T, d db, qs ...string) {
	t.Helper()
	for _, q := range qs {
		require.NoError(t, d.exec(q), q)
	}
}

func count(t *testing.T, d db, q string) int64 {
	t.Helper()
	n, err := d.count(q)
	require.NoError(t, err, q)
	return n
}

// dstWalls are wall clocks every 10 minutes across New York's 2024 DST
// changes (the gap and the overlap included), with sub-second parts, and
// a few far ones.
func dstWalls() []string {
	var out []string
	for _, day := range []string{"2024-03-10", "2024-11-03"} {
		d, _ := time.Parse(time.DateOnly, day)
		for m := -120; m < 6*60; m += 10 {
			t := d.Add(time.Duration(m)*time.Minute + time.Duration(m%7)*123457*time.Microsecond)
			out = append(out, t.Format("2006-01-02 15:04:05.999999"))
		}
	}
	return append(out, "1900-06-01 12:00:00.123456", "1970-01-01 00:00:00", "2099-12-31 23:59:59.999999")
}

func values(walls []string) string {
	var b strings.Builder
	for i, w := range walls {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "(%d, '%s', '%s')", i+1, w, w)
	}
	return b.String()
}

func runPipeline(t *testing.T, r ferry.Reader, w ferry.Writer, opts *ferry.Options) *ferry.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := ferry.New(r, w, opts).Run(ctx)
	require.NoError(t, err)
	return sum
}

// TestTimeZoneNewYorkDSTOnPostgres: zone-less PostgreSQL timestamps read as
// New York wall clocks become timestamptz, across both DST changes. With
// dst=latest every value equals PostgreSQL's AT TIME ZONE (which takes the
// standard-time reading of an overlap and moves a gap forward); with
// dst=error the gap and overlap rows are dirty and the others land.
func TestTimeZoneNewYorkDSTOnPostgres(t *testing.T) {
	db := pgDB(t)
	walls := dstWalls()
	exec(t, db,
		"DROP TABLE IF EXISTS tf_tz_ny_src, tf_tz_ny_dst",
		"CREATE TABLE tf_tz_ny_src (id bigint PRIMARY KEY, wall timestamp, wall_text text)",
		"CREATE TABLE tf_tz_ny_dst (id bigint PRIMARY KEY, wall timestamp, wall_text text, inst timestamptz)",
		"INSERT INTO tf_tz_ny_src VALUES "+values(walls)+", (0, NULL, NULL)")
	t.Cleanup(func() { exec(t, db, "DROP TABLE IF EXISTS tf_tz_ny_src, tf_tz_ny_dst") })
	gaps := count(t, db, `SELECT count(*) FROM tf_tz_ny_src WHERE wall IS NOT NULL
	   AND ((wall AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York') <> wall`)
	overlaps := count(t, db, `SELECT count(*) FROM tf_tz_ny_src WHERE wall IS NOT NULL
	   AND (((wall AT TIME ZONE 'America/New_York') - interval '1 hour') AT TIME ZONE 'America/New_York') = wall`)
	require.EqualValues(t, 6, gaps, "02:00..02:50 on 2024-03-10")
	require.EqualValues(t, 6, overlaps, "01:00..01:50 on 2024-11-03")

	for _, policy := range []string{"latest", "error"} {
		t.Run(policy, func(t *testing.T) {
			exec(t, db, "TRUNCATE tf_tz_ny_dst")
			rcfg, err := pgreader.ParseConfig(testenv.PostgresURL() + sep(testenv.PostgresURL()) + "table=tf_tz_ny_src")
			require.NoError(t, err)
			r, err := pgreader.Open(context.Background(), rcfg)
			require.NoError(t, err)
			wcfg, err := pgwriter.ParseConfig(testenv.PostgresURL() + sep(testenv.PostgresURL()) + "table=tf_tz_ny_dst")
			require.NoError(t, err)
			w, err := pgwriter.New(wcfg)
			require.NoError(t, err)
			chain, err := transform.BuildAll([]transform.Spec{
				{Name: "compute", Parameter: []byte(`{"column":"inst","expr":"wall","type":"timestamp"}`)},
				{Name: "timezone", Parameter: []byte(`{"columns":["inst"],"from":"America/New_York","dst":"` + policy + `"}`)},
			}, nil)
			require.NoError(t, err)
			sum := runPipeline(t, r, w, &ferry.Options{Transformers: chain, Dirty: dirty.IgnoreAll()})
			if policy == "latest" {
				require.EqualValues(t, len(walls)+1, sum.RowsWritten)
				require.EqualValues(t, 0, count(t, db, `SELECT count(*) FROM tf_tz_ny_dst
				   WHERE inst IS DISTINCT FROM (wall AT TIME ZONE 'America/New_York') OR wall IS DISTINCT FROM wall_text::timestamp`))
				return
			}
			require.EqualValues(t, gaps+overlaps, sum.RowsDirty)
			require.EqualValues(t, int64(len(walls)+1)-gaps-overlaps, sum.RowsWritten)
			require.EqualValues(t, 0, count(t, db, `SELECT count(*) FROM tf_tz_ny_dst WHERE inst IS DISTINCT FROM (wall AT TIME ZONE 'America/New_York')`))
			// exactly the gap and overlap rows are missing
			require.EqualValues(t, gaps+overlaps, count(t, db, `SELECT count(*) FROM tf_tz_ny_src s WHERE NOT EXISTS (SELECT 1 FROM tf_tz_ny_dst d WHERE d.id = s.id)
			   AND (((wall AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York') <> wall
			    OR (((wall AT TIME ZONE 'America/New_York') - interval '1 hour') AT TIME ZONE 'America/New_York') = wall)`))
		})
	}
}

// TestTimeZoneShanghaiDatetimeToTimestamptz: MySQL DATETIME values that are
// Asia/Shanghai wall clocks land in a PostgreSQL timestamptz column as the
// right instants.
func TestTimeZoneShanghaiDatetimeToTimestamptz(t *testing.T) {
	my := myDB(t)
	pg := pgDB(t)
	walls := append(dstWalls(), "1000-01-01 00:00:00", "9999-12-31 23:59:59.999999")
	exec(t, my,
		"DROP TABLE IF EXISTS tf_tz_sh_src",
		"CREATE TABLE tf_tz_sh_src (id BIGINT PRIMARY KEY, dt DATETIME(6), dt_text VARCHAR(32))",
		"INSERT INTO tf_tz_sh_src VALUES "+values(walls)+", (0, NULL, NULL)")
	t.Cleanup(func() { exec(t, my, "DROP TABLE IF EXISTS tf_tz_sh_src") })
	exec(t, pg, "DROP TABLE IF EXISTS tf_tz_sh_dst", "CREATE TABLE tf_tz_sh_dst (id bigint PRIMARY KEY, dt timestamptz, dt_text text)")
	t.Cleanup(func() { exec(t, pg, "DROP TABLE IF EXISTS tf_tz_sh_dst") })

	u := testenv.MySQLURL()
	rcfg, err := mysqlreader.ParseConfig(u + sep(u) + "table=tf_tz_sh_src")
	require.NoError(t, err)
	r, err := mysqlreader.Open(context.Background(), rcfg)
	require.NoError(t, err)
	wcfg, err := pgwriter.ParseConfig(testenv.PostgresURL() + sep(testenv.PostgresURL()) + "table=tf_tz_sh_dst")
	require.NoError(t, err)
	w, err := pgwriter.New(wcfg)
	require.NoError(t, err)
	tr, err := transform.Build(transform.Spec{Name: "timezone", Parameter: []byte(`{"from":"Asia/Shanghai"}`)})
	require.NoError(t, err)
	sum := runPipeline(t, r, w, &ferry.Options{Transformers: []ferry.Transformer{tr}})
	require.EqualValues(t, len(walls)+1, sum.RowsWritten)
	require.EqualValues(t, 0, count(t, pg, `SELECT count(*) FROM tf_tz_sh_dst WHERE dt IS DISTINCT FROM (dt_text::timestamp AT TIME ZONE 'Asia/Shanghai')`))
	require.EqualValues(t, 1, count(t, pg, `SELECT count(*) FROM tf_tz_sh_dst WHERE dt = '2024-03-10 02:20:00+08' AND dt = '2024-03-09 18:20:00Z'`))
}

// TestTimeZonePostgresToMySQLThirdZone: zone-less PostgreSQL timestamps that
// are New York wall clocks land in a MySQL DATETIME as Australia/Sydney wall
// clocks: once converted by the transform (wall clock to wall clock), once
// as instants that mysqlwriter writes in its timeZone. PostgreSQL computes
// the expected wall clock, carried as text.
func TestTimeZonePostgresToMySQLThirdZone(t *testing.T) {
	pg := pgDB(t)
	my := myDB(t)
	walls := dstWalls()
	exec(t, pg,
		"DROP TABLE IF EXISTS tf_tz_syd_src",
		"CREATE TABLE tf_tz_syd_src (id bigint PRIMARY KEY, ts timestamp, want text)",
		"INSERT INTO tf_tz_syd_src SELECT id, w::timestamp, to_char((w::timestamp AT TIME ZONE 'America/New_York') AT TIME ZONE 'Australia/Sydney', 'YYYY-MM-DD HH24:MI:SS.US') FROM (VALUES "+values(walls)+") v(id, w, w2)",
		"INSERT INTO tf_tz_syd_src VALUES (0, NULL, NULL)")
	t.Cleanup(func() { exec(t, pg, "DROP TABLE IF EXISTS tf_tz_syd_src") })
	for _, how := range []string{"transform", "writer"} {
		t.Run(how, func(t *testing.T) {
			exec(t, my, "DROP TABLE IF EXISTS tf_tz_syd_dst", "CREATE TABLE tf_tz_syd_dst (id BIGINT PRIMARY KEY, ts DATETIME(6), want VARCHAR(32))")
			t.Cleanup(func() { exec(t, my, "DROP TABLE IF EXISTS tf_tz_syd_dst") })
			rcfg, err := pgreader.ParseConfig(testenv.PostgresURL() + sep(testenv.PostgresURL()) + "table=tf_tz_syd_src")
			require.NoError(t, err)
			r, err := pgreader.Open(context.Background(), rcfg)
			require.NoError(t, err)
			u := testenv.MySQLURL()
			params := "table=tf_tz_syd_dst"
			spec := `{"from":"America/New_York","to":"Australia/Sydney","dst":"latest"}`
			if how == "writer" {
				params += "&timeZone=Australia/Sydney"
				spec = `{"from":"America/New_York","dst":"latest"}`
			}
			wcfg, err := mysqlwriter.ParseConfig(u + sep(u) + params)
			require.NoError(t, err)
			w, err := mysqlwriter.Open(context.Background(), wcfg)
			require.NoError(t, err)
			tr, err := transform.Build(transform.Spec{Name: "timezone", Parameter: []byte(spec)})
			require.NoError(t, err)
			sum := runPipeline(t, r, w, &ferry.Options{Transformers: []ferry.Transformer{tr}})
			require.EqualValues(t, len(walls)+1, sum.RowsWritten)
			require.EqualValues(t, 0, count(t, my, `SELECT count(*) FROM tf_tz_syd_dst WHERE NOT (DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') <=> want)`))
			require.EqualValues(t, 1, count(t, my, `SELECT count(*) FROM tf_tz_syd_dst WHERE id = 0 AND ts IS NULL`))
		})
	}
}

// TestExampleChainOnPostgres runs the README's chain of five PG→PG through
// the Pipeline and checks every row in SQL against PostgreSQL's own
// functions: the cancelled orders are gone (a NULL status stays), notes are
// cut to 64 characters (emoji count one), business dates are reformatted,
// created_at is read as a Shanghai wall clock, and gross is computed.
func TestExampleChainOnPostgres(t *testing.T) {
	db := pgDB(t)
	exec(t, db,
		"DROP TABLE IF EXISTS tf_chain_src, tf_chain_dst",
		`CREATE TABLE tf_chain_src (id bigint PRIMARY KEY, customer_id integer, amount numeric(12,2), price double precision,
		   status text, note text, created_at timestamp, updated_at timestamptz, ship_date date, is_paid boolean,
		   ref uuid, attrs jsonb, biz_date text)`,
		`INSERT INTO tf_chain_src SELECT g, g % 97, CASE WHEN g % 11 = 0 THEN NULL ELSE (g * 7.31)::numeric(12,2) END, g / 3.0,
		   CASE WHEN g % 13 = 0 THEN NULL ELSE (ARRAY['new','paid','cancelled','shipped'])[1 + g % 4] END,
		   CASE WHEN g % 17 = 0 THEN NULL ELSE repeat(CASE WHEN g % 2 = 0 THEN '😀é' ELSE 'ab c' END, g % 50) END,
		   timestamp '2024-03-09 12:00' + g * interval '7 minutes 3.000001 seconds', now(), date '2024-01-01' + g % 300, g % 3 = 0,
		   md5(g::text)::uuid, jsonb_build_object('g', g), CASE WHEN g % 19 = 0 THEN 'n/a' ELSE to_char(date '2024-01-01' + g % 300, 'YYYYMMDD') END
		 FROM generate_series(1, 3000) g`,
		`CREATE TABLE tf_chain_dst (LIKE tf_chain_src)`,
		`ALTER TABLE tf_chain_dst ALTER COLUMN created_at TYPE timestamptz, ADD COLUMN gross double precision`)
	t.Cleanup(func() { exec(t, db, "DROP TABLE IF EXISTS tf_chain_src, tf_chain_dst") })
	u := testenv.PostgresURL()
	rcfg, err := pgreader.ParseConfig(u + sep(u) + "table=tf_chain_src")
	require.NoError(t, err)
	r, err := pgreader.Open(context.Background(), rcfg)
	require.NoError(t, err)
	wcfg, err := pgwriter.ParseConfig(u + sep(u) + "table=tf_chain_dst")
	require.NoError(t, err)
	w, err := pgwriter.New(wcfg)
	require.NoError(t, err)
	mem := checked(t) // every array the chain makes is released by the Pipeline
	chain, err := transform.BuildAll(chainSpecs, &transform.Options{Allocator: mem})
	require.NoError(t, err)
	sum := runPipeline(t, r, w, &ferry.Options{Transformers: chain, Concurrency: 2, BatchRows: 500})
	cancelled := count(t, db, "SELECT count(*) FROM tf_chain_src WHERE status = 'cancelled'")
	require.Positive(t, cancelled)
	require.EqualValues(t, 3000-cancelled, sum.RowsWritten)
	require.EqualValues(t, cancelled, sum.RowsFiltered)
	require.EqualValues(t, 0, count(t, db, `SELECT count(*) FROM tf_chain_src s FULL JOIN tf_chain_dst d USING (id)
	   WHERE (s.status IS NOT DISTINCT FROM 'cancelled') <> (d.id IS NULL)
	      OR d.id IS NOT NULL AND (
	         d.status IS DISTINCT FROM s.status
	      OR d.note IS DISTINCT FROM left(s.note, 64)
	      OR d.biz_date IS DISTINCT FROM CASE WHEN s.biz_date ~ '^\d{8}$' THEN to_char(to_date(s.biz_date, 'YYYYMMDD'), 'YYYY-MM-DD') ELSE s.biz_date END
	      OR d.created_at IS DISTINCT FROM (s.created_at AT TIME ZONE 'Asia/Shanghai')
	      OR abs(d.gross - coalesce(s.amount, 0)::float8 * 1.13) > 1e-9
	      OR (d.amount, d.price, d.customer_id, d.ship_date, d.is_paid, d.ref, d.attrs) IS DISTINCT FROM (s.amount, s.price, s.customer_id, s.ship_date, s.is_paid, s.ref, s.attrs))`))
	require.Positive(t, count(t, db, "SELECT count(*) FROM tf_chain_dst WHERE note LIKE '%😀%' AND length(note) = 64"))
}
