package mysqlwriter_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// injectionPayloads are names an attacker would put in a URL. Each names
// the victim table, so a payload that ran would drop it.
func injectionPayloads(victim string) []string {
	return []string{
		"t`; DROP TABLE " + victim + "; --",
		"x (x int); DROP TABLE " + victim,
		"x` (x int); DROP TABLE " + victim + "; CREATE TABLE `y",
		"`a`.`b`; DROP TABLE " + victim,
		"a'; DROP TABLE " + victim + "; --",
		"x\\`; DROP TABLE " + victim + "; --",
		"id`) VALUES (1); DROP TABLE " + victim + "; --",
		"test.`" + victim + "` WHERE 1=0; DROP TABLE " + victim,
		"``; DROP TABLE " + victim,
	}
}

func victimAlive(t *testing.T, db *sql.DB, victim string) {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+victim).Scan(&n), "victim dropped")
	require.Equal(t, 3, n)
}

// TestInjection sends every payload through table, key, partition, create
// and the field names of a created table: the victim survives, and a
// payload is either refused or taken as one literal name.
func TestInjection(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	victim := uniqueName("ferry_wvictim")
	_, err := db.Exec("CREATE TABLE " + victim + " (id INT) SELECT seq AS id FROM seq_1_to_3")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + victim) })
	target := create(t, ctx, "(id INT PRIMARY KEY, v VARCHAR(10))")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	b := batchOf(mem, schema, 2)
	defer b.Release()

	try := func(urlstr string, sch *arrow.Schema, batch arrow.RecordBatch) {
		cfg, err := mysqlwriter.ParseConfig(urlstr)
		if err != nil {
			return
		}
		w, err := mysqlwriter.Open(ctx, cfg)
		if err != nil {
			return
		}
		defer w.Close()
		if err := w.Prepare(ctx, sch); err != nil {
			return
		}
		bw, err := w.Open(ctx)
		if err == nil {
			bw.Write(ctx, batch)
			bw.Close(ctx)
		}
		if err := w.Commit(ctx); err != nil {
			w.Abort(ctx, err)
		}
	}
	for _, p := range injectionPayloads(victim) {
		q := url.QueryEscape(p)
		try(base+"?table="+q, schema, b)
		try(base+"?table="+q+"&create=true", schema, b)
		try(base+"?table="+target+"&mode=upsert&key="+q, schema, b)
		try(base+"?table="+target+"&mode=partition-overwrite&partition="+url.QueryEscape("1=1; DROP TABLE "+victim), schema, b)
		// a field name is a created column's name
		evil := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: p, Type: arrow.BinaryTypes.String}}, nil)
		eb := array.NewRecordBatch(evil, b.Columns(), b.NumRows())
		created := uniqueName("ferry_wcreated")
		try(base+"?table="+created+"&create=true&key=id", evil, eb)
		eb.Release()
		db.Exec("DROP TABLE IF EXISTS " + created)
		db.Exec("DROP TABLE IF EXISTS `" + strings.ReplaceAll(p, "`", "``") + "`")
		victimAlive(t, db, victim)
	}
	// A payload in a created table is one literal name.
	p := "x (x int); DROP TABLE " + victim
	try(base+"?table="+url.QueryEscape(p)+"&create=true", schema, b)
	require.Equal(t, []string{"2"}, query(t, "SELECT COUNT(*) FROM `"+p+"`"))
	db.Exec("DROP TABLE IF EXISTS `" + p + "`")
	victimAlive(t, db, victim)
}

// TestQuotedTableNames: "db.table" and backquoted parts with dots inside
// name the table they say.
func TestQuotedTableNames(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := uniqueName("ferry_wdot") + ".x"
	_, err := db.Exec("CREATE TABLE `" + name + "` (id INT PRIMARY KEY, v VARCHAR(10))")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS `" + name + "`") })
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	b := batchOf(mem, schema, 3)
	defer b.Release()
	var dbname string
	require.NoError(t, db.QueryRow("SELECT DATABASE()").Scan(&dbname))
	for _, tbl := range []string{"`" + name + "`", "`" + dbname + "`.`" + name + "`", dbname + ".`" + name + "`"} {
		_, err := run(t, ctx, base+"?mode=overwrite&table="+url.QueryEscape(tbl), b)
		require.NoError(t, err, tbl)
		require.Equal(t, []string{"3"}, query(t, "SELECT COUNT(*) FROM `"+name+"`"), tbl)
	}
	_, err = mysqlwriter.ParseConfig(base + "?table=" + url.QueryEscape("a.b.c"))
	require.ErrorContains(t, err, "at most 2")
	_, err = mysqlwriter.ParseConfig(base + "?table=" + url.QueryEscape("`unterminated"))
	require.ErrorContains(t, err, "unterminated")
}

