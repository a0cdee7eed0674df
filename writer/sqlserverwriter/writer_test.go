package sqlserverwriter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/mssqltest"
	"github.com/ferrydata/ferry/internal/mssqlx"
)

// target is the catalog of the test target table.
var target = []mssqlx.Column{
	{Name: "id", Type: "bigint", PKPos: 1},
	{Name: "name", Type: "nvarchar", MaxLength: 100, Nullable: true},
	{Name: "code", Type: "varchar", MaxLength: 10, Nullable: true, Collation: "Latin1_General_CI_AS", CodePage: 1252},
	{Name: "biz_date", Type: "date", Nullable: true},
	{Name: "amount", Type: "decimal", Precision: 12, Scale: 2, Nullable: true},
	{Name: "ver", Type: "timestamp", MaxLength: 8},
}

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "biz_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
}, nil)

func testWriter(t *testing.T, cfg Config, cols []mssqlx.Column, schema *arrow.Schema) (*Writer, []string) {
	t.Helper()
	cfg.DSN = "sqlserver://sa@localhost?database=db"
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	w := &Writer{cfg: cfg, open: map[*splitWriter]bool{}}
	w.table, _ = mssqlx.ParseTable(cfg.Table)
	w.key = stageKey("20261201t220512_3fa94c1b", w.table)
	p, decls, codecs, err := w.newPlan(w.key, schema, cols)
	if err != nil {
		t.Fatal(err)
	}
	w.plan, w.schema = p, schema
	for i, c := range codecs {
		e, err := newEncoder(schema.Field(i), c)
		if err != nil {
			t.Fatal(err)
		}
		w.enc = append(w.enc, e)
	}
	for _, f := range schema.Fields() {
		w.bulkCols = append(w.bulkCols, f.Name)
	}
	w.bulkCols = append(w.bulkCols, attemptCol, seqCol)
	return w, decls
}

// TestGoldenSQL writes every statement each mode sends into
// testdata/modes.golden.
func TestGoldenSQL(t *testing.T) {
	var b strings.Builder
	for _, mode := range []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace, ferry.ModePartitionOverwrite} {
		cfg := Config{Table: "sales.dbo.orders", Mode: mode, PostSQL: []string{"UPDATE STATISTICS sales.dbo.orders"}}
		if mode == ferry.ModePartitionOverwrite {
			cfg.Partition = "biz_date = '2025-07-26'"
		}
		w, decls := testWriter(t, cfg, target, testSchema)
		p := w.plan
		fmt.Fprintf(&b, "==== mode %s\n", mode)
		if mode == ferry.ModeInsert {
			fmt.Fprintf(&b, "-- stage\n%s\n-- markers\n%s\n-- mark a split done\n%s\n-- status\n%s\n-- state\n%s\n-- INSERT fallback, 2 rows\n%s\n",
				p.stageDDL(decls), p.marksDDL(), p.markSQL(), p.statusSQL(), p.stateSQL(), p.insertSQL(2))
		}
		b.WriteString("-- commit\n")
		for _, s := range p.commitSQL() {
			b.WriteString(s + "\n")
		}
		b.WriteString("\n")
	}
	// An identity column, a composite key and no non-key column.
	idCols := []mssqlx.Column{{Name: "a", Type: "int", PKPos: 1, Identity: true}, {Name: "b", Type: "int", PKPos: 2}}
	idSchema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32}, {Name: "b", Type: arrow.PrimitiveTypes.Int32}}, nil)
	w, _ := testWriter(t, Config{Table: "t", Mode: ferry.ModeUpsert}, idCols, idSchema)
	b.WriteString("==== upsert, identity, key (a, b), no other column\n")
	for _, s := range w.plan.commitSQL() {
		b.WriteString(s + "\n")
	}
	// Overwrite of a table a foreign key references; upsert of a written
	// identity column that is not the key.
	w, _ = testWriter(t, Config{Table: "t", Mode: ferry.ModeOverwrite}, idCols, idSchema)
	w.plan.delete = true
	b.WriteString("==== overwrite, referenced by a foreign key\n")
	for _, s := range w.plan.commitSQL() {
		b.WriteString(s + "\n")
	}
	w, _ = testWriter(t, Config{Table: "t", Mode: ferry.ModeUpsert, Key: []string{"b"}}, idCols, idSchema)
	b.WriteString("==== upsert on b, identity a written\n")
	for _, s := range w.plan.commitSQL() {
		b.WriteString(s + "\n")
	}
	// create=true from an Arrow schema of another engine.
	md := arrow.NewMetadata([]string{ferry.MetaSourceEngine, ferry.MetaSourceType, ferry.MetaCharLength, ferry.MetaPrimaryKey, ferry.MetaNotNull},
		[]string{ferry.EngineMySQL, "varchar(16)", "16", "1", "true"})
	cs := arrow.NewSchema([]arrow.Field{
		{Name: "code", Type: arrow.BinaryTypes.String, Metadata: md},
		{Name: "qty", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "id", Type: extensions.NewUUIDType(), Nullable: true},
	}, nil)
	ddl, err := createTable("[dbo].[new]", cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "\n==== create\n%s\n", ddl)
	mssqltest.Golden(t, "modes", b.String())
}

