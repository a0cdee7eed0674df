package pgwriter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

func exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := connect(t).Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := connect(t).QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// sameRows fails unless a and b hold the same rows, compared by their full
// text form with EXCEPT both ways (and by count, for duplicates).
func sameRows(t testing.TB, a, b string) {
	t.Helper()
	for _, p := range [][2]string{{a, b}, {b, a}} {
		if n := count(t, "SELECT count(*) FROM (SELECT ferry_a::text FROM "+p[0]+" ferry_a EXCEPT ALL SELECT ferry_b::text FROM "+p[1]+" ferry_b) d"); n != 0 {
			t.Errorf("%d row(s) of %s are not in %s", n, p[0], p[1])
		}
	}
}

// pipe copies src into dst (a pgwriter URL query) through the Pipeline.
func pipe(t testing.TB, ctx context.Context, src, dstParams string, workers int) (*ferry.Summary, error) {
	t.Helper()
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src})
	if err != nil {
		return nil, err
	}
	wc, err := pgwriter.ParseConfig(dsn(dstParams))
	if err != nil {
		r.Close()
		return nil, err
	}
	w, err := pgwriter.New(wc)
	if err != nil {
		r.Close()
		return nil, err
	}
	return ferry.New(r, w, &ferry.Options{Concurrency: workers}).Run(ctx)
}

