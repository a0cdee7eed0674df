package sqlitewriter_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// injectionPayloads are names that broke or tried to break out of an
// identifier. Each is used as a real table, column and key name, so a writer
// that quotes right writes into it, and one that pastes it runs the payload.
var injectionPayloads = []string{
	`x (x int); DROP TABLE victim; CREATE TABLE IF NOT EXISTS "y"`,
	`t"; DROP TABLE victim; --`,
	`t" ; DROP TABLE victim; SELECT "`,
	"t`; DROP TABLE victim; -- ",
	`t]; DROP TABLE victim; --`,
	`'); DROP TABLE victim; --`,
	`a.b`, `""`, `名前 🚀`,
}

func sqlQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func payloadBatch(name string, n int) (*arrow.Schema, arrow.RecordBatch) {
	schema := arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.PrimitiveTypes.Int64}, {Name: name + "2", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 1; i <= n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprint("v", i))
	}
	return schema, b.NewRecordBatch()
}

func victimAlive(t *testing.T, path string) {
	t.Helper()
	if got := query(t, path, "SELECT count(*) FROM victim WHERE v = 42"); got != "1" {
		t.Fatalf("victim table: %q", got)
	}
}

// Every payload as the table (created, then written again in each mode),
// the columns, the upsert key and the created table's primary key, by Config
// and by URL: the rows land in the payload-named table and the victim table
// survives. A partition predicate that stacks a statement is refused.
func TestInjectionWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inj.db")
	db, _ := sql.Open("sqlite", path)
	db.Exec(`CREATE TABLE victim (v INTEGER)`)
	db.Exec(`INSERT INTO victim VALUES (42)`)
	db.Close()
	for i, p := range injectionPayloads {
		schema, rec := payloadBatch(p, 5)
		table := p
		if strings.ContainsAny(p, `".`) {
			table = sqlQuote(p) // the way a user names such a table
		}
		for _, mode := range []ferry.WriteMode{ferry.ModeInsert, ferry.ModeUpsert, ferry.ModeReplace, ferry.ModeOverwrite, ferry.ModePartitionOverwrite} {
			cfg := sqlitewriter.Config{Path: path, Table: table, Mode: mode, Key: []string{p}}
			if mode == ferry.ModePartitionOverwrite {
				cfg.Partition = sqlQuote(p) + " > 0"
			}
			if err := run(t, cfg, schema, false, rec); err != nil && mode != ferry.ModeInsert {
				t.Fatalf("payload %d %q mode %s: %v", i, p, mode, err)
			}
		}
		// By URL too.
		v := url.Values{"table": {table}, "mode": {"upsert"}}
		if !strings.Contains(p, ",") && strings.TrimSpace(p) == p {
			v.Set("key", p)
		}
		w, err := ferry.OpenWriter(ctx, "sqlite://"+path+"?"+v.Encode())
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		if err := w.Prepare(ctx, schema); err != nil {
			t.Fatalf("payload %d by URL: %v", i, err)
		}
		w.Abort(ctx, nil)
		w.Close()
		rec.Release()
		if got := query(t, path, fmt.Sprintf("SELECT count(*), sum(%s) FROM %s", sqlQuote(p), sqlQuote(p))); got != "5,15" {
			t.Errorf("payload %d %q: table holds %s, want 5 rows", i, p, got)
		}
		ddl := query(t, path, "SELECT sql FROM sqlite_schema WHERE name = '"+strings.ReplaceAll(p, "'", "''")+"'")
		if !strings.Contains(ddl, "PRIMARY KEY ("+sqlQuote(p)+")") {
			t.Errorf("payload %d: created %s", i, ddl)
		}
		victimAlive(t, path)
	}
	for _, part := range []string{"1=1); DROP TABLE victim; --", "id > 0; DROP TABLE victim", "id > 0 -- x", "id = 'open"} {
		_, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: path, Table: "victim", Mode: ferry.ModePartitionOverwrite, Partition: part})
		if err == nil || !strings.Contains(err.Error(), "partition: ") {
			t.Errorf("partition %q: got %v, want it refused", part, err)
		}
		_, err = ferry.OpenWriter(ctx, "sqlite://"+path+"?"+url.Values{"table": {"victim"}, "mode": {"partition-overwrite"}, "partition": {part}}.Encode())
		if err == nil || !strings.Contains(err.Error(), "partition: ") {
			t.Errorf("partition %q by URL: got %v, want it refused", part, err)
		}
	}
	// A column named with a NUL byte cannot be quoted: refused at Prepare.
	bad := arrow.NewSchema([]arrow.Field{{Name: "a\x00b", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if err := run(t, sqlitewriter.Config{Path: path, Table: "nul"}, bad, false); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("NUL column: %v", err)
	}
	victimAlive(t, path)
}

// Partition-overwrite refuses rows outside the partition (the run fails,
// nothing is committed) instead of inserting them, so a rerun never doubles
// rows: 2000 rows of 1000 ids, half of them in another partition. A rowid
// table (trigger) and a WITHOUT ROWID table (count at Commit).
func TestPartitionOverwriteRefusesOutsideRows(t *testing.T) {
	for _, ddl := range []string{
		`CREATE TABLE facts (id INTEGER, day TEXT, v TEXT)`,
		`CREATE TABLE facts (id INTEGER, day TEXT, v TEXT, PRIMARY KEY (id, day)) WITHOUT ROWID`,
	} {
		path := filepath.Join(t.TempDir(), "p.db")
		db, _ := sql.Open("sqlite", path)
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		db.Exec(`INSERT INTO facts VALUES (1, 'd0', 'kept')`)
		db.Close()
		schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "day", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
		mk := func(outside bool) arrow.RecordBatch {
			b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			defer b.Release()
			for i := 1; i <= 1000; i++ {
				for _, day := range []string{"d1", "d2"} {
					if day == "d2" && !outside {
						day = "d1"
					}
					b.Field(0).(*array.Int64Builder).Append(int64(i))
					b.Field(1).(*array.StringBuilder).Append(day)
					b.Field(2).(*array.StringBuilder).Append("x")
				}
			}
			return b.NewRecordBatch()
		}
		mixed := mk(true)
		cfg := sqlitewriter.Config{Path: path, Table: "facts", Mode: ferry.ModePartitionOverwrite, Partition: "day = 'd1'"}
		for range 2 {
			err := runErr(t, cfg, schema, mixed)
			if err == nil || !strings.Contains(err.Error(), "outside the partition (day = 'd1')") {
				t.Errorf("%s: got %v, want the run refused", ddl, err)
			}
			if got := query(t, path, "SELECT count(*) FROM facts"); got != "1" {
				t.Errorf("%s: after a refused run the table has %s rows, want 1", ddl, got)
			}
		}
		mixed.Release()
		if strings.Contains(ddl, "WITHOUT") {
			continue // 2000 rows for 1000 (id, day) keys: a key conflict, not this test
		}
		good := mk(false)
		for range 2 {
			if err := runErr(t, cfg, schema, good); err != nil {
				t.Fatal(err)
			}
			if got := query(t, path, "SELECT count(*), sum(day = 'd1') FROM facts"); got != "2001,2000" {
				t.Errorf("after partition-overwrite: %s, want 2001 rows, 2000 of d1", got)
			}
		}
		good.Release()
	}
}

// runErr is run returning the first error of Prepare, Write or Commit.
func runErr(t *testing.T, cfg sqlitewriter.Config, schema *arrow.Schema, batches ...arrow.RecordBatch) error {
	t.Helper()
	ctx := context.Background()
	w, err := sqlitewriter.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Prepare(ctx, schema); err != nil {
		return err
	}
	bw, err := w.Open(ctx)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if err := bw.Write(ctx, b); err != nil {
			w.Abort(ctx, err)
			return err
		}
	}
	if err := bw.Close(ctx); err != nil {
		return err
	}
	if err := w.Commit(ctx); err != nil {
		w.Abort(ctx, err)
		return err
	}
	return nil
}

