package sqlitereader_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/sqlitereader"
)

// exec runs statements on a new or existing database file.
func exec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// readAll reads every split of r and returns the rows as text (via
// ValueStr) and the dirty rows.
func readAll(t *testing.T, r ferry.Reader, hint int) ([][]string, []dirty.RowError) {
	t.Helper()
	ctx := context.Background()
	splits, err := r.Splits(ctx, hint)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	var bad []dirty.RowError
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
			b := rr.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				var row []string
				for c := 0; c < int(b.NumCols()); c++ {
					if b.Column(c).IsNull(i) {
						row = append(row, "NULL")
					} else {
						row = append(row, b.Column(c).ValueStr(i))
					}
				}
				rows = append(rows, row)
			}
			bad = append(bad, rr.(ferry.DirtyReporter).TakeDirty()...)
		}
		if err := rr.Err(); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, rr.(ferry.DirtyReporter).TakeDirty()...)
		rr.Release()
	}
	return rows, bad
}

func open(t *testing.T, cfg sqlitereader.Config) (*sqlitereader.Reader, *memory.CheckedAllocator) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	cfg.Allocator = mem
	r, err := sqlitereader.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		mem.AssertSize(t, 0)
	})
	return r, mem
}

// A value that does not fit its declared type makes its row dirty, named by
// rowid and column, and the other rows are read.
func TestDirtyValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	exec(t, path,
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER, price DECIMAL(10,2), at DATETIME, paid BOOLEAN, small SMALLINT, note TEXT)`,
		`INSERT INTO orders VALUES (1, 3, '9.99', '2024-06-01 12:00:00.123456', 1, 7, 'ok')`,
		`INSERT INTO orders VALUES (2, 'abc', '1.00', '2024-06-01 12:00:00', 0, 7, 'text in INTEGER')`,
		`INSERT INTO orders VALUES (3, 4, '1.001', '2024-06-01 12:00:00', 0, 7, 'too many decimals')`,
		`INSERT INTO orders VALUES (4, 5, '2.50', 'yesterday', 0, 7, 'not a timestamp')`,
		`INSERT INTO orders VALUES (5, 6, '3.50', NULL, 2, 7, 'boolean 2')`,
		`INSERT INTO orders VALUES (6, 7, '4.50', NULL, NULL, 40000, 'smallint overflow')`,
		`INSERT INTO orders VALUES (7, 1.5, '4.50', NULL, NULL, NULL, 'REAL in INTEGER')`,
		`INSERT INTO orders VALUES (8, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`INSERT INTO orders VALUES (9, '12', 7, '2024-06-01', 'true', -1, '')`,
	)
	r, _ := open(t, sqlitereader.Config{Path: path, Table: "orders", BatchRows: 2})
	rows, bad := readAll(t, r, 3)
	var ids []string
	for _, row := range rows {
		ids = append(ids, row[0])
	}
	if got := strings.Join(ids, ","); got != "1,8,9" {
		t.Errorf("good rows %s, want 1,8,9", got)
	}
	want := map[int64]string{2: "qty", 3: "price", 4: "at", 5: "paid", 6: "small", 7: "qty"}
	if len(bad) != len(want) {
		t.Errorf("dirty rows %v, want rowids/columns %v", bad, want)
	}
	for _, e := range bad {
		if want[e.Row] != e.Column || e.Err == nil || e.Value == nil {
			t.Errorf("dirty row %d column %s value %v: %v; want column %s", e.Row, e.Column, e.Value, e.Err, want[e.Row])
		}
	}
	// Row 1 keeps microseconds, row 9 gets exact conversions.
	if rows[0][3] != "2024-06-01T12:00:00.123456" {
		t.Errorf("timestamp %s", rows[0][3])
	}
	if strings.Join(rows[2], "|") != "9|12|7|2024-06-01T00:00:00|true|-1|" {
		t.Errorf("row 9: %v", rows[2])
	}
}

func TestNotADatabase(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	b := make([]byte, 8192)
	rand.Read(b)
	if err := os.WriteFile(junk, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := sqlitereader.Open(context.Background(), sqlitereader.Config{Path: junk, Table: "t"})
	if err == nil || !strings.Contains(err.Error(), junk) || !strings.Contains(err.Error(), "not a database") {
		t.Errorf("random bytes: %v, want an error naming %s and saying it is not a database", err, junk)
	}
	missing := filepath.Join(dir, "missing.db")
	_, err = sqlitereader.Open(context.Background(), sqlitereader.Config{Path: missing, Table: "t"})
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the reader created %s", missing)
	}
	empty := filepath.Join(dir, "empty.db")
	exec(t, empty, `CREATE TABLE other (x)`)
	_, err = sqlitereader.Open(context.Background(), sqlitereader.Config{Path: empty, Table: "orders"})
	if err == nil || !strings.Contains(err.Error(), `no table or view named "orders"`) {
		t.Errorf("missing table: %v", err)
	}
	_, err = sqlitereader.Open(context.Background(), sqlitereader.Config{Path: empty, Table: "other", Columns: []string{"y"}})
	if err == nil || !strings.Contains(err.Error(), `no column "y"`) {
		t.Errorf("missing column: %v", err)
	}
}