// TestRoundTripEveryType copies a table holding every PostgreSQL type Ferry
// carries, with extremes and NULLs, PG→PG and compares all rows exactly.
func TestRoundTripEveryType(t *testing.T) {
	ctx := context.Background()
	src, dst := tableName(t, "src"), tableName(t, "dst")
	exec(t, "DROP TYPE IF EXISTS ferry_mood CASCADE")
	exec(t, "CREATE TYPE ferry_mood AS ENUM ('sad', 'ok', 'happy')")
	exec(t, "DROP DOMAIN IF EXISTS ferry_posint CASCADE")
	exec(t, "CREATE DOMAIN ferry_posint AS integer CHECK (VALUE > 0)")
	t.Cleanup(func() {
		c := connect(t)
		c.Exec(ctx, "DROP TABLE IF EXISTS "+src+", "+dst)
		c.Exec(ctx, "DROP TYPE IF EXISTS ferry_mood CASCADE")
		c.Exec(ctx, "DROP DOMAIN IF EXISTS ferry_posint CASCADE")
	})
	exec(t, `CREATE TABLE `+src+` (
		id bigint PRIMARY KEY, i2 smallint, i4 integer, i8 bigint,
		n122 numeric(12,2), n380 numeric(38,10), n76 numeric(76,20), nfree numeric,
		f4 real, f8 double precision, t text, vc varchar(10), ch char(5), nm name, "char" "char",
		by bytea, b boolean, d date, tm time, ts timestamp, tstz timestamptz, iv interval,
		u uuid, j json, jb jsonb, x xml, mood ferry_mood, pos ferry_posint,
		ai int[], at text[], an numeric(10,3)[], ats timestamptz[], ab bool[], au uuid[], amood ferry_mood[], af8 float8[], ajb jsonb[])`)
	exec(t, `INSERT INTO `+src+` VALUES
		(1, -32768, -2147483648, -9223372036854775808, -9999999999.99, -9999999999999999999999999999.9999999999,
		 -99999999999999999999999999999999999999999999999999999999.99999999999999999999, 'NaN',
		 '-Infinity', '-1.7976931348623157e308', '', '', '', '', 'a',
		 '\x', false, '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '-178000000 years',
		 '00000000-0000-0000-0000-000000000000', '{}', '{}', '<a/>', 'sad', 1,
		 '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
		(2, 32767, 2147483647, 9223372036854775807, 9999999999.99, 9999999999999999999999999999.9999999999,
		 99999999999999999999999999999999999999999999999999999999.99999999999999999999, '-123456789012345678901234567890.000000000000000000000000000000001',
		 'Infinity', '1.7976931348623157e308', E'tab\there\nnewline "q" ''s'' \\ back 日本 😀', 'abcdefghij', 'ab', 'some_name', 'z',
		 '\xdeadbeef00ff', true, '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '1 year 2 mons 3 days 04:05:06.789012',
		 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"b": 1,  "a": [1, 2.50, "x"]}', '{"b": 1, "a": [1, 2.50, "x"]}', '<r><c>1</c></r>', 'happy', 2147483647,
		 '{1,NULL,-3}', '{"a,b",NULL,"","\"q\""}', '{1.5,-2.125,NULL}', '{"2020-01-01 00:00:00.000001+00",NULL}', '{t,f,NULL}',
		 '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{ok,sad}', '{NaN,Infinity,-0.5}', '{"{\"k\": 1}",null}'),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(4, 0, 0, 0, 0, 0.0000000001, 1e-20, '0.000', 'NaN', 'NaN', 'x', 'x', 'x', 'x', 'x', '\x00', true,
		 '2000-01-01', '12:00', '1999-12-31 23:59:59.999999', '2000-01-01 00:00:00.000001+00', '-1 days -00:00:00.000001',
		 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'null', '"s"', NULL, 'ok', 5,
		 '{0}', '{""}', '{0.001}', '{}', '{}', '{}', '{}', '{-0}', '{}')`)
	exec(t, "INSERT INTO "+src+" (id, i4, t, nfree, ts) SELECT g, g, repeat('x', g % 100), g * 1.5, '2024-01-01'::timestamp + g * interval '1 second' FROM generate_series(100, 20000) g")
	exec(t, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)")

	// the schema and its metadata
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := r.Schema(ctx)
	r.Close()
	want := map[string]string{
		"n122": "decimal(12, 2)", "n380": "decimal(38, 10)", "n76": "decimal256(76, 20)", "nfree": "utf8",
		"mood": "utf8", "pos": "int32", "u": "extension<arrow.uuid>", "j": "extension<arrow.json[storage_type=utf8]>", "jb": "extension<arrow.json[storage_type=utf8]>",
		"iv": "month_day_nano_interval", "tstz": "timestamp[us, tz=UTC]", "ts": "timestamp[us]", "d": "date32", "tm": "time64[us]",
		"ai": "list<item: int32, nullable>", "amood": "list<item: utf8, nullable>",
	}
	for name, typ := range want {
		f, ok := sc.FieldsByName(name)
		if !ok {
			t.Fatalf("no field %s", name)
		}
		if got := f[0].Type.String(); got != typ {
			t.Errorf("field %s: type %s, want %s", name, got, typ)
		}
	}
	if f, _ := sc.FieldsByName("n122"); f[0].Metadata.FindKey("ferry.source_type") < 0 || f[0].Metadata.Values()[f[0].Metadata.FindKey("ferry.source_type")] != "numeric(12,2)" {
		t.Errorf("n122 metadata %v, want ferry.source_type=numeric(12,2)", f[0].Metadata)
	}
	if f, _ := sc.FieldsByName("nfree"); f[0].Metadata.FindKey("ferry.encoding") < 0 {
		t.Errorf("nfree metadata %v, want ferry.encoding", f[0].Metadata)
	}

	for _, tc := range []struct {
		workers int
		params  string
	}{{1, ""}, {3, ""}, {3, "&conns=1"}} {
		workers := tc.workers
		exec(t, "TRUNCATE "+dst)
		sum, err := pipe(t, ctx, src, "table="+dst+tc.params, workers)
		if err != nil {
			t.Fatalf("%d workers: %v", workers, err)
		}
		if n := count(t, "SELECT count(*) FROM "+src); sum.RowsWritten != n {
			t.Errorf("%d workers: wrote %d rows, want %d", workers, sum.RowsWritten, n)
		}
		sameRows(t, src, dst)
		if t.Failed() {
			rows, _ := connect(t).Query(ctx, "SELECT 'only in source: ' || z FROM (SELECT ferry_a::text FROM "+src+" ferry_a EXCEPT ALL SELECT ferry_b::text FROM "+dst+" ferry_b) d(z) ORDER BY 1 LIMIT 3")
			for rows.Next() {
				var a string
				if err := rows.Scan(&a); err != nil {
					t.Log(err)
				}
				t.Log(a)
			}
			rows.Close()
			t.FailNow()
		}
	}
}