// Errors at Prepare that used to surface late or hide their reason.
func TestPrepareRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	db, _ := sql.Open("sqlite", path)
	for _, s := range []string{
		`CREATE TABLE req (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL DEFAULT 'now', note TEXT NOT NULL)`,
		`CREATE TABLE nokey (id INTEGER, v TEXT)`,
		`CREATE TABLE uniq (id INTEGER, v TEXT)`, `CREATE UNIQUE INDEX uniq_id ON uniq (id)`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	idv := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	idName := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	for _, tc := range []struct {
		name   string
		cfg    sqlitewriter.Config
		schema *arrow.Schema
		want   string
	}{
		{"directory", sqlitewriter.Config{Path: dir, Table: "t"}, idv, dir + " is a directory, not a database file"},
		{"missing parent", sqlitewriter.Config{Path: filepath.Join(dir, "no", "x.db"), Table: "t"}, idv, "no such file or directory"},
		{"NOT NULL without default", sqlitewriter.Config{Path: path, Table: "req"}, idName, "column(s) note TEXT NOT NULL have no default and the source has no such column"},
		{"missing table", sqlitewriter.Config{Path: path, Table: "absent", NoCreate: true}, idv, `create it first, in preSql or beforehand, or drop create=false to let the writer run: CREATE TABLE "main"."absent" ("id" INTEGER NOT NULL, "v" TEXT NOT NULL)`},
		{"upsert without unique key", sqlitewriter.Config{Path: path, Table: "nokey", Mode: ferry.ModeUpsert, Key: []string{"id"}}, idv, "upsert: no PRIMARY KEY or UNIQUE index on (id)"},
		{"upsert key not in source", sqlitewriter.Config{Path: path, Table: "uniq", Mode: ferry.ModeUpsert, Key: []string{"v2"}}, idv, `upsert key column "v2" is not a column of the source`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, tc.cfg, tc.schema)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	// A unique index (not the primary key) is a valid upsert key.
	if err := runErr(t, sqlitewriter.Config{Path: path, Table: "uniq", Mode: ferry.ModeUpsert, Key: []string{"id"}}, idv, idvBatch(t, idv)); err != nil {
		t.Errorf("upsert on a unique index: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("refused runs left %v", entries)
	}
}

func idvBatch(t *testing.T, schema *arrow.Schema) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 1}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "b", "c"}, nil)
	rec := b.NewRecordBatch()
	t.Cleanup(rec.Release)
	return rec
}