func TestQueryWhereColumnsViews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	exec(t, path,
		`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, at DATETIME, amount DECIMAL(8,3))`,
		`INSERT INTO t VALUES (1, 'a', '2024-01-01 00:00:00.5', '1.5'), (2, 'b', NULL, '-2'), (3, 'c', '2024-01-03 10:00:00', NULL)`,
		`CREATE VIEW v AS SELECT id, upper(name) AS up FROM t`,
		`CREATE TABLE nr (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID`,
		`INSERT INTO nr VALUES ('x', 1), ('y', 2)`,
	)
	for _, tc := range []struct {
		name       string
		cfg        sqlitereader.Config
		want       string
		wantSplits int
	}{
		{"where+columns", sqlitereader.Config{Table: "t", Columns: []string{"amount", "id"}, Where: "id >= 2"}, "-2,2;NULL,3", -1},
		{"query", sqlitereader.Config{QuerySQL: "SELECT id, at, amount * 2 AS twice FROM t ORDER BY id DESC"}, "3,2024-01-03T10:00:00,NULL;2,NULL,-4;1,2024-01-01T00:00:00.5,3", 1},
		{"view", sqlitereader.Config{Table: "v"}, "1,A;2,B;3,C", 1},
		{"without rowid", sqlitereader.Config{Table: "nr"}, "x,1;y,2", 1},
		{"splitPk", sqlitereader.Config{Table: "nr", SplitPK: "v"}, "x,1;y,2", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Path = path
			r, _ := open(t, tc.cfg)
			splits, _ := r.Splits(context.Background(), 4)
			if tc.wantSplits > 0 && len(splits) != tc.wantSplits {
				t.Errorf("%d splits, want %d", len(splits), tc.wantSplits)
			}
			rows, bad := readAll(t, r, 4)
			var got []string
			for _, row := range rows {
				got = append(got, strings.Join(row, ","))
			}
			if strings.Join(got, ";") != tc.want || len(bad) > 0 {
				t.Errorf("got %q (dirty %v), want %q", strings.Join(got, ";"), bad, tc.want)
			}
		})
	}
	// The declared type is kept in the field metadata.
	r, _ := open(t, sqlitereader.Config{Path: path, Table: "t"})
	s, _ := r.Schema(context.Background())
	if v, _ := s.Field(3).Metadata.GetValue(sqlitereader.MetaSourceType); v != "DECIMAL(8,3)" {
		t.Errorf("metadata %q", v)
	}
	if !arrow.TypeEqual(s.Field(3).Type, &arrow.Decimal128Type{Precision: 8, Scale: 3}) {
		t.Errorf("type %s", s.Field(3).Type)
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		url     string
		want    sqlitereader.Config
		wantErr string
	}{
		{url: "sqlite:///data/shop.db?table=orders", want: sqlitereader.Config{Path: "/data/shop.db", Table: "orders"}},
		{url: "sqlite://./rel/shop.db?table=orders&columns=id,%20name&where=id%3E5&splitPk=id&batchRows=100",
			want: sqlitereader.Config{Path: "./rel/shop.db", Table: "orders", Columns: []string{"id", "name"}, Where: "id>5", SplitPK: "id", BatchRows: 100}},
		{url: "sqlite:shop.db?querySql=SELECT%201", want: sqlitereader.Config{Path: "shop.db", QuerySQL: "SELECT 1"}},
		{url: "sqlite:///x.db?table=t&bogus=1", wantErr: "unknown URL parameter bogus"},
		{url: "sqlite:///x.db", wantErr: "set table or querySql"},
		{url: "sqlite:///x.db?table=t&querySql=SELECT%201", wantErr: "not both"},
		{url: "sqlite:///x.db?table=main.t", want: sqlitereader.Config{Path: "/x.db", Table: "main.t"}},
		{url: "sqlite:///x.db?table=t&where=id%3C3%ZZ", wantErr: "parameter where: bad %-escape"},
		{url: "sqlite:///x.db?table=t&where=1%3D1)%3B%20DROP%20TABLE%20victim%3B%20--", wantErr: "where: ';' at byte 4 starts a second statement"},
		{url: "sqlite:///x.db?table=a.b.c", wantErr: "has 3 parts"},
		{url: "sqlite:///x.db?table=%22open", wantErr: "unterminated quoted part"},
		{url: "sqlite:///x.db?table=t&batchRows=many", wantErr: "not an integer"},
		{url: "sqlite://?table=t", wantErr: "no database file"},
	} {
		got, err := sqlitereader.ParseConfig(tc.url)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err %v, want %q", tc.url, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if strings.Join(got.Columns, ",") != strings.Join(tc.want.Columns, ",") {
			t.Errorf("%s: columns %v", tc.url, got.Columns)
		}
		got.Columns, tc.want.Columns = nil, nil
		if !equalCfg(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.url, got, tc.want)
		}
	}
}