func batchOf(mem memory.Allocator, schema *arrow.Schema, n int) arrow.RecordBatch {
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i := 0; i < n; i++ {
		rb.Field(0).(*array.Int32Builder).Append(int32(i + 1))
		rb.Field(1).(*array.StringBuilder).Append("v")
	}
	return rb.NewRecordBatch()
}

// TestMalformedURLPairs: a pair with a bad escape (in preSql too) is an
// error naming the parameter, never dropped.
func TestMalformedURLPairs(t *testing.T) {
	for _, bad := range []string{
		"mysql://u:s3cret@h/db?table=t&preSql=DELETE+FROM+t+WHERE+id%3C3%ZZ",
		"mysql://u:s3cret@h/db?table=t&postSql=x%ZZ",
		"mysql://u:s3cret@h/db?table=t&bogus=1;2",
		"mysql://u:s3cret@h/db?table=t&key=%",
	} {
		_, err := mysqlwriter.ParseConfig(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "s3cret")
	}
	cfg, err := mysqlwriter.ParseConfig("mysql://h/db?table=t&preSql=SET+%40a%3D1&preSql=SET+%40b%3D2&timeout=2s&readTimeout=5s&writeTimeout=6s&tls=false&charset=utf8mb4")
	require.NoError(t, err)
	require.Equal(t, []string{"SET @a=1", "SET @b=2"}, cfg.PreSQL)
	require.Equal(t, "2s 5s 6s", cfg.Conn.Timeout.String()+" "+cfg.Conn.ReadTimeout.String()+" "+cfg.Conn.WriteTimeout.String())
	cfg, err = mysqlwriter.ParseConfig("mysql://h/db?table=t")
	require.NoError(t, err)
	require.Equal(t, "30s", cfg.Conn.Timeout.String(), "the default connect timeout")
}

// TestPrepareChecks: what would fail row by row or only at Commit fails in
// Prepare, saying why.
func TestPrepareChecks(t *testing.T) {
	_, base := testDB(t)
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	keyed := create(t, ctx, "(id INT PRIMARY KEY, v VARCHAR(10))")
	keyless := create(t, ctx, "(id INT, v VARCHAR(10))")
	required := create(t, ctx, "(id INT PRIMARY KEY, v VARCHAR(10), must INT NOT NULL, fine INT NOT NULL DEFAULT 0, auto_ok INT)")
	for _, c := range []struct{ url, want string }{
		{"?table=" + keyed + "&mode=upsert&key=nosuch", `key column "nosuch" is not a field`},
		{"?table=" + keyless + "&mode=upsert&key=id", "needs a primary or unique key"},
		{"?table=" + required, "column must of " + required + " is NOT NULL without a default"},
		{"?table=" + uniqueName("ferry_wmissing"), "set create=true to create it from the source's schema, or create it yourself: CREATE TABLE"},
	} {
		w := openWriter(t, ctx, base+c.url)
		err := w.Prepare(ctx, schema)
		require.ErrorContains(t, err, c.want, c.url)
		require.NoError(t, w.Close())
	}
	_, err := mysqlwriter.ParseConfig(base + "?table=t&mode=upsert&key=")
	require.NoError(t, err) // no key: MySQL matches by the table's own keys
	_, err = mysqlwriter.ParseConfig(base + "?table=t&mode=upsert&key=,")
	require.ErrorContains(t, err, "empty")
}