// create=true keeps the declared types the source kept in metadata, from any
// engine: lengths, CHAR, jsonb, NOT NULL, the primary key; SQLite types
// verbatim where they keep the values exactly.
func TestCreateFromMetadata(t *testing.T) {
	meta := func(kv ...string) arrow.Metadata {
		var k, v []string
		for i := 0; i < len(kv); i += 2 {
			k, v = append(k, kv[i]), append(v, kv[i+1])
		}
		return arrow.NewMetadata(k, v)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: meta(ferry.MetaSourceType, "bigint", ferry.MetaSourceEngine, ferry.EnginePostgreSQL, ferry.MetaNotNull, "true", ferry.MetaPrimaryKey, "1")},
		{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: meta(ferry.MetaSourceType, "character varying(16)", ferry.MetaSourceEngine, ferry.EnginePostgreSQL, ferry.MetaCharLength, "16")},
		{Name: "cc", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: meta(ferry.MetaSourceType, "char(2)", ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaCharLength, "2", ferry.MetaNotNull, "true")},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true, Metadata: meta(ferry.MetaSourceType, "numeric(10,2)", ferry.MetaSourceEngine, ferry.EnginePostgreSQL)},
		{Name: "lite", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: meta(ferry.MetaSourceType, "NVARCHAR(40)", ferry.MetaSourceEngine, ferry.EngineSQLite)},
		{Name: "litedec", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true, Metadata: meta(ferry.MetaSourceType, "DECIMAL(12,2)", ferry.MetaSourceEngine, ferry.EngineSQLite)},
		{Name: "evil", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: meta(ferry.MetaSourceType, "INT); DROP TABLE victim; --", ferry.MetaSourceEngine, ferry.EngineSQLite)},
		{Name: "id2", Type: arrow.PrimitiveTypes.Int32, Nullable: true, Metadata: meta(ferry.MetaSourceType, "int", ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaPrimaryKey, "2")},
	}, nil)
	got, err := sqlitewriter.CreateTableSQL("t", schema, ferry.PrimaryKey(schema))
	if err != nil {
		t.Fatal(err)
	}
	want := `CREATE TABLE "t" ("id" INTEGER NOT NULL, "code" VARCHAR(16), "cc" CHAR(2) NOT NULL, "amount" DECIMAL TEXT(10,2), "lite" NVARCHAR(40), "litedec" DECIMAL TEXT(12,2), "evil" INTEGER, "id2" INT32, PRIMARY KEY ("id", "id2"))`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The writer uses it, with the primary key from the metadata.
	path := filepath.Join(t.TempDir(), "c.db")
	if err := run(t, sqlitewriter.Config{Path: path, Table: "t"}, schema, false); err != nil {
		t.Fatal(err)
	}
	if ddl := query(t, path, "SELECT sql FROM sqlite_schema WHERE name = 't'"); ddl != want {
		t.Errorf("created %s", ddl)
	}
}

// Values larger than the statement's C buffer (64 KiB) and statements whose
// values together outgrow it several times are bound exactly.
func TestLargeValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.db")
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}, {Name: "b", Type: arrow.BinaryTypes.Binary}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	var sum int
	for i := 0; i < 300; i++ {
		n := 1000 + i*37
		if i == 7 {
			n = 3 << 20
		}
		sum += n + 2*(n/2)
		bld.Field(0).(*array.Int64Builder).Append(int64(i))
		bld.Field(1).(*array.StringBuilder).Append(strings.Repeat(string(rune('a'+i%26)), n))
		bld.Field(2).(*array.BinaryBuilder).Append([]byte(strings.Repeat("\x00\xff", n/2)))
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	if err := run(t, sqlitewriter.Config{Path: path, Table: "t", BatchRows: 256}, schema, false, rec); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(300, ",", sum, ",", 0)
	got := query(t, path, "SELECT count(*), sum(length(s)) + sum(length(b)), sum(s <> substr(printf('%.*c', length(s), char(97 + id % 26)), 1)) FROM t")
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// Two runs into the same new file: the first commit wins, the second is an
// error that says why, and neither leaves a temp file.
func TestConcurrentNewFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "race.db")
	schema, rec := payloadBatch("id", 3)
	defer rec.Release()
	var ws []*sqlitewriter.Writer
	for range 2 {
		w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: path, Table: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Prepare(ctx, schema); err != nil {
			t.Fatal(err)
		}
		bw, _ := w.Open(ctx)
		if err := bw.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	if err := ws[0].Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err := ws[1].Commit(ctx)
	if err == nil || !strings.Contains(err.Error(), "appeared during the run") {
		t.Errorf("second commit: %v", err)
	}
	ws[1].Abort(ctx, err)
	for _, w := range ws {
		w.Close()
	}
	if got := query(t, path, "SELECT count(*) FROM t"); got != "3" {
		t.Errorf("destination has %s rows", got)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("left %v", left)
	}
}