func equalCfg(a, b sqlitereader.Config) bool {
	return a.Path == b.Path && a.Table == b.Table && a.Where == b.Where && a.QuerySQL == b.QuerySQL && a.SplitPK == b.SplitPK && a.BatchRows == b.BatchRows
}

func TestOpenURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u.db")
	exec(t, path, `CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)`, `INSERT INTO t VALUES (1, 'x')`)
	r, err := ferry.OpenReader(context.Background(), "sqlite://"+path+"?table=t")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, _ := readAll(t, r, 2)
	if len(rows) != 1 || rows[0][1] != "x" {
		t.Errorf("rows %v", rows)
	}
}

// Lists, vectors and intervals are JSON text under declared types that
// sqlitewriter creates; malformed ones are dirty.
func TestListsVectorsIntervals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	exec(t, path,
		`CREATE TABLE t (id INTEGER PRIMARY KEY, ints INTEGER LIST, vec FLOAT32 VECTOR(2), span INTERVAL MONTH_DAY_NANO, tags TEXT LIST)`,
		`INSERT INTO t VALUES (1, '[1,null,-9223372036854775808]', '[0.5,"NaN"]', '{"months":-1,"days":2,"nanoseconds":3}', '["a","b\"c"]')`,
		`INSERT INTO t VALUES (2, '[]', NULL, NULL, '[]')`,
		`INSERT INTO t VALUES (3, 'oops', NULL, NULL, NULL)`,
		`INSERT INTO t VALUES (4, '[1,"x"]', NULL, NULL, NULL)`,
		`INSERT INTO t VALUES (5, NULL, '[1,2,3]', NULL, NULL)`,
		`INSERT INTO t VALUES (6, NULL, NULL, '{"months":1}', NULL)`,
		`INSERT INTO t VALUES (7, NULL, NULL, NULL, '[1]')`,
	)
	r, _ := open(t, sqlitereader.Config{Path: path, Table: "t"})
	s, _ := r.Schema(context.Background())
	if got := s.String(); !strings.Contains(got, "ints: type=list<item: int64, nullable>") || !strings.Contains(got, "vec: type=fixed_size_list<item: float32, nullable>[2]") || !strings.Contains(got, "span: type=month_day_nano_interval") {
		t.Errorf("schema %s", got)
	}
	rows, bad := readAll(t, r, 1)
	var got []string
	for _, row := range rows {
		got = append(got, strings.Join(row, "|"))
	}
	if strings.Join(got, "\n") != `1|[1,null,-9223372036854775808]|[0.5,"NaN"]|{"months":-1,"days":2,"nanoseconds":3}|["a","b\"c"]`+"\n2|[]|NULL|NULL|[]" {
		t.Errorf("rows:\n%s", strings.Join(got, "\n"))
	}
	want := map[int64]string{3: "ints", 4: "ints", 5: "vec", 6: "span", 7: "tags"}
	if len(bad) != len(want) {
		t.Errorf("dirty %v", bad)
	}
	for _, e := range bad {
		if want[e.Row] != e.Column {
			t.Errorf("dirty row %d column %s: %v", e.Row, e.Column, e.Err)
		}
	}
}