func TestPlanErrors(t *testing.T) {
	w := &Writer{cfg: Config{Table: "t", Mode: ferry.ModeUpsert}}
	w.table, _ = mssqlx.ParseTable("t")
	noPK := []mssqlx.Column{{Name: "id", Type: "bigint"}, {Name: "name", Type: "nvarchar", MaxLength: -1}}
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, _, _, err := w.newPlan("k", s, noPK); err == nil || !strings.Contains(err.Error(), "primary key") {
		t.Errorf("upsert without a key: %v", err)
	}
	w.cfg.Key = []string{"name"}
	if _, _, _, err := w.newPlan("k", s, noPK); err == nil || !strings.Contains(err.Error(), "not in the batches") {
		t.Errorf("key not written: %v", err)
	}
	w.cfg.Mode, w.cfg.Key = ferry.ModeInsert, nil
	bad := arrow.NewSchema([]arrow.Field{{Name: "nope", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, _, _, err := w.newPlan("k", bad, noPK); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown column: %v", err)
	}
	ver := arrow.NewSchema([]arrow.Field{{Name: "ver", Type: arrow.BinaryTypes.Binary}}, nil)
	if _, _, _, err := w.newPlan("k", ver, target); err == nil || !strings.Contains(err.Error(), "rowversion") {
		t.Errorf("rowversion written: %v", err)
	}
	geo := []mssqlx.Column{{Name: "g", Type: "geography"}}
	gs := arrow.NewSchema([]arrow.Field{{Name: "g", Type: arrow.BinaryTypes.Binary}}, nil)
	if _, _, _, err := w.newPlan("k", gs, geo); err == nil || !strings.Contains(err.Error(), "column g") {
		t.Errorf("geography: %v", err)
	}
	// An Arrow type a column cannot take is refused when preparing.
	if _, err := newEncoder(arrow.Field{Name: "x", Type: arrow.FixedWidthTypes.Boolean}, codec{col: mssqlx.Column{Name: "x", Type: "date"}, kind: mssqlx.KindDate}); err == nil || !strings.Contains(err.Error(), "x") {
		t.Errorf("bool into date: %v", err)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		url string
		err string
		chk func(Config) string
	}{
		{url: "sqlserver://sa:pw@h?database=db&table=dbo.t&mode=upsert&key=a,b&preSql=DELETE+FROM+x%3BSELECT+%27a%3Bb%27&postSql=EXEC+p&load=insert&insertRows=100&tablock=false&create=true",
			chk: func(c Config) string {
				if c.Mode != ferry.ModeUpsert || len(c.Key) != 2 || !c.Insert || c.InsertRows != 100 || !c.NoTablock || !c.Create {
					return fmt.Sprintf("%+v", c)
				}
				if len(c.PreSQL) != 2 || c.PreSQL[1] != "SELECT 'a;b'" || c.PostSQL[0] != "EXEC p" {
					return fmt.Sprintf("statements %q %q", c.PreSQL, c.PostSQL)
				}
				if c.DSN != "sqlserver://sa:pw@h?database=db" {
					return c.DSN
				}
				return ""
			}},
		{url: "sqlserver://sa:pw@h?table=t&mode=truncate", chk: func(c Config) string {
			if c.Mode != ferry.ModeOverwrite {
				return string(c.Mode)
			}
			return ""
		}},
		{url: "sqlserver://sa:pw@h?table=t&mode=partition-overwrite", err: "needs partition"},
		{url: "sqlserver://sa:pw@h?table=t&partition=a%3D1", err: "partition goes with"},
		{url: "sqlserver://sa:pw@h?table=t&key=id", err: "key goes with"},
		{url: "sqlserver://sa:pw@h?table=t&mode=merge", err: "unknown write mode"},
		{url: "sqlserver://sa:pw@h?table=t&load=bcp", err: "load"},
		{url: "sqlserver://sa:pw@h?table=t&insertRows=5000", err: "insertRows"},
		{url: "sqlserver://sa:pw@h?table=t&Table=u", err: "unknown URL parameter Table (did you mean table?)"},
		{url: "sqlserver://sa:pw@h?mode=insert", err: "table is required"},
		{url: "sqlserver://sa:pw@h?table=a.b.c.d", err: "at most 3"},
	}
	for _, tc := range tests {
		c, err := ParseConfig(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.url, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), ":pw@") {
				t.Errorf("password in %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if msg := tc.chk(c); msg != "" {
			t.Errorf("%s: %s", tc.url, msg)
		}
	}
}

func TestStageNames(t *testing.T) {
	tn, _ := mssqlx.ParseTable("dbo.orders")
	k := stageKey("20261201t220512_3fa94c1b", tn)
	if !strings.HasPrefix(k, "20261201t220512_3fa94c1b_") || len(k) != len("20261201t220512_3fa94c1b_")+8 {
		t.Errorf("key %s", k)
	}
	tn2, _ := mssqlx.ParseTable("dbo.other")
	if stageKey("r", tn) == stageKey("r", tn2) {
		t.Error("two targets of one run share a stage")
	}
	if stageKeyOf(stagePrefix+k) != k || stageKeyOf(marksPrefix+k) != k || stageKeyOf("orders") != "" || stageKeyOf(stagePrefix) != "" {
		t.Error("stageKeyOf")
	}
	if n := insertRows(7, 0); n != 299 {
		t.Errorf("insertRows(7) = %d", n)
	}
	if n := insertRows(1, 0); n != 1000 {
		t.Errorf("insertRows(1) = %d", n)
	}
	if n := insertRows(3000, 0); n != 1 {
		t.Errorf("insertRows(3000) = %d", n)
	}
}

// enc encodes one value of an array built by fill into column c.
func enc(t *testing.T, f arrow.Field, c mssqlx.Column, insert bool, fill func(b array.Builder)) (any, error) {
	t.Helper()
	c.Name = f.Name
	k, err := c.KindOf()
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEncoder(f, codec{col: c, kind: k, insert: insert})
	if err != nil {
		return nil, err
	}
	b := array.NewBuilder(memory.DefaultAllocator, f.Type)
	defer b.Release()
	fill(b)
	a := b.NewArray()
	defer a.Release()
	return e(a, 0)
}

// TestEncoders converts Arrow values into each column type at its limits.
func TestEncoders(t *testing.T) {
	i64 := func(v int64) func(array.Builder) { return func(b array.Builder) { b.(*array.Int64Builder).Append(v) } }
	u64 := func(v uint64) func(array.Builder) {
		return func(b array.Builder) { b.(*array.Uint64Builder).Append(v) }
	}
	str := func(v string) func(array.Builder) {
		return func(b array.Builder) { b.(*array.StringBuilder).Append(v) }
	}
	f64 := func(v float64) func(array.Builder) {
		return func(b array.Builder) { b.(*array.Float64Builder).Append(v) }
	}
	ts := func(unit arrow.TimeUnit, v time.Time) func(array.Builder) {
		return func(b array.Builder) {
			x, _ := arrow.TimestampFromTime(v, unit)
			b.(*array.TimestampBuilder).Append(x)
		}
	}
	dec := func(s string, p, sc int32) func(array.Builder) {
		return func(b array.Builder) {
			n, err := decimal128.FromString(s, p, sc)
			if err != nil {
				panic(err)
			}
			b.(*array.Decimal128Builder).Append(n)
		}
	}
	u := uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
	wire := mssqlx.GUIDSwap(u)
	F := func(t arrow.DataType) arrow.Field { return arrow.Field{Name: "v", Type: t, Nullable: true} }
	tsUS := &arrow.TimestampType{Unit: arrow.Microsecond}
	tsNS := &arrow.TimestampType{Unit: arrow.Nanosecond}
	tsTZ := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	tests := []struct {
		name   string
		f      arrow.Field
		col    mssqlx.Column
		insert bool
		fill   func(array.Builder)
		want   any    // compared with %#v
		err    string // substring of the error
	}{
		{"tinyint max", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "tinyint"}, false, i64(255), int64(255), ""},
		{"tinyint -1", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "tinyint"}, false, i64(-1), nil, "outside tinyint"},
		{"smallint overflow", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "smallint"}, false, i64(32768), nil, "outside smallint"},
		{"int min", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "int"}, false, i64(math.MinInt32), int64(math.MinInt32), ""},
		{"uint64 into bigint", F(arrow.PrimitiveTypes.Uint64), mssqlx.Column{Type: "bigint"}, false, u64(math.MaxUint64), nil, "outside bigint"},
		{"uint64 max into decimal(20,0)", F(arrow.PrimitiveTypes.Uint64), mssqlx.Column{Type: "decimal", Precision: 20}, false, u64(math.MaxUint64), "18446744073709551615", ""},
		{"int into decimal(3,1)", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "decimal", Precision: 3, Scale: 1}, false, i64(100), nil, "does not fit"},
		{"int into bit", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "bit"}, false, i64(2), nil, "0 or 1"},
		{"int into real, inexact", F(arrow.PrimitiveTypes.Int64), mssqlx.Column{Type: "real", Precision: 24}, false, i64(16777217), nil, "not exact"},
		{"decimal(38,10) max", F(&arrow.Decimal128Type{Precision: 38, Scale: 10}), mssqlx.Column{Type: "decimal", Precision: 38, Scale: 10}, false,
			dec("9999999999999999999999999999.9999999999", 38, 10), "9999999999999999999999999999.9999999999", ""},
		{"decimal scale up", F(&arrow.Decimal128Type{Precision: 10, Scale: 2}), mssqlx.Column{Type: "decimal", Precision: 12, Scale: 4}, false, dec("-1.25", 10, 2), "-1.2500", ""},
		{"decimal loses a digit", F(&arrow.Decimal128Type{Precision: 10, Scale: 3}), mssqlx.Column{Type: "decimal", Precision: 12, Scale: 2}, false, dec("1.255", 10, 3), nil, "decimal places"},
		{"money scale 4", F(&arrow.Decimal128Type{Precision: 19, Scale: 4}), mssqlx.Column{Type: "money"}, false, dec("-922337203685477.5808", 19, 4), "-922337203685477.5808", ""},
		{"money overflow", F(&arrow.Decimal128Type{Precision: 20, Scale: 4}), mssqlx.Column{Type: "money"}, false, dec("922337203685477.5808", 20, 4), nil, "money's range"},
		{"smallmoney overflow", F(&arrow.Decimal128Type{Precision: 10, Scale: 4}), mssqlx.Column{Type: "smallmoney"}, false, dec("214748.3648", 10, 4), nil, "smallmoney"},
		{"money 5 decimals", F(&arrow.Decimal128Type{Precision: 10, Scale: 5}), mssqlx.Column{Type: "money"}, false, dec("1.00001", 10, 5), nil, "decimal places"},
		{"float NaN", F(arrow.PrimitiveTypes.Float64), mssqlx.Column{Type: "float", Precision: 53}, false, f64(math.NaN()), nil, "NaN"},
		{"float into real inexact", F(arrow.PrimitiveTypes.Float64), mssqlx.Column{Type: "real", Precision: 24}, false, f64(0.1), nil, "not exact"},
		{"float into real exact", F(arrow.PrimitiveTypes.Float64), mssqlx.Column{Type: "real", Precision: 24}, false, f64(0.5), float32(0.5), ""},
		{"nvarchar(3) too long", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "nvarchar", MaxLength: 6}, false, str("abcd"), nil, "longer than nvarchar(3)"},
		{"nvarchar(3) surrogates count twice", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "nvarchar", MaxLength: 6}, false, str("😀😀"), nil, "longer"},
		{"nvarchar(3) fits", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "nvarchar", MaxLength: 6}, false, str("中文字"), "中文字", ""},
		{"varchar(4) counts code-page bytes", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: 4, CodePage: 1252}, true, str("café"), "café", ""},
		{"varchar(3) UTF-8 bytes", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: 3, CodePage: 65001}, false, str("中a"), nil, "longer than varchar(3)"},
		{"varbinary(2) too long", F(arrow.BinaryTypes.Binary), mssqlx.Column{Type: "varbinary", MaxLength: 2}, false,
			func(b array.Builder) { b.(*array.BinaryBuilder).Append([]byte{1, 2, 3}) }, nil, "longer than varbinary(2)"},
		{"empty binary is not NULL", F(arrow.BinaryTypes.Binary), mssqlx.Column{Type: "varbinary", MaxLength: -1}, false,
			func(b array.Builder) { b.(*array.BinaryBuilder).Append(nil) }, []byte{}, ""},
		{"empty varchar is not NULL", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: -1, CodePage: 1252}, false, str(""), []byte{}, ""},
		{"text has no bound", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "ntext", MaxLength: 16}, false, str(strings.Repeat("x", 100)), strings.Repeat("x", 100), ""},
		{"nvarchar", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "nvarchar", MaxLength: -1}, false, str("😀 中文"), "😀 中文", ""},
		{"varchar cp1252 bulk", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: 10, CodePage: 1252}, false, str("café €"), []byte("caf\xe9 \x80"), ""},
		{"varchar cp1252 insert", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: 10, CodePage: 1252}, true, str("café €"), "café €", ""},
		{"varchar cp1252 lacks 中", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: 10, CodePage: 1252}, false, str("中"), nil, "no code"},
		{"varchar UTF-8 collation", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "varchar", MaxLength: 10, CodePage: 65001}, false, str("中"), []byte("中"), ""},
		{"string into uniqueidentifier", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "uniqueidentifier"}, false, str(u.String()), wire[:], ""},
		{"bad uniqueidentifier", F(arrow.BinaryTypes.String), mssqlx.Column{Type: "uniqueidentifier"}, false, str("nope"), nil, "uniqueidentifier"},
		{"uuid byte order", F(extensions.NewUUIDType()), mssqlx.Column{Type: "uniqueidentifier"}, false,
			func(b array.Builder) { b.(*extensions.UUIDBuilder).Append(u) }, wire[:], ""},
		{"datetime2(7) ns", F(tsNS), mssqlx.Column{Type: "datetime2", Scale: 7}, false, ts(arrow.Nanosecond, time.Date(2024, 1, 2, 3, 4, 5, 123456700, time.UTC)), time.Date(2024, 1, 2, 3, 4, 5, 123456700, time.UTC), ""},
		{"datetime2(7) below 100 ns", F(tsNS), mssqlx.Column{Type: "datetime2", Scale: 7}, false, ts(arrow.Nanosecond, time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)), nil, "scale 7"},
		{"datetime2(3) from us", F(tsUS), mssqlx.Column{Type: "datetime2", Scale: 3}, false, ts(arrow.Microsecond, time.Date(2024, 1, 2, 3, 4, 5, 123400000, time.UTC)), nil, "scale 3"},
		{"datetime2 year 12000", F(tsUS), mssqlx.Column{Type: "datetime2", Scale: 6}, false, ts(arrow.Microsecond, time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)), nil, "outside"},
		{"datetime rounds", F(tsUS), mssqlx.Column{Type: "datetime"}, false, ts(arrow.Microsecond, time.Date(2024, 1, 2, 3, 4, 5, 5000000, time.UTC)), time.Date(2024, 1, 2, 3, 4, 5, 6666666, time.UTC), ""},
		{"datetime 1752", F(tsUS), mssqlx.Column{Type: "datetime"}, false, ts(arrow.Microsecond, time.Date(1752, 1, 1, 0, 0, 0, 0, time.UTC)), nil, "outside datetime"},
		{"smalldatetime rounds", F(tsUS), mssqlx.Column{Type: "smalldatetime"}, false, ts(arrow.Microsecond, time.Date(2024, 1, 2, 3, 4, 30, 0, time.UTC)), time.Date(2024, 1, 2, 3, 5, 0, 0, time.UTC), ""},
		{"instant into datetimeoffset", F(tsTZ), mssqlx.Column{Type: "datetimeoffset", Scale: 7}, false, ts(arrow.Microsecond, time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)), time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC), ""},
		{"instant into datetime2: UTC wall clock", F(tsTZ), mssqlx.Column{Type: "datetime2", Scale: 6}, false, ts(arrow.Microsecond, time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))), time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC), ""},
		{"timestamp with a time into date", F(tsUS), mssqlx.Column{Type: "date"}, false, ts(arrow.Microsecond, time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)), nil, "time of day"},
		{"date32 0001-01-01", F(arrow.FixedWidthTypes.Date32), mssqlx.Column{Type: "date"}, false,
			func(b array.Builder) {
				b.(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)))
			}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"date32 year 10000", F(arrow.FixedWidthTypes.Date32), mssqlx.Column{Type: "date"}, false,
			func(b array.Builder) {
				b.(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)))
			}, nil, "outside"},
		{"time(7) ns", F(arrow.FixedWidthTypes.Time64ns), mssqlx.Column{Type: "time", Scale: 7}, false,
			func(b array.Builder) { b.(*array.Time64Builder).Append(arrow.Time64(86399999999900)) }, time.Date(1, 1, 1, 23, 59, 59, 999999900, time.UTC), ""},
		{"time(0) from us", F(arrow.FixedWidthTypes.Time64us), mssqlx.Column{Type: "time", Scale: 0}, false,
			func(b array.Builder) { b.(*array.Time64Builder).Append(arrow.Time64(1500000)) }, nil, "scale 0"},
		{"decimal256 into decimal(38,2)", F(&arrow.Decimal256Type{Precision: 40, Scale: 2}), mssqlx.Column{Type: "decimal", Precision: 38, Scale: 2}, false,
			func(b array.Builder) {
				n, _ := decimal256.FromString("123.45", 40, 2)
				b.(*array.Decimal256Builder).Append(n)
			}, "123.45", ""},
		{"decimal256 beyond 38 digits", F(&arrow.Decimal256Type{Precision: 60, Scale: 0}), mssqlx.Column{Type: "decimal", Precision: 38}, false,
			func(b array.Builder) {
				n, _ := decimal256.FromString(strings.Repeat("9", 50), 60, 0)
				b.(*array.Decimal256Builder).Append(n)
			}, nil, "38 digits"},
	}
	for _, tc := range tests {
		got, err := enc(t, tc.f, tc.col, tc.insert, tc.fill)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %#v, %v; want error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if gt, ok := got.(time.Time); ok {
			if !gt.Equal(tc.want.(time.Time)) {
				t.Errorf("%s: %s, want %s", tc.name, gt, tc.want)
			}
			continue
		}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
			t.Errorf("%s: %#v, want %#v", tc.name, got, tc.want)
		}
	}
}

