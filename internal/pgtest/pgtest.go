// Package pgtest holds the PostgreSQL test helpers shared by the pgreader
// and pgwriter tests: tables unique to a test, the standard columns' types,
// and reading a table back through pgreader.
package pgtest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// Types are the PostgreSQL types of the standard conformance columns.
var Types = map[string]string{
	"id": "bigint", "str": "text", "i16": "smallint", "i32": "integer", "i64": "bigint",
	"u8": "smallint", "u16": "integer", "u32": "bigint", "u64": "numeric(20,0)",
	"dec": "numeric(38,10)", "dec256": "numeric(65,30)", "f32": "real", "f64": "double precision",
	"bin": "bytea", "flag": "boolean", "day": "date", "tod": "time", "ts": "timestamp", "tstz": "timestamptz",
	"uid": "uuid", "doc": "json", "ints": "bigint[]", "strs": "text[]", "span": "interval", "vec": "real[]",
}

// ReadTypes are the Arrow types pgreader returns where they differ from the
// standard ones (PostgreSQL has no unsigned or fixed-size list types).
var ReadTypes = map[string]arrow.DataType{
	"u8": arrow.PrimitiveTypes.Int16, "u16": arrow.PrimitiveTypes.Int32, "u32": arrow.PrimitiveTypes.Int64,
	"u64": &arrow.Decimal128Type{Precision: 20, Scale: 0}, "vec": arrow.ListOf(arrow.PrimitiveTypes.Float32),
}

// Connect connects to the test server, or skips (fails under FERRY_REQUIRE_DB=1).
func Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TableName returns a table name unique to t and dest, dropped at cleanup.
func TableName(t testing.TB, dest string) string {
	h := sha1.Sum([]byte(t.Name() + "/" + dest))
	name := "ferry_t_" + hex.EncodeToString(h[:6])
	c := Connect(t)
	if err := DropWithStages(context.Background(), c, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c2, err := pgx.Connect(context.Background(), testenv.PostgresURL())
		if err == nil {
			// a failed test may leave a writer's transaction open on the table
			c2.Exec(context.Background(), "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = to_regclass($1) AND pid <> pg_backend_pid()", name)
			DropWithStages(context.Background(), c2, name)
			c2.Close(context.Background())
		}
	})
	return name
}

// DropWithStages drops table name (unqualified, in the search path) and the
// pgwriter stages (name_ferry_*) left beside it.
func DropWithStages(ctx context.Context, c *pgx.Conn, name string) error {
	rows, err := c.Query(ctx, `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND c.relname LIKE replace($1, '_', '\_') || '\_ferry\_%' AND n.nspname = current_schema()`, name)
	if err != nil {
		return err
	}
	stages, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, s := range append(stages, pgx.Identifier{name}.Sanitize()) {
		if _, err := c.Exec(ctx, "DROP TABLE IF EXISTS "+s); err != nil {
			return err
		}
	}
	return nil
}

// CreateTable creates name with the standard columns of schema (id primary key).
func CreateTable(t testing.TB, name string, schema *arrow.Schema, extra string) {
	t.Helper()
	var cols []string
	for _, f := range schema.Fields() {
		typ, ok := Types[f.Name]
		if !ok {
			t.Fatalf("no PostgreSQL type for %s", f.Name)
		}
		c := `"` + f.Name + `" ` + typ
		if f.Name == "id" {
			c += " PRIMARY KEY"
		}
		cols = append(cols, c)
	}
	if extra != "" {
		cols = append(cols, extra)
	}
	if _, err := Connect(t).Exec(context.Background(), "CREATE TABLE "+name+" ("+strings.Join(cols, ", ")+")"); err != nil {
		t.Fatal(err)
	}
}

// DSN returns the test server's URL with params appended.
func DSN(params string) string {
	u := testenv.PostgresURL()
	if strings.Contains(u, "?") {
		return u + "&" + params
	}
	return u + "?" + params
}

// ReadBack reads table ordered by id through pgreader.
func ReadBack(t testing.TB, table string, schema *arrow.Schema) arrow.RecordBatch {
	t.Helper()
	ctx := context.Background()
	var cols []string
	for _, f := range schema.Fields() {
		cols = append(cols, `"`+f.Name+`"`)
	}
	cfg := pgreader.Config{ConnString: ConnString(), QuerySQL: "SELECT " + strings.Join(cols, ", ") + " FROM " + table + " ORDER BY id"}
	r, err := pgreader.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("read back %s: %v", table, err)
	}
	defer r.Close()
	sc, _ := r.Schema(ctx)
	splits, err := r.Splits(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := r.Read(ctx, splits[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var parts []arrow.RecordBatch
	for rr.Next() {
		b := rr.RecordBatch()
		b.Retain()
		parts = append(parts, b)
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("read back %s: %v", table, err)
	}
	out := ConcatBatches(t, sc, parts)
	for _, p := range parts {
		p.Release()
	}
	return out
}

// ConcatBatches concatenates parts into one batch of sc.
func ConcatBatches(t testing.TB, sc *arrow.Schema, parts []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	return connectortest.Concat(t, sc, parts)
}

// ConnString is the test server's connection string without Ferry parameters.
func ConnString() string { return testenv.PostgresURL() }

// NewWriter opens a pgwriter into table.
func NewWriter(t testing.TB, table string, mode ferry.WriteMode, mem memory.Allocator) *pgwriter.Writer {
	t.Helper()
	w, err := pgwriter.New(pgwriter.Config{ConnString: ConnString(), Table: table, Mode: mode, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	return w
}
