package sqlitewriter_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// run writes the batches through one Writer with cfg and commits (or aborts
// when abort is set); it returns the first Write error.
func run(t *testing.T, cfg sqlitewriter.Config, schema *arrow.Schema, abort bool, batches ...arrow.RecordBatch) error {
	t.Helper()
	ctx := context.Background()
	w, err := sqlitewriter.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Prepare(ctx, schema); err != nil {
		w.Abort(ctx, err)
		return err
	}
	bw, err := w.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for _, b := range batches {
		if err := bw.Write(ctx, b); err != nil && werr == nil {
			werr = err
		}
	}
	bw.Close(ctx)
	if abort {
		return w.Abort(ctx, nil)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return werr
}

func query(t *testing.T, path, q string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		var parts []string
		for _, v := range vals {
			switch v := v.(type) {
			case nil:
				parts = append(parts, "NULL")
			case []byte:
				parts = append(parts, string(v))
			default:
				parts = append(parts, strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " ")))
			}
		}
		out = append(out, strings.Join(parts, ","))
	}
	return strings.Join(out, ";")
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strings.TrimSpace(strings.Repeat(" ", 0) + itoa(v))
	case float64:
		return ftoa(v)
	}
	return "?"
}

func itoa(v int64) string { return formatInt(v) }

func TestPartitionOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	schema := arrow.NewSchema([]arrow.Field{{Name: "day", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	mk := func(day string, ns ...int64) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for _, n := range ns {
			b.Field(0).(*array.StringBuilder).Append(day)
			b.Field(1).(*array.Int64Builder).Append(n)
		}
		return b.NewRecordBatch()
	}
	d1, d2, d2b := mk("d1", 1, 2), mk("d2", 3, 4), mk("d2", 5)
	defer d1.Release()
	defer d2.Release()
	defer d2b.Release()
	cfg := sqlitewriter.Config{Path: path, Table: "facts"}
	if err := run(t, cfg, schema, false, d1, d2); err != nil {
		t.Fatal(err)
	}
	cfg.Mode, cfg.Partition = ferry.ModePartitionOverwrite, "day = 'd2'"
	for range 2 { // a rerun gives the same table
		if err := run(t, cfg, schema, false, d2b); err != nil {
			t.Fatal(err)
		}
		if got := query(t, path, "SELECT day, n FROM facts ORDER BY n"); got != "d1,1;d1,2;d2,5" {
			t.Errorf("after partition-overwrite: %s", got)
		}
	}
	// Aborted: the partition keeps its rows.
	if err := run(t, cfg, schema, true, d2); err != nil {
		t.Fatal(err)
	}
	if got := query(t, path, "SELECT day, n FROM facts ORDER BY n"); got != "d1,1;d1,2;d2,5" {
		t.Errorf("after aborted partition-overwrite: %s", got)
	}
}

// Upsert with the key from the config on a table the writer creates; the
// rerun gives the same table. A created table disappears on Abort.
func TestUpsertCreatesAndAbortDropsTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u.db")
	schema := connectortest.Schema([]string{"i64", "dec", "ts"})
	data := connectortest.Batch(memory.DefaultAllocator, schema, 50)
	defer data.Release()
	cfg := sqlitewriter.Config{Path: path, Table: "t", Mode: ferry.ModeUpsert, Key: []string{"id"}}
	if err := run(t, sqlitewriter.Config{Path: path, Table: "gone"}, schema, true, data); err != nil {
		t.Fatal(err)
	}
	if got := query(t, path, "SELECT count(*) FROM sqlite_schema WHERE name = 'gone'"); got != "0" {
		t.Errorf("aborted run left its created table: %s", got)
	}
	for range 2 {
		if err := run(t, cfg, schema, false, data); err != nil {
			t.Fatal(err)
		}
		if got := query(t, path, "SELECT count(*), sum(id) FROM t"); got != "50,1275" {
			t.Errorf("after upsert: %s", got)
		}
	}
	ddl := query(t, path, "SELECT sql FROM sqlite_schema WHERE name = 't'")
	if !strings.Contains(ddl, `"dec" DECIMAL TEXT(38,10)`) || !strings.Contains(ddl, `PRIMARY KEY ("id")`) {
		t.Errorf("DDL %s", ddl)
	}
	// Exact text storage of decimals and timestamps, NaN kept as text.
	if got := query(t, path, "SELECT dec, typeof(dec), ts || '' FROM t WHERE id IN (1, 2, 5) ORDER BY id"); got != "-9999999999999999999999999999.9999999999,text,0001-01-01 00:00:00.000000;9999999999999999999999999999.9999999999,text,9999-12-31 23:59:59.999999;-4.1250000000,text,2024-03-10 02:30:04.000004" {
		t.Errorf("stored values: %s", got)
	}
}

