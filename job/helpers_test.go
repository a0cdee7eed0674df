package job_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/job"
)

// Every table, database and file these tests create is named jobtest_*.

// cyc is the scheduled time of every test run: business date 2025-07-26.
var cyc = time.Date(2025, 7, 27, 0, 5, 0, 0, time.UTC)

// db is a test database handle: *sql.DB (MySQL, SQLite) or a pgx
// connection (PostgreSQL).
type db interface {
	exec(t *testing.T, q string)
	rows(t *testing.T, q string) [][]*string
}

type sqlDB struct{ *sql.DB }

func (d sqlDB) exec(t *testing.T, q string) {
	t.Helper()
	_, err := d.DB.Exec(q)
	require.NoError(t, err, q)
}

func (d sqlDB) rows(t *testing.T, q string) [][]*string {
	t.Helper()
	rows, err := d.DB.Query(q)
	require.NoError(t, err, q)
	defer rows.Close()
	var out [][]*string
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				row[i] = &s
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}

type pgDBT struct{ c *pgx.Conn }

func (d pgDBT) exec(t *testing.T, q string) {
	t.Helper()
	_, err := d.c.Exec(context.Background(), q)
	require.NoError(t, err, q)
}

func (d pgDBT) rows(t *testing.T, q string) [][]*string {
	t.Helper()
	rows, err := d.c.Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err, q)
	defer rows.Close()
	var out [][]*string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]*string, len(raw))
		for i, v := range raw {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}

func pgDB(t *testing.T) db {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return pgDBT{c}
}

// mysqlDSN turns the test MySQL URL into a go-sql-driver DSN for database db
// ("" keeps the URL's).
func mysqlDSN(t *testing.T, db string) string {
	u, err := url.Parse(testenv.MySQLURL())
	require.NoError(t, err)
	if db == "" {
		db = strings.TrimPrefix(u.Path, "/")
	}
	user := u.User.Username()
	pw, _ := u.User.Password()
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":3306"
	}
	return user + ":" + pw + "@tcp(" + host + ")/" + db + "?multiStatements=true&parseTime=true"
}

func myDB(t *testing.T, db string) db {
	t.Helper()
	if db != "" {
		root := testenv.Ping(t, "mysql", mysqlDSN(t, ""), "MySQL")
		_, err := root.Exec("CREATE DATABASE IF NOT EXISTS " + db)
		root.Close()
		require.NoError(t, err)
	}
	d := testenv.Ping(t, "mysql", mysqlDSN(t, db), "MySQL")
	t.Cleanup(func() { d.Close() })
	return sqlDB{d}
}

func exec(t *testing.T, d db, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		d.exec(t, q)
	}
}

// queryStrings returns each row as its values joined by "|" (NULL for NULL).
func queryStrings(t *testing.T, d db, q string) []string {
	t.Helper()
	var out []string
	for _, r := range d.rows(t, q) {
		parts := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = *v
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func count(t *testing.T, d db, table string) int {
	t.Helper()
	r := queryStrings(t, d, "SELECT count(*) FROM "+table)
	require.Len(t, r, 1)
	n := 0
	for _, c := range r[0] {
		n = n*10 + int(c-'0')
	}
	return n
}

// vars are the placeholders of the testdata job files.
func vars(t *testing.T) map[string]string {
	pu, err := url.Parse(testenv.PostgresURL())
	require.NoError(t, err)
	mu, err := url.Parse(testenv.MySQLURL())
	require.NoError(t, err)
	pgPass, _ := pu.User.Password()
	myPass, _ := mu.User.Password()
	myHost := mu.Host
	if !strings.Contains(myHost, ":") {
		myHost += ":3306"
	}
	q := pu.Query()
	pgq := ""
	if q.Get("sslmode") != "" {
		pgq = "?sslmode=" + q.Get("sslmode")
	}
	return map[string]string{
		"PG_USER": pu.User.Username(), "PG_PASS": pgPass,
		"PG_JDBC": "jdbc:postgresql://" + pu.Host + pu.Path + pgq,
		"MY_USER": mu.User.Username(), "MY_PASS": myPass,
		"MY_JDBC":   "jdbc:mysql://" + myHost + mu.Path + "?useUnicode=true&characterEncoding=utf8&useSSL=false",
		"MY_JDBC_A": "jdbc:mysql://" + myHost + "/jobtest_a?useSSL=false",
		"MY_JDBC_B": "jdbc:mysql://" + myHost + "/jobtest_b?useSSL=false",
		"MY_HOST":   myHost,
		"PG_URL":    testenv.PostgresURL(),
		"MY_URL":    testenv.MySQLURL(),
	}
}

// jobFile writes testdata/name with its {{PLACEHOLDERS}} filled into a
// temporary directory and returns its path; extra adds placeholders.
func jobFile(t *testing.T, name string, extra map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return jobText(t, string(b), extra, name)
}

func jobText(t *testing.T, text string, extra map[string]string, name string) string {
	t.Helper()
	v := vars(t)
	for k, x := range extra {
		v[k] = x
	}
	var pairs []string
	for k, x := range v {
		pairs = append(pairs, "{{"+k+"}}", x)
	}
	text = strings.NewReplacer(pairs...).Replace(text)
	require.NotContains(t, text, "{{", "unfilled placeholder in %s", name)
	p := filepath.Join(t.TempDir(), filepath.Base(name))
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func parse(t *testing.T, path string, o *job.Options) *job.Parsed {
	t.Helper()
	if o == nil {
		o = &job.Options{}
	}
	if o.CycTime.IsZero() {
		o.CycTime = cyc
	}
	p, err := job.ParseFile(path, o)
	require.NoError(t, err)
	return p
}

func run(t *testing.T, path string, o *job.Options) (*ferry.Summary, error) {
	t.Helper()
	p := parse(t, path, o)
	return p.Run(context.Background(), nil)
}

func sqliteDB(t *testing.T, path string) db {
	t.Helper()
	d, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return sqlDB{d}
}
