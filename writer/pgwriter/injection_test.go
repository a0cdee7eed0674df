package pgwriter_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/pgtest"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// The victim every payload tries to drop.
const victim = "ferry_inj_w_victim"

// payloads are names that broke out of the old quoting (a name holding '"'
// was passed through) or of the simple protocol (stacked statements).
var payloads = []string{
	`x (x int); DROP TABLE ` + victim + `; CREATE TABLE IF NOT EXISTS "y"`,
	`t"; DROP TABLE ` + victim + `; --`,
	`ferry_inj_w_t; DROP TABLE ` + victim,
	`"ferry_inj_w_a"; DROP TABLE ` + victim + `; --`,
	`ferry_inj_w_q') ; DROP TABLE ` + victim + `; --`,
	`ferry_inj_w_"quoted"`,
	`ferry_inj_w_t/**/;DROP/**/TABLE/**/` + victim,
}

func newVictim(t *testing.T) {
	t.Helper()
	exec(t, "DROP TABLE IF EXISTS "+victim)
	exec(t, "CREATE TABLE "+victim+" (id int)")
	exec(t, "INSERT INTO "+victim+" VALUES (1)")
	t.Cleanup(func() { connect(t).Exec(context.Background(), "DROP TABLE IF EXISTS "+victim) })
}

func victimAlive(t *testing.T, c *pgx.Conn, what string) {
	t.Helper()
	if n := count1(t, c, "SELECT count(*) FROM pg_class WHERE relname = $1", victim); n != 1 {
		t.Fatalf("%s: the victim table was dropped", what)
	}
}

// count1 is count on the connection c.
func count1(t testing.TB, c *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// dropOdd drops every table whose name starts with prefix (the odd names
// the payloads created, quoted).
func dropOdd(t *testing.T, c *pgx.Conn) {
	rows, err := c.Query(context.Background(), `SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' AND (relname LIKE 'ferry\_inj\_w\_%' OR relname LIKE 'x (x int)%' OR relname LIKE 't"%' OR relname LIKE '"ferry_inj%') AND relname <> $1`, victim)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := c.Exec(context.Background(), "DROP TABLE IF EXISTS "+n); err != nil {
			t.Fatal(err)
		}
	}
}

func oneBatch(mem memory.Allocator, names ...string) arrow.RecordBatch {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	var fields []arrow.Field
	for _, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	sc := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for i := range names {
		b.Field(i).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	}
	return b.NewRecordBatch()
}

// writeAll runs Prepare/Open/Write/Commit on w, returning the first error.
func writeAll(ctx context.Context, w *pgwriter.Writer, b arrow.RecordBatch) error {
	if err := w.Prepare(ctx, b.Schema()); err != nil {
		return err
	}
	bw, err := w.Open(ctx)
	if err != nil {
		return err
	}
	if err := bw.Write(ctx, b); err != nil {
		return err
	}
	if err := bw.Close(ctx); err != nil {
		return err
	}
	return w.Commit(ctx)
}

// TestInjection sends every payload through each place pgwriter puts a name
// (table, create, columns, key) or a predicate (partition), in every mode
// that uses it: the victim survives, and each run either fails with a clear
// error or creates/writes the odd name exactly as given.
func TestInjection(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	newVictim(t)
	c := connect(t)
	t.Cleanup(func() { dropOdd(t, c) })
	plain := tableName(t, "plain")
	exec(t, "CREATE TABLE "+plain+" (id bigint PRIMARY KEY, v bigint)")
	modes := []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace}
	for _, p := range payloads {
		for _, mode := range modes {
			// the table name, created with create=true: exactly that name
			dropOdd(t, c)
			b := oneBatch(mem, "id", "v")
			w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: p, Mode: mode, Create: true, Key: []string{"id"}})
			if err == nil {
				err = writeAll(ctx, w, b)
				w.Close()
			}
			victimAlive(t, c, "table "+p)
			if err != nil {
				if !strings.Contains(err.Error(), "pgwriter") {
					t.Errorf("table %q, %s: unclear error %v", p, mode, err)
				}
			} else if parts := strings.Count(p, `"`); parts == 0 || strings.Contains(p, `""`) {
				// an unquoted payload is one table of exactly that name
				if n := count1(t, c, "SELECT count(*) FROM pg_class WHERE relname = $1", p); n != 1 {
					t.Errorf("table %q, %s: committed, but no table of exactly that name", p, mode)
				}
			}
			b.Release()

			// a column name: created and written exactly as given
			b = oneBatch(mem, "id", p)
			tbl := "ferry_inj_w_cols"
			if _, err := c.Exec(ctx, "DROP TABLE IF EXISTS "+tbl); err != nil {
				t.Fatal(err)
			}
			w, err = pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl, Mode: mode, Create: true, Key: []string{"id"}})
			if err == nil {
				err = writeAll(ctx, w, b)
				w.Close()
			}
			victimAlive(t, c, "column "+p)
			if len(p) > 63 {
				if err == nil || !strings.Contains(err.Error(), "63 bytes") {
					t.Errorf("column %q, %s: %v, want an error about the length", p, mode, err)
				}
			} else if err != nil {
				t.Errorf("column %q, %s: %v", p, mode, err)
			} else if n := count1(t, c, "SELECT count(*) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2", tbl, p); n != 1 {
				t.Errorf("column %q, %s: not created exactly", p, mode)
			}
			b.Release()

			// a key name
			if mode == ferry.ModeUpsert || mode == ferry.ModeReplace {
				b = oneBatch(mem, "id", "v")
				w, err = pgwriter.New(pgwriter.Config{ConnString: connString(), Table: plain, Mode: mode, Key: []string{p}})
				if err == nil {
					err = writeAll(ctx, w, b)
					w.Close()
				}
				victimAlive(t, c, "key "+p)
				if err == nil || !strings.Contains(err.Error(), "key") {
					t.Errorf("key %q, %s: %v, want an error about the key", p, mode, err)
				}
				b.Release()
			}
		}
		// through a URL: the table parameter, URL-encoded
		dropOdd(t, c)
		u := pgtest.DSN("table=" + url.QueryEscape(p) + "&create=true")
		if w, err := ferry.DefaultURLMux().OpenWriter(ctx, u); err == nil {
			b := oneBatch(mem, "id", "v")
			err = writeAll(ctx, w.(*pgwriter.Writer), b)
			w.Close()
			b.Release()
		}
		victimAlive(t, c, "URL table "+p)
	}
	// partition is a predicate the user writes on purpose, but it runs as
	// one statement: stacked statements are refused
	b := oneBatch(mem, "id", "v")
	defer b.Release()
	for _, pred := range []string{"v = 1; DROP TABLE " + victim, "true); DROP TABLE " + victim + "; SELECT (1"} {
		w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: plain, Mode: ferry.ModePartitionOverwrite, Partition: pred})
		if err != nil {
			t.Fatal(err)
		}
		err = writeAll(ctx, w, b)
		w.Close()
		victimAlive(t, c, "partition "+pred)
		if err == nil {
			t.Errorf("partition %q: committed", pred)
		}
	}
}