// TestUnsupported checks the clear errors for what Ferry cannot carry.
func TestUnsupported(t *testing.T) {
	ctx := context.Background()
	src := tableName(t, "src")
	exec(t, "CREATE TABLE "+src+" (id int PRIMARY KEY, p point, d date, ts timestamptz)")
	_, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src})
	if err == nil || !strings.Contains(err.Error(), `"p"`) || !strings.Contains(err.Error(), "point") {
		t.Errorf("point column: %v, want an error naming column p and its type", err)
	}
	exec(t, "INSERT INTO "+src+" VALUES (1, NULL, 'infinity', '2020-01-01'), (2, NULL, '2020-01-01', '-infinity')")
	for _, col := range []string{"d", "ts"} {
		r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src, Columns: []string{"id", col}})
		if err != nil {
			t.Fatal(err)
		}
		sp, _ := r.Splits(ctx, 1)
		rr, err := r.Read(ctx, sp[0])
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
		}
		if err := rr.Err(); err == nil || !strings.Contains(err.Error(), `column "`+col+`"`) || !strings.Contains(err.Error(), "infinity") {
			t.Errorf("infinite %s: %v, want an error naming the column", col, err)
		}
		rr.Release()
		r.Close()
	}
}

func oldRows(t *testing.T, table string) {
	exec(t, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, str text, biz_date text)")
	exec(t, "INSERT INTO "+table+" SELECT g, 'old', '2025072' || (g % 3) FROM generate_series(1, 1000) g")
}

func batch(mem memory.Allocator, ids []int64, str string, biz string) arrow.RecordBatch {
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "str", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "biz_date", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for _, id := range ids {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append(str)
		b.Field(2).(*array.StringBuilder).Append(biz)
	}
	return b.NewRecordBatch()
}

func seq(lo, hi int64) []int64 {
	var s []int64
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// TestOverwriteKilled kills the writer's backends mid-load: the old rows
// stay, untouched, and Abort drops the staging table (over a new connection).
func TestOverwriteKilled(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	oldRows(t, tbl)
	exec(t, "CREATE TABLE "+tbl+"_before AS SELECT * FROM "+tbl)
	t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+tbl+"_before") })

	wc, err := pgwriter.ParseConfig(dsn("table=" + tbl + "&mode=overwrite&application_name=ferry_kill_test"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := pgwriter.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b1 := batch(mem, seq(1, 5000), "new", "20250726")
	defer b1.Release()
	if err := w.Prepare(ctx, b1.Schema()); err != nil {
		t.Fatal(err)
	}
	bw, err := w.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Write(ctx, b1); err != nil {
		t.Fatal(err)
	}
	// kill every connection of the writer (worker and admin)
	if n := count(t, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'ferry_kill_test'"); n != 2 {
		t.Fatalf("terminated %d backends, want the worker's and the writer's", n)
	}
	b2 := batch(mem, seq(5000, 6000), "new", "20250726")
	defer b2.Release()
	err = bw.Write(ctx, b2)
	if err == nil {
		t.Fatal("Write on a killed connection succeeded")
	}
	// The staged rows so far are committed in the staging table and b2 never
	// reached the server: the error is retryable and the retry reconnects.
	if !ferry.IsRetryable(err) {
		t.Errorf("Write after losing the connection between batches: %v, want retryable", err)
	} else if err := bw.Write(ctx, b2); err != nil {
		t.Errorf("retried Write: %v", err)
	}
	bw.Close(ctx)
	if err := w.Abort(ctx, err); err != nil {
		t.Fatal(err)
	}
	sameRows(t, tbl, tbl+"_before")
	if n := count(t, "SELECT count(*) FROM pg_class WHERE relname LIKE $1 AND relkind = 'r'", tbl+"\\_ferry\\_%"); n != 0 {
		t.Errorf("%d staging tables left", n)
	}
}

// TestOverwriteAbortAndCommit: the old rows stay readable during the load
// and after Abort; Commit replaces them.
func TestOverwriteAbortAndCommit(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	oldRows(t, tbl)
	src := tableName(t, "src")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text, biz_date text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new', '20250726' FROM generate_series(1, 50000) g")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := pipe(t, cctx, src, "table="+tbl+"&mode=overwrite", 2); err == nil {
		t.Fatal("cancelled run succeeded")
	}
	if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'old'"); n != 1000 {
		t.Fatalf("after a cancelled overwrite %d old rows, want 1000", n)
	}
	if _, err := pipe(t, ctx, src, "table="+tbl+"&mode=overwrite", 2); err != nil {
		t.Fatal(err)
	}
	sameRows(t, tbl, src)
}