// fakeServer stands in for the connection: it rejects every batch that
// holds a row whose name is "bad..." with SQL Server's truncation error,
// and keeps the rows of the batches it accepts.
type fakeServer struct {
	calls int
	rows  [][]any
	err   func(vals []any, n, per int) error
}

func (f *fakeServer) send(per int) func(ctx context.Context, vals []any, n int) error {
	return func(ctx context.Context, vals []any, n int) error {
		f.calls++
		if f.err != nil {
			if err := f.err(vals, n, per); err != nil {
				return err
			}
		}
		for r := 0; r < n; r++ {
			f.rows = append(f.rows, vals[r*per:(r+1)*per])
		}
		return nil
	}
}

func batch(t *testing.T, mem memory.Allocator, names []string) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for i, n := range names {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(1).(*array.StringBuilder).Append(n)
		b.Field(2).AppendNull()
		b.Field(3).AppendNull()
		b.Field(4).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i)))
	}
	return b.NewRecordBatch()
}

func TestBisection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	w, _ := testWriter(t, Config{Table: "dbo.orders"}, target, testSchema)
	per := len(w.bulkCols)
	srv := &fakeServer{err: func(vals []any, n, per int) error {
		for r := 0; r < n; r++ {
			if s, _ := vals[r*per+1].(string); strings.HasPrefix(s, "bad") {
				return fmt.Errorf("bulk: %w", mssql.Error{Number: 2628, Message: "String or binary data would be truncated in table 'db.dbo.ferry_stage_x', column 'name'. Truncated value: 'bad'."})
			}
		}
		return nil
	}}
	sw := &splitWriter{w: w, p: w.plan, split: "s1", attempt: 42, send: srv.send(per)}
	names := make([]string, 64)
	for i := range names {
		names[i] = fmt.Sprintf("ok%d", i)
	}
	names[3], names[40], names[41] = "bad3", "bad40", "bad41"
	b := batch(t, mem, names)
	defer b.Release()
	err := sw.Write(context.Background(), b)
	rows := dirty.Rows(err)
	if len(rows) != 3 || rows[0].Row != 3 || rows[1].Row != 40 || rows[2].Row != 41 {
		t.Fatalf("dirty rows %+v (err %v)", rows, err)
	}
	for _, r := range rows {
		if r.Column != "name" || !strings.Contains(r.Err.Error(), "would be truncated") {
			t.Errorf("row %d: column %q, %v", r.Row, r.Column, r.Err)
		}
	}
	if len(srv.rows) != 61 || sw.rows != 61 {
		t.Fatalf("%d rows landed (%d counted), want 61", len(srv.rows), sw.rows)
	}
	// Far fewer round trips than one per row.
	if srv.calls > 30 {
		t.Errorf("%d round trips for 3 bad rows in 64", srv.calls)
	}
	// Every landed row carries the attempt and its own position in the
	// attempt, so "the last row for a key wins" is well defined.
	seen := map[int64]bool{}
	for _, r := range srv.rows {
		if r[per-2] != int64(42) {
			t.Fatalf("attempt %v", r[per-2])
		}
		id := r[0].(int64)
		if seq := r[per-1].(int64); seq != id-1 || seen[seq] {
			t.Fatalf("row id %d has seq %d", id, seq)
		}
		seen[r[per-1].(int64)] = true
	}
	// The next batch continues the sequence.
	b2 := batch(t, mem, []string{"x"})
	defer b2.Release()
	if err := sw.Write(context.Background(), b2); err != nil {
		t.Fatal(err)
	}
	if last := srv.rows[len(srv.rows)-1]; last[per-1] != int64(64) {
		t.Errorf("second batch seq %v, want 64", last[per-1])
	}
}