// TestPartitionRefusesOutsideRows: rows outside the partition fail the run
// and change nothing; a rerun never doubles rows (2000 rows, 1000 ids).
func TestPartitionRefusesOutsideRows(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	src := create(t, ctx, "(id INT, day CHAR(8))")
	_, err := db.Exec("INSERT INTO " + src + " SELECT seq, IF(seq % 2 = 0, '20240101', '20240102') FROM seq_1_to_1000 UNION ALL SELECT seq, '20240102' FROM seq_1_to_1000")
	require.NoError(t, err)
	dst := create(t, ctx, "(id INT, day CHAR(8))")
	_, err = db.Exec("INSERT INTO " + dst + " VALUES (7, '20240101'), (8, '20240103')")
	require.NoError(t, err)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "day", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	rows, err := db.Query("SELECT id, day FROM " + src)
	require.NoError(t, err)
	for rows.Next() {
		var id int32
		var day string
		require.NoError(t, rows.Scan(&id, &day))
		rb.Field(0).(*array.Int32Builder).Append(id)
		rb.Field(1).(*array.StringBuilder).Append(day)
	}
	rows.Close()
	b := rb.NewRecordBatch()
	rb.Release()
	defer b.Release()
	require.EqualValues(t, 2000, b.NumRows())
	for range 2 {
		w := openWriter(t, ctx, base+"?table="+dst+"&mode=partition-overwrite&partition="+url.QueryEscape("day = '20240101'"))
		require.NoError(t, w.Prepare(ctx, schema))
		bw, err := w.Open(ctx)
		require.NoError(t, err)
		require.NoError(t, bw.Write(ctx, b))
		require.NoError(t, bw.Close(ctx))
		err = w.Commit(ctx)
		require.ErrorContains(t, err, "1500 rows are outside partition")
		require.NoError(t, w.Abort(ctx, err))
		require.NoError(t, w.Close())
		require.Equal(t, []string{"7|20240101", "8|20240103"}, query(t, "SELECT id, day FROM "+dst+" ORDER BY id"))
	}
	// Only rows of the partition: replaced, and a rerun leaves the same.
	for range 2 {
		inside := filterDay(t, mem, b, "20240101")
		_, err := run(t, ctx, base+"?table="+dst+"&mode=partition-overwrite&partition="+url.QueryEscape("day = '20240101'"), inside)
		inside.Release()
		require.NoError(t, err)
		require.Equal(t, []string{"500|1", "8|20240103"}, query(t, "SELECT COUNT(*), MIN(day = '20240101') FROM "+dst+" WHERE day = '20240101' UNION ALL SELECT id, day FROM "+dst+" WHERE day <> '20240101'"))
	}
}

func filterDay(t *testing.T, mem memory.Allocator, b arrow.RecordBatch, day string) arrow.RecordBatch {
	rb := array.NewRecordBuilder(mem, b.Schema())
	defer rb.Release()
	ids, days := b.Column(0).(*array.Int32), b.Column(1).(*array.String)
	for i := 0; i < int(b.NumRows()); i++ {
		if days.Value(i) == day {
			rb.Field(0).(*array.Int32Builder).Append(ids.Value(i))
			rb.Field(1).(*array.StringBuilder).Append(day)
		}
	}
	return rb.NewRecordBatch()
}

// TestInsertInvisibleUntilCommit: with two BatchWriters (workers), nothing
// of the run is visible before the single Commit, and an Abort after both
// closed leaves the target as it was.
func TestInsertInvisibleUntilCommit(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	dst := create(t, ctx, "(id INT PRIMARY KEY, v VARCHAR(10))")
	_, err := db.Exec("INSERT INTO " + dst + " VALUES (100, 'old')")
	require.NoError(t, err)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	b1 := batchOf(mem, schema, 5)
	defer b1.Release()
	b2 := b1.NewSlice(0, 5)
	defer b2.Release()
	for _, commit := range []bool{false, true} {
		w := openWriter(t, ctx, base+"?table="+dst)
		require.NoError(t, w.Prepare(ctx, schema))
		bw1, err := w.Open(ctx)
		require.NoError(t, err)
		bw2, err := w.Open(ctx)
		require.NoError(t, err)
		s1, s2 := b1.NewSlice(0, 3), b2.NewSlice(3, 5)
		require.NoError(t, bw1.Write(ctx, s1))
		require.NoError(t, bw2.Write(ctx, s2))
		s1.Release()
		s2.Release()
		require.NoError(t, bw1.Close(ctx))
		require.Equal(t, []string{"1"}, query(t, "SELECT COUNT(*) FROM "+dst), "after the first worker closed")
		require.NoError(t, bw2.Close(ctx))
		require.Equal(t, []string{"1"}, query(t, "SELECT COUNT(*) FROM "+dst), "after both closed")
		if commit {
			require.NoError(t, w.Commit(ctx))
			require.Equal(t, []string{"6"}, query(t, "SELECT COUNT(*) FROM "+dst))
		} else {
			require.NoError(t, w.Abort(ctx, errors.New("test")))
			require.Equal(t, []string{"1"}, query(t, "SELECT COUNT(*) FROM "+dst))
		}
		run := w.RunID()
		require.NoError(t, w.Close())
		require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_ferry\\_"+run+"\\_%'"), "stage of run %s left", run)
	}
}