func TestDirtyUint64AndNaN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	schema := arrow.NewSchema([]arrow.Field{{Name: "u", Type: arrow.PrimitiveTypes.Uint64}, {Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, u := range []uint64{1, math.MaxUint64, 3, math.MaxInt64} {
		b.Field(0).(*array.Uint64Builder).Append(u)
		b.Field(1).(*array.Float64Builder).Append([]float64{math.NaN(), math.Inf(1), math.Inf(-1), 0.5}[i])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	err := run(t, sqlitewriter.Config{Path: path, Table: "t"}, schema, false, rec)
	rows := dirty.Rows(err)
	if len(rows) != 1 || rows[0].Row != 1 || rows[0].Column != "u" {
		t.Fatalf("err %v, want row 1 column u dirty", err)
	}
	if got := query(t, path, "SELECT u, f, typeof(f) FROM t ORDER BY u"); got != "1,NaN,text;3,-Inf,real;9223372036854775807,0.5,real" {
		t.Errorf("stored %s", got)
	}
}

func TestNotADatabase(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.db")
	b := make([]byte, 8192)
	rand.Read(b)
	os.WriteFile(junk, b, 0o644)
	schema := connectortest.Schema([]string{})
	err := run(t, sqlitewriter.Config{Path: junk, Table: "t"}, schema, false)
	if err == nil || !strings.Contains(err.Error(), junk) || !strings.Contains(err.Error(), "not a database") {
		t.Errorf("got %v, want an error naming %s", err, junk)
	}
	after, _ := os.ReadFile(junk)
	if string(after) != string(b) {
		t.Error("the writer changed the file")
	}
}

func TestPrepareErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.db")
	schema := connectortest.Schema([]string{"i32"})
	for _, tc := range []struct {
		name string
		cfg  sqlitewriter.Config
		sch  *arrow.Schema
		want string
	}{
		{"no table", sqlitewriter.Config{Path: path, Table: "missing", NoCreate: true}, schema, "does not exist"},
		{"upsert without key", sqlitewriter.Config{Path: path, Table: "nokey", Mode: ferry.ModeUpsert}, schema, "upsert needs a key"},
		{"unsupported type", sqlitewriter.Config{Path: path, Table: "x"}, arrow.NewSchema([]arrow.Field{{Name: "pt", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64})}}, nil), "column pt: Arrow type struct<x: int64> is not supported"},
		{"unsupported list", sqlitewriter.Config{Path: path, Table: "x"}, arrow.NewSchema([]arrow.Field{{Name: "bins", Type: arrow.ListOf(arrow.BinaryTypes.Binary)}}, nil), "column bins: lists of binary are not supported"},
		{"missing column", sqlitewriter.Config{Path: path, Table: "narrow", NoCreate: true}, schema, `no column "str"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "missing column" {
				db, _ := sql.Open("sqlite", path)
				db.Exec(`CREATE TABLE narrow (id INTEGER, i32 INT)`)
				db.Close()
			}
			err := run(t, tc.cfg, tc.sch, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	cfg, err := sqlitewriter.ParseConfig("sqlite:///data/out.db?table=orders&mode=upsert&key=id,%20day&batchRows=100&create=false&preSql=DELETE%20FROM%20log%3B%20VACUUM&postSql=ANALYZE")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "/data/out.db" || cfg.Table != "orders" || cfg.Mode != ferry.ModeUpsert || strings.Join(cfg.Key, "|") != "id|day" ||
		cfg.BatchRows != 100 || !cfg.NoCreate || strings.Join(cfg.PreSQL, "|") != "DELETE FROM log|VACUUM" || strings.Join(cfg.PostSQL, "|") != "ANALYZE" {
		t.Errorf("got %+v", cfg)
	}
	for url, want := range map[string]string{
		"sqlite:///x.db?table=t&mode=merge":               "unknown write mode",
		"sqlite:///x.db?table=t&mode=partition-overwrite": "needs a partition predicate",
		"sqlite:///x.db?table=t&partition=a%3D1":          "partition applies to mode partition-overwrite",
		"sqlite:///x.db":                                  "table is required",
		"sqlite:///x.db?table=t&create=maybe":             "not a boolean",
		"sqlite:///x.db?table=t&where=x":                  "unknown URL parameter where",
		"postgres:///x.db?table=t":                        "not sqlite",
	} {
		if _, err := sqlitewriter.ParseConfig(url); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", url, err, want)
		}
	}
}

func TestUpsertKeyWithoutUniqueIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	db, _ := sql.Open("sqlite", path)
	db.Exec(`CREATE TABLE t (id INTEGER, str TEXT)`)
	db.Close()
	schema := connectortest.Schema([]string{})
	err := run(t, sqlitewriter.Config{Path: path, Table: "t", Mode: ferry.ModeUpsert, Key: []string{"id"}}, schema, false)
	if err == nil || !strings.Contains(err.Error(), "upsert: no PRIMARY KEY or UNIQUE index on (id): create one") {
		t.Errorf("got %v, want the ON CONFLICT error from Prepare", err)
	}
}

// Source and destination in the same file: the readers read the source
// table while the writer's transaction fills another (WAL).
func TestSameFileCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "same.db")
	schema := connectortest.Schema(sqliteColumns)
	data := connectortest.Batch(memory.DefaultAllocator, schema, 3000)
	defer data.Release()
	if err := run(t, sqlitewriter.Config{Path: path, Table: "src", Key: []string{"id"}}, schema, false, data); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := ferry.OpenReader(ctx, "sqlite://"+path+"?table=src&batchRows=500")
	if err != nil {
		t.Fatal(err)
	}
	w, err := ferry.OpenWriter(ctx, "sqlite://"+path+"?table=dst&key=id")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 3}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsWritten != 3000 {
		t.Errorf("wrote %d rows", sum.RowsWritten)
	}
	if q := query(t, path, `SELECT count(*) FROM src JOIN dst USING (id) WHERE src.str IS dst.str AND src.dec IS dst.dec AND src.ts IS dst.ts AND src.bin IS dst.bin AND src.doc IS dst.doc AND src.vec IS dst.vec`); q != "3000" {
		t.Errorf("%s of 3000 rows identical", q)
	}
}

// A run into a database file that did not exist leaves no file when it is
// aborted, and a durable one when it commits.
func TestFreshFile(t *testing.T) {
	dir := t.TempDir()
	schema := connectortest.Schema([]string{"i64"})
	data := connectortest.Batch(memory.DefaultAllocator, schema, 100)
	defer data.Release()
	gone := filepath.Join(dir, "gone.db")
	if err := run(t, sqlitewriter.Config{Path: gone, Table: "t"}, schema, true, data); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("aborted run into a new file left %v", entries)
	}
	kept := filepath.Join(dir, "kept.db")
	if err := run(t, sqlitewriter.Config{Path: kept, Table: "t"}, schema, false, data); err != nil {
		t.Fatal(err)
	}
	if got := query(t, kept, "SELECT count(*) FROM t"); got != "100" {
		t.Errorf("committed run into a new file: %s rows", got)
	}
}

// Nanosecond timestamps and times keep their nanoseconds.
func TestNanoseconds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ns.db")
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "tod", Type: arrow.FixedWidthTypes.Time64ns},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(1)
	b.Field(1).(*array.TimestampBuilder).Append(-1) // 1969-12-31 23:59:59.999999999
	b.Field(2).(*array.Time64Builder).Append(86399999999999)
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := run(t, sqlitewriter.Config{Path: path, Table: "t"}, schema, false, rec); err != nil {
		t.Fatal(err)
	}
	if got := query(t, path, "SELECT ts || '', tod FROM t"); got != "1969-12-31 23:59:59.999999999,23:59:59.999999999" {
		t.Errorf("stored %s", got)
	}
	ctx := context.Background()
	r, err := ferry.OpenReader(ctx, "sqlite://"+path+"?table=t")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, _ := r.Schema(ctx)
	if !arrow.TypeEqual(s.Field(1).Type, schema.Field(1).Type) || !arrow.TypeEqual(s.Field(2).Type, schema.Field(2).Type) {
		t.Fatalf("read back as %s", s)
	}
	splits, _ := r.Splits(ctx, 1)
	rr, err := r.Read(ctx, splits[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	if !rr.Next() || rr.RecordBatch().Column(1).(*array.Timestamp).Value(0) != -1 || rr.RecordBatch().Column(2).(*array.Time64).Value(0) != 86399999999999 {
		t.Errorf("read back %v (err %v)", rr.RecordBatch(), rr.Err())
	}
}

// TestDirtyRowsInGroups: a BatchWriter formats up to 32 statements and
// runs them in one turn of the lock; a statement that fails to format (a
// uint64 above int64) or to run (NOT NULL) anywhere in a group has its
// rows isolated, and the statements before and after it are written once.
func TestDirtyRowsInGroups(t *testing.T) {
	const n = 500
	for _, tc := range []struct {
		name      string
		batchRows int
		bad       map[int]string // row → column that makes it dirty
	}{
		{"clean", 3, nil},
		{"first and last rows", 3, map[int]string{0: "u", n - 1: "s"}},
		{"group edges", 3, map[int]string{95: "s", 96: "u", 191: "u", 192: "s", 287: "s"}},
		{"every 7th row", 3, func() map[int]string {
			m := map[int]string{}
			for i := 0; i < n; i += 7 {
				m[i] = []string{"u", "s"}[i%2]
			}
			return m
		}()},
		{"one row per statement", 1, map[int]string{10: "s", 11: "u", 40: "s"}},
		{"one statement", 1000, map[int]string{250: "u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "g.db")
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "id", Type: arrow.PrimitiveTypes.Int64},
				{Name: "u", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
				{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
			}, nil)
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			b := array.NewRecordBuilder(mem, schema)
			wantSum := int64(0)
			for i := 0; i < n; i++ {
				b.Field(0).(*array.Int64Builder).Append(int64(i))
				if tc.bad[i] == "u" {
					b.Field(1).(*array.Uint64Builder).Append(math.MaxUint64)
				} else {
					b.Field(1).(*array.Uint64Builder).Append(uint64(i))
				}
				if tc.bad[i] == "s" {
					b.Field(2).AppendNull()
				} else {
					b.Field(2).(*array.StringBuilder).Append("row " + itoa(int64(i)))
				}
				if tc.bad[i] == "" {
					wantSum += int64(i)
				}
			}
			rec := b.NewRecordBatch()
			b.Release()
			defer rec.Release()
			cfg := sqlitewriter.Config{Path: path, Table: "t", BatchRows: tc.batchRows,
				PreSQL: []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, s TEXT NOT NULL)"}}
			err := run(t, cfg, schema, false, rec)
			rows := dirty.Rows(err)
			if err != nil && rows == nil {
				t.Fatal(err)
			}
			got := map[int]string{}
			for _, r := range rows {
				got[int(r.Row)] = r.Column
			}
			if len(got) != len(tc.bad) || len(rows) != len(tc.bad) {
				t.Errorf("dirty rows %v, want %v", got, tc.bad)
			}
			for i, c := range tc.bad {
				if got[i] != c {
					t.Errorf("row %d: dirty column %q, want %q", i, got[i], c)
				}
			}
			want := itoa(int64(n-len(tc.bad))) + "," + itoa(wantSum) + "," + itoa(int64(n-len(tc.bad)))
			if q := query(t, path, "SELECT count(*), sum(id), sum(u = id AND s = 'row ' || id) FROM t"); q != want {
				t.Errorf("table: %s, want %s", q, want)
			}
		})
	}
}