func TestEncodeErrorsAreDirtyWithoutARoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	w, _ := testWriter(t, Config{Table: "dbo.orders"}, target, testSchema)
	srv := &fakeServer{}
	sw := &splitWriter{w: w, p: w.plan, split: "s1", attempt: 1, send: srv.send(len(w.bulkCols))}
	bld := array.NewRecordBuilder(mem, testSchema)
	for i, code := range []string{"ok", "中文", "ok", "ok"} {
		bld.Field(0).(*array.Int64Builder).Append(int64(i))
		bld.Field(1).AppendNull()
		bld.Field(2).(*array.StringBuilder).Append(code) // varchar, code page 1252
		bld.Field(3).AppendNull()
		bld.Field(4).AppendNull()
	}
	b := bld.NewRecordBatch()
	bld.Release()
	defer b.Release()
	err := sw.Write(context.Background(), b)
	rows := dirty.Rows(err)
	if len(rows) != 1 || rows[0].Row != 1 || rows[0].Column != "code" {
		t.Fatalf("%+v %v", rows, err)
	}
	if len(srv.rows) != 3 {
		t.Errorf("%d rows landed", len(srv.rows))
	}
}

func TestWriteErrorClasses(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	w, _ := testWriter(t, Config{Table: "dbo.orders"}, target, testSchema)
	b := batch(t, mem, []string{"a", "b"})
	defer b.Release()
	tests := []struct {
		err       error
		retryable bool
		void      bool
	}{
		{mssql.Error{Number: 1205, Message: "deadlock victim"}, true, false},
		{mssql.Error{Number: 40501, Message: "service busy"}, true, false},
		{fmt.Errorf("read: %w", errors.New("connection reset by peer: EOF")), false, true},
		{mssql.Error{Number: 208, Message: "Invalid object name"}, false, false},
	}
	for _, tc := range tests {
		e := tc.err
		sw := &splitWriter{w: w, p: w.plan, split: "s", attempt: 1, send: func(context.Context, []any, int) error { return e }}
		err := sw.Write(context.Background(), b)
		if err == nil {
			t.Fatalf("%v: no error", tc.err)
		}
		if got := ferry.IsRetryable(err); got != tc.retryable {
			t.Errorf("%v: retryable %v", tc.err, got)
		}
		if (sw.broken != nil) != tc.void {
			t.Errorf("%v: attempt void %v", tc.err, sw.broken != nil)
		}
		if tc.void {
			if err := sw.Close(context.Background()); err == nil {
				t.Errorf("%v: Close of a void attempt succeeded", tc.err)
			}
		}
	}
	// A cancelled context is never retryable.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sw := &splitWriter{w: w, p: w.plan, split: "s", attempt: 1, send: func(context.Context, []any, int) error { return ctx.Err() }}
	if err := sw.Write(ctx, b); !errors.Is(err, context.Canceled) || ferry.IsRetryable(err) {
		t.Errorf("cancelled: %v", err)
	}
	// A batch of another schema is refused.
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ob := array.NewRecordBuilder(mem, other)
	ob.Field(0).(*array.Int64Builder).Append(1)
	orec := ob.NewRecordBatch()
	ob.Release()
	defer orec.Release()
	sw = &splitWriter{w: w, p: w.plan, split: "s", attempt: 1}
	if err := sw.Write(context.Background(), orec); err == nil || !strings.Contains(err.Error(), "prepared for") {
		t.Errorf("other schema: %v", err)
	}
}

// TestRetryAfterPartialWriteVoids checks that a transient error after part
// of a batch landed (during bisection) is not reported as retryable.
func TestRetryAfterPartialWriteVoids(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	w, _ := testWriter(t, Config{Table: "dbo.orders"}, target, testSchema)
	calls := 0
	send := func(ctx context.Context, vals []any, n int) error {
		calls++
		switch calls {
		case 1: // the whole batch: a bad row
			return mssql.Error{Number: 515, Message: "Cannot insert the value NULL into column 'name'"}
		case 2: // first half lands
			return nil
		}
		return mssql.Error{Number: 1205, Message: "deadlock victim"}
	}
	sw := &splitWriter{w: w, p: w.plan, split: "s", attempt: 1, send: send}
	b := batch(t, mem, []string{"a", "b", "c", "d"})
	defer b.Release()
	err := sw.Write(context.Background(), b)
	if err == nil || ferry.IsRetryable(err) || sw.broken == nil {
		t.Fatalf("partial write then deadlock: %v (retryable %v)", err, ferry.IsRetryable(err))
	}
}
