package quality_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/quality"
	"github.com/ferrydata/ferry/reader/memreader"
	_ "github.com/ferrydata/ferry/writer/mysqlwriter"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
)

// txQuerier is a ferry.Querier over a transaction the test opened, as a
// CheckedCommitter's would be.
type txQuerier struct {
	tx      *sql.Tx
	table   string
	dialect string
}

func (q txQuerier) Table() string   { return q.table }
func (q txQuerier) Dialect() string { return q.dialect }

// Query runs query; on PostgreSQL inside a savepoint, so that a failing
// query does not abort the transaction (as a writer's Querier must, or a
// warning rule with bad SQL would fail the commit).
func (q txQuerier) Query(ctx context.Context, query string, max int) ([][]*string, bool, error) {
	if q.dialect != ferry.EnginePostgreSQL {
		return q.query(ctx, query, max)
	}
	if _, err := q.tx.ExecContext(ctx, "SAVEPOINT ferry_dq"); err != nil {
		return nil, false, err
	}
	rows, more, err := q.query(ctx, query, max)
	if err != nil {
		if _, rerr := q.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT ferry_dq"); rerr != nil {
			return nil, false, errors.Join(err, rerr)
		}
		return nil, false, err
	}
	_, err = q.tx.ExecContext(ctx, "RELEASE SAVEPOINT ferry_dq")
	return rows, more, err
}

func (q txQuerier) query(ctx context.Context, query string, max int) ([][]*string, bool, error) {
	rows, err := q.tx.QueryContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, false, err
	}
	var out [][]*string
	for rows.Next() {
		if len(out) == max {
			return out, true, nil
		}
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, false, err
		}
		r := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				r[i] = &s
			}
		}
		out = append(out, r)
	}
	return out, false, rows.Err()
}

type engine struct {
	name, driver, dialect string
	dsn                   func(t *testing.T) string
	writerURL             func(table string) string
	ident                 sqlident.Dialect
	create                string // %s is the quoted table
}

func mysqlDSN(t *testing.T) string {
	u, err := url.Parse(testenv.MySQLURL())
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":3306"
	}
	return u.User.Username() + ":" + pw + "@tcp(" + host + ")" + u.Path
}

func withParams(base, params string) string {
	if strings.Contains(base, "?") {
		return base + "&" + params
	}
	return base + "?" + params
}

var engines = []engine{
	{
		name: "postgresql", driver: "pgx", dialect: ferry.EnginePostgreSQL, ident: sqlident.PostgreSQL,
		dsn:       func(*testing.T) string { return testenv.PostgresURL() },
		writerURL: func(table string) string { return withParams(testenv.PostgresURL(), "table="+table+"&mode=overwrite") },
		create:    "CREATE TABLE %s (id bigint NOT NULL, email text, amount double precision)",
	},
	{
		name: "mariadb", driver: "mysql", dialect: ferry.EngineMySQL, ident: sqlident.MySQL,
		dsn:       mysqlDSN,
		writerURL: func(table string) string { return withParams(testenv.MySQLURL(), "table="+table+"&mode=overwrite") },
		create:    "CREATE TABLE %s (id BIGINT NOT NULL, email VARCHAR(100), amount DOUBLE)",
	},
}

// table creates a fresh table ops_dq_<random> with rows and drops it at
// the end of the test.
func table(t *testing.T, e engine, db *sql.DB) (name, quoted string) {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name = "ops_dq_" + hex.EncodeToString(b[:])
	quoted = e.ident.MustQuote(name)
	if _, err := db.Exec(fmt.Sprintf(e.create, quoted)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + quoted) })
	if _, err := db.Exec("INSERT INTO " + quoted + " (id, email, amount) VALUES (1, 'a@x', 10), (2, 'b@x', 20), (3, 'a@x', 30), (4, NULL, 40), (5, NULL, 50)"); err != nil {
		t.Fatal(err)
	}
	return name, quoted
}