// Many dirty rows in a row are handed over in portions, not piled up.
func TestManyDirtyRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	exec(t, path, `CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)`,
		`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) INSERT INTO t SELECT i, CASE WHEN i = 4000 THEN 1 ELSE 'x' END FROM s`)
	r, _ := open(t, sqlitereader.Config{Path: path, Table: "t"})
	splits, _ := r.Splits(context.Background(), 1)
	rr, err := r.Read(context.Background(), splits[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var rows int64
	var dirtyRows, maxTaken int
	for rr.Next() {
		rows += rr.RecordBatch().NumRows()
		d := rr.(ferry.DirtyReporter).TakeDirty()
		dirtyRows += len(d)
		maxTaken = max(maxTaken, len(d))
	}
	dirtyRows += len(rr.(ferry.DirtyReporter).TakeDirty())
	if rows != 1 || dirtyRows != 4999 || maxTaken > 1024 || rr.Err() != nil {
		t.Errorf("rows %d, dirty %d (at most %d at once), err %v", rows, dirtyRows, maxTaken, rr.Err())
	}
}

// Splits cover the whole int64 range of rowids without overflow, and a
// user split key's NULL and non-integer values land in the "rest" split.
func TestSplitsExtremes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	exec(t, path, `CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)`,
		`INSERT INTO t VALUES (-9223372036854775808, 1), (0, NULL), (1, 'text'), (9223372036854775807, 2.5), (5, 9223372036854775807)`)
	for _, splitPK := range []string{"", "k"} {
		r, _ := open(t, sqlitereader.Config{Path: path, Table: "t", Columns: []string{"id"}, SplitPK: splitPK})
		for _, hint := range []int{1, 2, 3, 8} {
			rows, _ := readAll(t, r, hint)
			if len(rows) != 5 {
				t.Errorf("splitPk %q hint %d: %d rows, want 5", splitPK, hint, len(rows))
			}
		}
	}
}

// TestBatchBytes: wide rows end a batch at about 8 MiB (plus at most 256
// rows), long before batchRows; every row arrives once, in order, and the
// builders' memory is all released.
func TestBatchBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.db")
	exec(t, path,
		`CREATE TABLE w (id INTEGER PRIMARY KEY, body TEXT, doc JSON, bin BLOB)`,
		`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < 6000)
		 INSERT INTO w SELECT i, printf('%.*c', 2000, 'x'), '{"i":' || i || '}', zeroblob(1000) FROM s`)
	r, mem := open(t, sqlitereader.Config{Path: path, Table: "w"})
	splits, err := r.Splits(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := r.Read(context.Background(), splits[0])
	if err != nil {
		t.Fatal(err)
	}
	const rowBytes = 8 + 2000 + 4 + 7 + 4 + 1000 + 4 // id, body+offset, doc (7..10 bytes)+offset, bin+offset
	var batches, next int64
	for rr.Next() {
		b := rr.RecordBatch()
		batches++
		if n := b.NumRows(); n*rowBytes > 8<<20+256*(rowBytes+3) {
			t.Errorf("batch %d: %d rows, about %d bytes", batches, n, n*rowBytes)
		}
		ids := b.Column(0).(*array.Int64)
		for i := 0; i < ids.Len(); i++ {
			next++
			if ids.Value(i) != next {
				t.Fatalf("row %d has id %d", next, ids.Value(i))
			}
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	rr.Release()
	if next != 6000 || batches < 3 {
		t.Errorf("%d rows in %d batches, want 6000 rows in at least 3", next, batches)
	}
	mem.AssertSize(t, 0)
}

// TestBatchRamp: the first batch of a split has at most 4096 rows and each
// next one up to four times as many, capped by BatchRows; every row is
// read once, in order.
func TestBatchRamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ramp.db")
	exec(t, path, `CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100000) INSERT INTO t SELECT i, 'row ' || i FROM n`)
	for _, tc := range []struct {
		batchRows int
		want      []int64
	}{
		{0, []int64{4096, 16384, 65536, 13984}},
		{10000, []int64{4096, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 5904}},
		{100, nil}, // every batch 100 rows
		{1, nil},
	} {
		r, _ := open(t, sqlitereader.Config{Path: path, Table: "t", BatchRows: tc.batchRows})
		ctx := context.Background()
		splits, err := r.Splits(ctx, 1)
		if err != nil || len(splits) != 1 {
			t.Fatalf("splits %v, %v", splits, err)
		}
		rr, err := r.Read(ctx, splits[0])
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int64
		next := int64(1)
		for rr.Next() {
			b := rr.RecordBatch()
			ids := b.Column(0).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				if ids.Value(i) != next {
					t.Fatalf("batchRows %d: row %d is id %d", tc.batchRows, next, ids.Value(i))
				}
				next++
			}
			sizes = append(sizes, b.NumRows())
		}
		if err := rr.Err(); err != nil {
			t.Fatal(err)
		}
		rr.Release()
		if next != 100001 {
			t.Errorf("batchRows %d: read %d rows", tc.batchRows, next-1)
		}
		if tc.want == nil {
			for _, n := range sizes {
				if n != int64(tc.batchRows) {
					t.Errorf("batchRows %d: a batch of %d rows", tc.batchRows, n)
					break
				}
			}
		} else if fmt.Sprint(sizes) != fmt.Sprint(tc.want) {
			t.Errorf("batchRows %d: batches %v, want %v", tc.batchRows, sizes, tc.want)
		}
	}
}
