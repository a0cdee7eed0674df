package pgwriter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// columnTypes returns "name type [NOT NULL]" of table's columns and its
// primary key columns.
func columnTypes(t *testing.T, table string) (string, string) {
	t.Helper()
	c := connect(t)
	var cols, pk string
	if err := c.QueryRow(context.Background(), `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	c.QueryRow(context.Background(), `SELECT coalesce(string_agg(a.attname, ',' ORDER BY k.o), '') FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
		JOIN pg_attribute a ON a.attnum = k.n WHERE i.indrelid = $1::regclass AND a.attrelid = i.indrelid AND i.indisprimary`, table).Scan(&pk)
	return cols, pk
}

// TestCreateKeepsDeclaredTypes: create=true keeps what the source declared
// (lengths, precision, jsonb vs json, char(n), fractional seconds, NOT
// NULL, the primary key), from a PostgreSQL source and from MySQL and
// SQLite metadata.
func TestCreateKeepsDeclaredTypes(t *testing.T) {
	ctx := context.Background()
	src, dst := tableName(t, "src"), tableName(t, "dst")
	exec(t, "CREATE TABLE "+src+` (k char(3) NOT NULL, id int NOT NULL, name varchar(16) NOT NULL, amount numeric(12,2), doc jsonb, raw json,
		at timestamp(3), tz timestamptz, tm time(0), note text, PRIMARY KEY (k, id))`)
	exec(t, "INSERT INTO "+src+` VALUES ('abc', 1, 'n', 1.50, '{"a": 1}', '{"a" : 1}', '2020-01-01 00:00:00.123', now(), '12:00', 'x')`)
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src})
	if err != nil {
		t.Fatal(err)
	}
	w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: dst, Create: true, Mode: ferry.ModeUpsert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ferry.New(r, w, nil).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, pk := columnTypes(t, dst)
	want, wantPK := columnTypes(t, src)
	if got != want || pk != wantPK {
		t.Errorf("created\n  %s (pk %s)\nwant\n  %s (pk %s)", got, pk, want, wantPK)
	}
	sameRows(t, src, dst)

	// MySQL and SQLite sources, by their metadata
	md := func(kv ...string) arrow.Metadata { return arrow.MetadataFrom(pairs(kv)) }
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "bigint unsigned", ferry.MetaPrimaryKey, "1", ferry.MetaNotNull, "true"), Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "varchar(20)", ferry.MetaCharLength, "20")},
		{Name: "body", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "mediumtext", ferry.MetaCharLength, "16777215")},
		{Name: "doc", Type: jsonType(t), Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "json")},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "datetime(3)")},
		{Name: "span", Type: &arrow.DurationType{Unit: arrow.Microsecond}, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "time")},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "tinyint(1)")},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "decimal(10,2)")},
		{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EngineSQLite, ferry.MetaSourceType, "VARCHAR(8)", ferry.MetaCharLength, "8")},
		{Name: "evil", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md(ferry.MetaSourceEngine, ferry.EnginePostgreSQL, ferry.MetaSourceType, "text); DROP TABLE x; --")},
	}, nil)
	my := tableName(t, "my")
	w2, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: my, Create: true, Mode: ferry.ModeUpsert})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if err := w2.Prepare(ctx, sc); err != nil {
		t.Fatalf("Prepare with create: %v", err)
	}
	got, pk = columnTypes(t, my)
	want = "id bigint NOT NULL, name character varying(20), body text, doc jsonb, at timestamp(3) without time zone, span interval, flag boolean, price numeric(10,2), code character varying(8), evil text"
	if got != want || pk != "id" {
		t.Errorf("created from MySQL/SQLite metadata\n  %s (pk %s)\nwant\n  %s (pk id)", got, pk, want)
	}
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func jsonType(t *testing.T) arrow.DataType {
	r, err := pgreader.Open(context.Background(), pgreader.Config{ConnString: connString(), QuerySQL: "SELECT '{}'::json AS j"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc, _ := r.Schema(context.Background())
	return sc.Field(0).Type
}

// TestDurationIntoInterval: Arrow durations of every unit go into interval
// columns exactly (MySQL TIME extremes included), a created column for a
// duration is interval, and sub-microsecond durations are dirty rows.
func TestDurationIntoInterval(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	vals := []time.Duration{-(838*time.Hour + 59*time.Minute + 59*time.Second), 100 * time.Hour, 0, 1500 * time.Millisecond, -time.Microsecond}
	for _, unit := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
		tbl := tableName(t, "d"+unit.String())
		sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "d", Type: &arrow.DurationType{Unit: unit}, Nullable: true}}, nil)
		b := array.NewRecordBuilder(mem, sc)
		var want []time.Duration
		for i, v := range vals {
			if v%unit.Multiplier() != 0 {
				continue
			}
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.DurationBuilder).Append(arrow.Duration(v / unit.Multiplier()))
			want = append(want, v)
		}
		b.Field(0).(*array.Int64Builder).Append(99)
		b.Field(1).AppendNull()
		rec := b.NewRecordBatch()
		b.Release()
		w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl, Create: true})
		if err != nil {
			t.Fatal(err)
		}
		err = writeAll(ctx, w, rec)
		w.Close()
		rec.Release()
		if err != nil {
			t.Fatalf("%s: %v", unit, err)
		}
		if cols, _ := columnTypes(t, tbl); cols != "id bigint NOT NULL, d interval" {
			t.Errorf("%s: created %s", unit, cols)
		}
		for i, v := range want {
			var us int64
			c := connect(t)
			if err := c.QueryRow(ctx, "SELECT (extract(epoch FROM d) * 1000000)::bigint FROM "+tbl+" ORDER BY id LIMIT 1 OFFSET $1", i).Scan(&us); err != nil {
				t.Fatal(err)
			}
			if time.Duration(us)*time.Microsecond != v {
				t.Errorf("%s: row %d is %d us, want %s", unit, i, us, v)
			}
		}
	}
	// nanoseconds that do not fit microseconds: a dirty row naming the column
	tbl := tableName(t, "dns")
	exec(t, "CREATE TABLE "+tbl+" (id bigint, d interval)")
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "d", Type: &arrow.DurationType{Unit: arrow.Nanosecond}}}, nil)
	b := array.NewRecordBuilder(mem, sc)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	b.Field(1).(*array.DurationBuilder).AppendValues([]arrow.Duration{1000, 1001}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	w := newWriter(t, tbl, ferry.ModeInsert, mem)
	defer w.Close()
	err := writeAll(ctx, w, rec)
	rows := dirty.Rows(err)
	if len(rows) != 1 || rows[0].Row != 1 || rows[0].Column != "d" || !strings.Contains(rows[0].Err.Error(), "sub-microsecond") {
		t.Errorf("sub-microsecond duration: %v, want one dirty row 1 in column d", err)
	}
}