// TestUpsertRerun: an upsert rerun gives the same table; the last row for a
// key wins within a run.
func TestUpsertRerun(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	oldRows(t, tbl)
	src := tableName(t, "src")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text, biz_date text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new' || g, '20250726' FROM generate_series(500, 30000) g")
	for run := 0; run < 2; run++ {
		if _, err := pipe(t, ctx, src, "table="+tbl+"&mode=upsert", 2); err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			exec(t, "CREATE TABLE "+tbl+"_after1 AS SELECT * FROM "+tbl)
			t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+tbl+"_after1") })
		}
	}
	sameRows(t, tbl, tbl+"_after1")
	if n := count(t, "SELECT count(*) FROM "+tbl); n != 30000 {
		t.Errorf("%d rows, want 30000", n)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'old'"); n != 499 {
		t.Errorf("%d untouched old rows, want 499", n)
	}

	// last row wins within a run
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	w := newWriter(t, tbl, ferry.ModeUpsert, mem)
	defer w.Close()
	b1, b2 := batch(mem, []int64{7, 8}, "first", "x"), batch(mem, []int64{7}, "last", "x")
	defer b1.Release()
	defer b2.Release()
	if err := w.Prepare(ctx, b1.Schema()); err != nil {
		t.Fatal(err)
	}
	bw, _ := w.Open(ctx)
	if err := bw.Write(ctx, b1); err != nil {
		t.Fatal(err)
	}
	if err := bw.Write(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE (id = 7 AND str = 'last') OR (id = 8 AND str = 'first')"); n != 2 {
		t.Errorf("last row did not win: %d matching rows, want 2", n)
	}
}

// TestPartitionOverwriteRerun: rerunning one day gives the same table and
// leaves the other days alone.
func TestPartitionOverwriteRerun(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	oldRows(t, tbl) // biz_date 20250720..20250722
	exec(t, "INSERT INTO "+tbl+" SELECT g, 'old day', '20250726' FROM generate_series(2001, 2500) g")
	src := tableName(t, "src")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text, biz_date text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new day', '20250726' FROM generate_series(3001, 9000) g")
	params := "table=" + tbl + "&mode=partition-overwrite&partition=" + strings.ReplaceAll("biz_date = '20250726'", " ", "%20") +
		"&postSql=" + "ANALYZE%20" + tbl
	for run := 0; run < 2; run++ {
		if _, err := pipe(t, ctx, src, params, 2); err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			exec(t, "CREATE TABLE "+tbl+"_after1 AS SELECT * FROM "+tbl)
			t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+tbl+"_after1") })
		}
	}
	sameRows(t, tbl, tbl+"_after1")
	if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE biz_date = '20250726'"); n != 6000 {
		t.Errorf("%d rows of the day, want 6000", n)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'old'"); n != 1000 {
		t.Errorf("%d rows of other days, want 1000", n)
	}
	// new rows outside the partition are refused (a rerun would duplicate them)
	exec(t, "UPDATE "+src+" SET biz_date = '20250727' WHERE id = 3001")
	if _, err := pipe(t, ctx, src, params, 1); err == nil || !strings.Contains(err.Error(), "do not match partition") {
		t.Errorf("rows outside the partition: %v", err)
	}
	sameRows(t, tbl, tbl+"_after1")
}

