package sqlitewriter_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/sqlitereader"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// sqliteColumns are the standard columns SQLite holds exactly (see README.md
// for the others).
var sqliteColumns = []string{"i16", "i32", "i64", "u8", "u16", "u32", "dec", "dec256", "f32", "f64", "bin", "flag", "day", "tod", "ts", "tstz", "uid", "doc", "ints", "strs", "span", "vec"}

// dbPath returns the database file of dest within test t.
func dbPath(t *testing.T, dest string) string {
	t.Helper()
	return filepath.Join(testDir(t), dest+".db")
}

// dirtyBatch returns 40 rows of which three break the table's constraints:
// a str the harness's CHECK rejects and two repeated ids (PRIMARY KEY).
func dirtyBatch(t *testing.T, mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, []int) {
	base := connectortest.Batch(mem, schema, 40)
	defer base.Release()
	ids := array.NewInt64Builder(mem)
	defer ids.Release()
	bad := []int{5, 9, 20}
	for i := 0; i < 40; i++ {
		switch i {
		case 9:
			ids.Append(1)
		case 20:
			ids.Append(2)
		default:
			ids.Append(int64(i + 1))
		}
	}
	idArr := ids.NewArray()
	defer idArr.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for i := 0; i < 40; i++ {
		if i == 5 {
			sb.Append("reject me")
		} else {
			sb.Append("fine")
		}
	}
	strArr := sb.NewArray()
	defer strArr.Release()
	cols := append([]arrow.Array{idArr, strArr}, base.Columns()[2:]...)
	return array.NewRecordBatch(schema, cols, 40), bad
}

var dirs = map[*testing.T]string{}

func testDir(t *testing.T) string {
	if d, ok := dirs[t]; ok {
		return d
	}
	d := t.TempDir()
	dirs[t] = d
	t.Cleanup(func() { delete(dirs, t) })
	return d
}

// createTable creates table t of schema in path (with key id) if missing.
func createTable(t *testing.T, path string, schema *arrow.Schema) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 't'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		return
	}
	ddl, err := sqlitewriter.CreateTableSQL("t", schema, []string{"id"})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) == "dirty.db" {
		ddl = ddl[:len(ddl)-1] + ", CONSTRAINT no_reject CHECK (str IS NULL OR str <> 'reject me'))"
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
}

// readTable reads every row of table t of path, ordered by id, as one batch.
func readTable(t *testing.T, ctx context.Context, path string, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: path, Table: "t", Allocator: mem})
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	defer r.Close()
	schema, _ := r.Schema(ctx)
	splits, err := r.Splits(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var parts []arrow.RecordBatch
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
			b := rr.RecordBatch()
			b.Retain()
			parts = append(parts, b)
		}
		if err := rr.Err(); err != nil {
			t.Fatal(err)
		}
		if d := rr.(ferry.DirtyReporter).TakeDirty(); len(d) > 0 {
			t.Fatalf("read back: dirty rows %v", d)
		}
		rr.Release()
	}
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, p := range parts {
		n += p.NumRows()
	}
	for c := range cols {
		if len(parts) == 0 {
			b := array.NewBuilder(mem, schema.Field(c).Type)
			cols[c] = b.NewArray()
			b.Release()
			continue
		}
		var arrs []arrow.Array
		for _, p := range parts {
			arrs = append(arrs, p.Column(c))
		}
		a, err := array.Concatenate(arrs, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = a
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	return out
}

func TestConformance(t *testing.T) {
	connectortest.RunWriterTests(t, connectortest.WriterHarness{
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			path := dbPath(t, dest)
			createTable(t, path, schema)
			w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: path, Table: "t", Mode: mode, Allocator: mem, BatchRows: 7})
			if err != nil {
				t.Fatal(err)
			}
			return w
		},
		ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
			return readTable(t, ctx, dbPath(t, dest), memory.DefaultAllocator)
		},
		Columns: sqliteColumns,
		Modes:   []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace},
		Dirty:   dirtyBatch,
	})
}