func TestSQLRulesOnRealDatabases(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := testenv.Ping(t, e.driver, e.dsn(t), e.name)
			defer db.Close()
			_, quoted := table(t, e, db)
			ctx := context.Background()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			in := ferry.CheckInput{StagedRows: -1, Query: txQuerier{tx: tx, table: quoted, dialect: e.dialect}}
			verify := func(c ferry.Check) ferry.CheckResult {
				t.Helper()
				if err := c.Begin(arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "email", Type: arrow.BinaryTypes.String}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64}}, nil)); err != nil {
					t.Fatal(err)
				}
				return c.Verify(ctx, in)
			}
			cases := []struct {
				check  ferry.Check
				passed bool
				detail string
			}{
				{quality.Unique(quality.Blocking, "id"), true, "keys (id) unique in the destination (checked in SQL)"},
				// NULL emails are not duplicates; a@x is.
				{quality.Unique(quality.Blocking, "email"), false, "duplicate keys (email) in the destination: (a@x) × 2"},
				{quality.Unique(quality.Blocking, "email", "id"), true, "unique"},
				{quality.SQL(quality.Blocking, "no_negative", "SELECT id, amount FROM {table} WHERE amount < 0"), true, "returned no row"},
				{quality.SQL(quality.Blocking, "big", "SELECT id, email FROM {table} WHERE amount > 15 ORDER BY id"), false, "returned 4 rows, want none: (2, b@x), (3, a@x), (4, NULL), (5, NULL)"},
				{quality.SQL(quality.Blocking, "five", "SELECT id FROM {table} ORDER BY id"), false, "returned 5 rows, want none: (1), (2), (3), (4), (5)"},
				{quality.SQL(quality.Blocking, "many", "SELECT id FROM {table} UNION ALL SELECT id FROM {table}"), false, "returned 5+ rows"},
				{quality.SQL(quality.Blocking, "bad_sql", "SELECT nope FROM {table}"), false, "query failed"},
				{quality.SQL(quality.Blocking, "dialects", "SELECT 1 FROM {table} WHERE 1 = 0").
					ForDialect(ferry.EnginePostgreSQL, "SELECT id FROM {table} WHERE email ~ '^a'").
					ForDialect(ferry.EngineMySQL, "SELECT id FROM {table} WHERE email REGEXP '^a'"), false, "returned 2 rows"},
			}
			for _, c := range cases {
				r := verify(c.check)
				if r.Passed != c.passed || !strings.Contains(r.Detail, c.detail) {
					t.Errorf("%s: %+v, want passed=%v and %q", c.check.Name(), r, c.passed, c.detail)
				}
			}
			// The rules see the transaction's own writes, as inside a
			// commit: a negative amount inserted in tx fails no_negative.
			if _, err := tx.Exec("INSERT INTO " + quoted + " (id, email, amount) VALUES (1, 'z@x', -1)"); err != nil {
				t.Fatal(err)
			}
			if r := verify(quality.SQL(quality.Blocking, "no_negative", "SELECT id, amount FROM {table} WHERE amount < 0")); r.Passed || !strings.Contains(r.Detail, "(1, -1)") {
				t.Errorf("in-transaction row not seen: %+v", r)
			}
			if r := verify(quality.Unique(quality.Blocking, "id")); r.Passed || !strings.Contains(r.Detail, "(1) × 2") {
				t.Errorf("in-transaction duplicate not seen: %+v", r)
			}
		})
	}
}

// TestBlockingRuleKeepsOldRows runs a real overwrite into PostgreSQL and
// MariaDB with a blocking SQL rule that fails: the destination must keep
// its old rows (checked in SQL); then one that passes replaces them. It
// needs the writers' CheckedCommitter (being added in the writer packages).
func TestBlockingRuleKeepsOldRows(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db := testenv.Ping(t, e.driver, e.dsn(t), e.name)
			defer db.Close()
			name, quoted := table(t, e, db)
			ctx := context.Background()
			w, err := ferry.OpenWriter(ctx, e.writerURL(name))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := w.(ferry.CheckedCommitter); !ok {
				w.Close()
				t.Skipf("the %s writer is not a ferry.CheckedCommitter yet: SQL rules cannot run inside its commit, so this end-to-end test cannot run", e.name)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			newRows := func(amounts ...float64) *memreader.Reader {
				schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "email", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
				b := array.NewRecordBuilder(mem, schema)
				defer b.Release()
				for i, a := range amounts {
					b.Field(0).(*array.Int64Builder).Append(int64(100 + i))
					b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("n%d@x", i))
					b.Field(2).(*array.Float64Builder).Append(a)
				}
				rec := b.NewRecordBatch()
				defer rec.Release()
				return memreader.New([]arrow.RecordBatch{rec}, nil)
			}
			rule := func() []ferry.Check {
				return []ferry.Check{quality.SQL(quality.Blocking, "no_negative", "SELECT id, amount FROM {table} WHERE amount < 0"), quality.Unique(quality.Blocking, "id")}
			}
			_, err = ferry.New(newRows(1, -5, 3), w, &ferry.Options{Checks: rule(), Allocator: mem}).Run(ctx)
			if !errors.Is(err, ferry.ErrCheckFailed) {
				t.Fatalf("run with a negative amount: %v, want ErrCheckFailed", err)
			}
			var n, sum int64
			if err := db.QueryRow("SELECT COUNT(*), SUM(id) FROM "+quoted).Scan(&n, &sum); err != nil {
				t.Fatal(err)
			}
			if n != 5 || sum != 15 {
				t.Errorf("after the failed check the table has %d rows (sum of ids %d), want the 5 old ones (15)", n, sum)
			}
			w2, err := ferry.OpenWriter(ctx, e.writerURL(name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := ferry.New(newRows(1, 2), w2, &ferry.Options{Checks: rule(), Allocator: mem}).Run(ctx)
			if err != nil || !s.Checks[0].Passed {
				t.Fatalf("passing run: %v %+v", err, s)
			}
			if err := db.QueryRow("SELECT COUNT(*), SUM(id) FROM "+quoted).Scan(&n, &sum); err != nil {
				t.Fatal(err)
			}
			if n != 2 || sum != 201 {
				t.Errorf("after the passing run the table has %d rows (sum %d), want 2 (201)", n, sum)
			}
		})
	}
}