// TestDirtyReasons: rows the server or the encoder rejects are isolated with
// their reason and column; the others land.
func TestDirtyReasons(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (id smallint PRIMARY KEY, str text NOT NULL, biz_date varchar(8))")
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "str", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "biz_date", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for i := int64(0); i < 1000; i++ {
		id, str, biz := i, "ok", "20250726"
		switch i {
		case 100:
			id = 70000 // out of range for smallint: rejected by the encoder
		case 200:
			str = "" // NULL below
		case 300:
			biz = "too long for varchar(8)"
		}
		b.Field(0).(*array.Int64Builder).Append(id)
		if i == 200 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(str)
		}
		b.Field(2).(*array.StringBuilder).Append(biz)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	w := newWriter(t, tbl, ferry.ModeInsert, mem)
	defer w.Close()
	if err := w.Prepare(ctx, sc); err != nil {
		t.Fatal(err)
	}
	bw, _ := w.Open(ctx)
	err := bw.Write(ctx, rec)
	var re *dirty.RowErrors
	if !errors.As(err, &re) {
		t.Fatalf("Write: %v, want *dirty.RowErrors", err)
	}
	got := map[int64]dirty.RowError{}
	for _, r := range re.Rows {
		got[r.Row] = r
	}
	for row, want := range map[int64][2]string{100: {"id", "out of range"}, 200: {"str", "not-null"}, 300: {"", "too long"}} {
		r, ok := got[row]
		if !ok {
			t.Errorf("row %d not reported (got %v)", row, re.Rows)
			continue
		}
		if r.Column != want[0] || !strings.Contains(r.Err.Error(), want[1]) {
			t.Errorf("row %d: column %q, %v; want column %q and %q", row, r.Column, r.Err, want[0], want[1])
		}
	}
	if len(re.Rows) != 3 {
		t.Errorf("%d dirty rows, want 3", len(re.Rows))
	}
	if err := bw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl); n != 997 {
		t.Errorf("%d rows landed, want 997", n)
	}
}

// TestMissingColumn: a batch column the table lacks is an error naming it.
func TestMissingColumn(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (id bigint PRIMARY KEY, str text)")
	b := batch(memory.DefaultAllocator, []int64{1}, "x", "y")
	defer b.Release()
	w := newWriter(t, tbl, ferry.ModeInsert, nil)
	defer w.Close()
	if err := w.Prepare(ctx, b.Schema()); err == nil || !strings.Contains(err.Error(), "biz_date") {
		t.Errorf("Prepare: %v, want an error naming biz_date", err)
	}
}

// TestCreateAndURL creates the table from the schema through a URL opened
// by the registry, with preSql and postSql.
func TestCreateAndURL(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	src := tableName(t, "src")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text, biz_date text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'x', 'y' FROM generate_series(1, 100) g")
	r, err := ferry.DefaultURLMux().OpenReader(ctx, dsn("table="+src))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ferry.DefaultURLMux().OpenWriter(ctx, dsn("table="+tbl+"&create=true&key=id&preSql=SELECT%201%3BSELECT%202&postSql=DELETE%20FROM%20"+tbl+"%20WHERE%20id%20=%201"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ferry.New(r, w, nil).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl); n != 99 {
		t.Errorf("%d rows, want 99", n)
	}
	if _, err := pgwriter.ParseConfig("postgres://u:secret@h/db?table=t&mode=bogus"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := pgwriter.ParseConfig("postgres://u@h/db?table=t&mode=partition-overwrite"); err == nil {
		t.Error("partition-overwrite without partition accepted")
	}
}

// TestInsertKilled: in insert mode a lost connection takes the worker's
// transaction with it, so the error is not retryable, and the target keeps
// its old rows.
func TestInsertKilled(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	oldRows(t, tbl)
	wc, err := pgwriter.ParseConfig(dsn("table=" + tbl + "&application_name=ferry_kill_insert"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := pgwriter.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b1 := batch(mem, seq(5001, 9000), "new", "x")
	defer b1.Release()
	if err := w.Prepare(ctx, b1.Schema()); err != nil {
		t.Fatal(err)
	}
	bw, _ := w.Open(ctx)
	if err := bw.Write(ctx, b1); err != nil {
		t.Fatal(err)
	}
	count(t, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'ferry_kill_insert'")
	err = bw.Write(ctx, b1)
	if err == nil || ferry.IsRetryable(err) {
		t.Errorf("Write after the worker's transaction was lost: %v, want a fatal error", err)
	}
	if err := w.Abort(ctx, err); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl); n != 1000 {
		t.Errorf("%d rows after the killed insert, want the old 1000", n)
	}
}
