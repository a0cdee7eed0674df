package pgwriter_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	_ "github.com/ferrydata/ferry/reader/mysqlreader"
	_ "github.com/ferrydata/ferry/writer/mysqlwriter"
)

func mysqlURL(params string) string {
	u := testenv.MySQLURL()
	if strings.Contains(u, "?") {
		return u + "&" + params
	}
	return u + "?" + params
}

// TestMySQLTimeThroughPG: MySQL TIME values (its extremes included) read
// with no options (duration[us]) go into a created PostgreSQL interval
// column and back into MySQL TIME exactly: MySQL → PG → MySQL.
func TestMySQLTimeThroughPG(t *testing.T) {
	ctx := context.Background()
	const src, back = "ferry_pgtime_src", "ferry_pgtime_back"
	values := "(1,'-838:59:59'),(2,'838:59:59'),(3,'100:00:00.5'),(4,NULL),(5,'-00:00:00.000001'),(6,'00:00:00'),(7,'23:59:59.999999')"
	setup := "preSql=" + url.QueryEscape("DROP TABLE IF EXISTS "+src) + "&preSql=" + url.QueryEscape("CREATE TABLE "+src+" (id int PRIMARY KEY, t time(6))") +
		"&preSql=" + url.QueryEscape("INSERT INTO "+src+" VALUES "+values) +
		"&preSql=" + url.QueryEscape("DROP TABLE IF EXISTS "+back) + "&preSql=" + url.QueryEscape("CREATE TABLE "+back+" (id int PRIMARY KEY, t time(6))")
	mw, err := ferry.DefaultURLMux().OpenWriter(ctx, mysqlURL("table="+src+"&"+setup))
	if err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}}, nil)
	if err := mw.Prepare(ctx, sc); err != nil {
		if strings.Contains(err.Error(), "connect") {
			testenv.Unreachable(t, "MariaDB", err)
		}
		t.Fatal(err)
	}
	if err := mw.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	t.Cleanup(func() {
		w, err := ferry.DefaultURLMux().OpenWriter(ctx, mysqlURL("table="+src+"&preSql="+url.QueryEscape("DROP TABLE IF EXISTS "+back)+"&postSql="+url.QueryEscape("DROP TABLE IF EXISTS "+src)))
		if err == nil {
			if w.Prepare(ctx, sc) == nil {
				w.Commit(ctx)
			}
			w.Close()
		}
	})

	// MySQL → PG (created table)
	pgTbl := tableName(t, "t")
	r, err := ferry.DefaultURLMux().OpenReader(ctx, mysqlURL("table="+src))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ferry.DefaultURLMux().OpenWriter(ctx, dsn("table="+pgTbl+"&create=true"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ferry.New(r, w, nil).Run(ctx); err != nil {
		t.Fatalf("MySQL → PG: %v", err)
	}
	if cols, pk := columnTypes(t, pgTbl); cols != "id integer NOT NULL, t interval" || pk != "id" {
		t.Errorf("created %s (pk %s), want id integer NOT NULL, t interval (pk id)", cols, pk)
	}
	if n := count(t, "SELECT count(*) FROM "+pgTbl+` WHERE (id, t) IN ((1, '-838:59:59'), (2, '838:59:59'), (3, '100:00:00.5'), (5, '-00:00:00.000001'), (6, '0'), (7, '23:59:59.999999')) OR (id = 4 AND t IS NULL)`); n != 7 {
		t.Errorf("%d of 7 values exact in PostgreSQL", n)
	}
	// PG → MySQL
	r2, err := ferry.DefaultURLMux().OpenReader(ctx, dsn("table="+pgTbl))
	if err != nil {
		t.Fatal(err)
	}
	w2, err := ferry.DefaultURLMux().OpenWriter(ctx, mysqlURL("table="+back))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ferry.New(r2, w2, nil).Run(ctx); err != nil {
		t.Fatalf("PG → MySQL: %v", err)
	}
	// compare in MySQL, by reading both tables back as text
	read := func(table string) map[int32]string {
		rr, err := ferry.DefaultURLMux().OpenReader(ctx, mysqlURL("querySql="+url.QueryEscape("SELECT id, CAST(t AS CHAR) AS t FROM "+table)))
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Close()
		sp, err := rr.Splits(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := rr.Read(ctx, sp[0])
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		out := map[int32]string{}
		for rec.Next() {
			b := rec.RecordBatch()
			ids, ts := b.Column(0).(*array.Int32), b.Column(1).(*array.String)
			for i := 0; i < int(b.NumRows()); i++ {
				v := "NULL"
				if ts.IsValid(i) {
					v = ts.Value(i)
				}
				out[ids.Value(i)] = v
			}
		}
		if err := rec.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := read(src), read(back)
	if len(want) != 7 || len(got) != 7 {
		t.Fatalf("read %d and %d rows, want 7", len(want), len(got))
	}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("id %d: %s after MySQL → PG → MySQL, want %s", id, got[id], v)
		}
	}
}
