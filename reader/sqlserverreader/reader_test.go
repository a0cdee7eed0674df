package sqlserverreader

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/ferrydata/ferry/internal/mssqltest"
	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/sqlsource"
)

var testInfos = []mssqlx.Column{
	{Name: "id", Type: "bigint", PKPos: 1},
	{Name: "code", Type: "varchar", MaxLength: 20, Nullable: true, Collation: "Latin1_General_CI_AS", CodePage: 1252},
	{Name: "name", Type: "nvarchar", MaxLength: -1, Nullable: true},
	{Name: "at", Type: "datetimeoffset", Scale: 7, Nullable: true},
	{Name: "odd]name", Type: "int", Nullable: true},
}

func testReader(t *testing.T, src sqlsource.Source, keepOffsets bool) *Reader {
	t.Helper()
	r := &Reader{cfg: Config{Source: src, BatchRows: 100, KeepOffsets: keepOffsets}}
	if src.Table != "" {
		var err error
		if r.table, err = parseTable(src.Table); err != nil {
			t.Fatal(err)
		}
	}
	cols, pk, err := selectColumns(testInfos, src.Columns, src.SplitPK, src.Name())
	if err != nil {
		t.Fatal(err)
	}
	r.cols, r.pk = cols, pk
	if r.schema, err = buildSchema(r.cols, keepOffsets); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGoldenSQL(t *testing.T) {
	var b strings.Builder
	show := func(title, q string, args []any) {
		fmt.Fprintf(&b, "-- %s\n%s\n", title, q)
		if len(args) > 0 {
			fmt.Fprintf(&b, "-- args: %#v\n", args)
		}
		b.WriteString("\n")
	}
	r := testReader(t, sqlsource.Source{Table: "sales.dbo.orders", SplitPK: "id", Where: "status = 'open'"}, false)
	q, args := r.selectSQL(nil)
	show("whole table", q, args)
	lo, hi := "100", "200"
	q, args = r.selectSQL(&splitSpec{Kind: "int", Lo: &lo, Hi: &hi})
	show("integer range", q, args)
	q, args = r.selectSQL(&splitSpec{Kind: "int", Hi: &lo})
	show("first range", q, args)
	q, args = r.selectSQL(&splitSpec{Null: true})
	show("NULL keys", q, args)
	show("key range", r.minMaxSQL(), nil)
	show("catalog", r.table.CatalogSQL(), nil)
	show("snapshot start (touch)", r.startSnapshotSQL(true), nil)

	rs := testReader(t, sqlsource.Source{Table: "orders", SplitPK: "code", Columns: []string{"code", "odd]name"}}, false)
	q, args = rs.selectSQL(&splitSpec{Kind: "vtext", Lo: &lo, Hi: &hi})
	show("varchar range, selected columns", q, args)
	q, args = rs.selectSQL(&splitSpec{Kind: "vtext"})
	show("nullable key, both ends open", q, args)
	show("NTILE boundaries", rs.ntileSQL(4, 0), nil)
	show("NTILE boundaries over a sample", rs.ntileSQL(8, 3), nil)

	rt := testReader(t, sqlsource.Source{Table: "orders", SplitPK: "at"}, false)
	show("datetimeoffset boundaries", rt.ntileSQL(2, 0), nil)

	rq := testReader(t, sqlsource.Source{QuerySQL: "SELECT id, name FROM dbo.orders WHERE id > 10"}, false)
	q, args = rq.selectSQL(nil)
	show("querySql", q, args)
	mssqltest.Golden(t, "reader_sql", b.String())
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		url string
		err string
		chk func(Config) error
	}{
		{url: "sqlserver://sa:pw@h:1433?database=db&table=dbo.orders&splitPk=id&batchRows=500&isolation=require-snapshot&keepOffsets=true",
			chk: func(c Config) error {
				if c.Source.Table != "dbo.orders" || c.Source.SplitPK != "id" || c.BatchRows != 500 || c.Isolation != IsolationRequireSnapshot || !c.KeepOffsets {
					return fmt.Errorf("%+v", c)
				}
				if c.DSN != "sqlserver://sa:pw@h:1433?database=db" {
					return fmt.Errorf("DSN %q", c.DSN)
				}
				return nil
			}},
		{url: "sqlserver://sa:pw@h?querySql=SELECT+1+AS+x", chk: func(c Config) error {
			if c.Source.QuerySQL != "SELECT 1 AS x" {
				return fmt.Errorf("%q", c.Source.QuerySQL)
			}
			return nil
		}},
		{url: "sqlserver://sa:pw@h?table=t&columns=a,b&where=a+%3E+1", chk: func(c Config) error {
			if len(c.Source.Columns) != 2 || c.Source.Where != "a > 1" {
				return fmt.Errorf("%+v", c.Source)
			}
			return nil
		}},
		{url: "sqlserver://sa:pw@h?table=t&isolation=dirty", err: "isolation"},
		{url: "sqlserver://sa:pw@h?table=t&splitpk=id", err: "unknown URL parameter splitpk (did you mean splitPk?)"},
		{url: "sqlserver://sa:pw@h?querySql=SELECT+1&splitPk=id", err: "go with table"},
		{url: "sqlserver://sa:pw@h", err: "set table or querySql"},
		{url: "sqlserver://sa:pw@h?table=t&batchRows=-1", err: "negative"},
		{url: "sqlserver://sa:pw@h?table=t&where=a%3Bb", err: ""},
		{url: "sqlserver://sa:pw@h?table=t&where=a;b", err: "';'"},
	}
	for _, tc := range tests {
		c, err := ParseConfig(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.url, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), ":pw@") {
				t.Errorf("%s: password in %v", tc.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if tc.chk != nil {
			if err := tc.chk(c); err != nil {
				t.Errorf("%s: %v", tc.url, err)
			}
		}
	}
}

func TestSelectColumnsErrors(t *testing.T) {
	if _, _, err := selectColumns(testInfos, []string{"nope"}, "", "t"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing column: %v", err)
	}
	if _, _, err := selectColumns(testInfos, nil, "nope", "t"); err == nil || !strings.Contains(err.Error(), "splitPk") {
		t.Errorf("missing key: %v", err)
	}
	bin := append(testInfos[:1:1], mssqlx.Column{Name: "b", Type: "varbinary", MaxLength: 10})
	if _, _, err := selectColumns(bin, nil, "b", "t"); err == nil || !strings.Contains(err.Error(), "split on") {
		t.Errorf("binary key: %v", err)
	}
	geo := append(testInfos[:1:1], mssqlx.Column{Name: "shape", Type: "geography"})
	if _, _, err := selectColumns(geo, nil, "", "dbo.t"); err == nil || !strings.Contains(err.Error(), "column shape") {
		t.Errorf("geography: %v", err)
	}
	// Case-insensitive names, as SQL Server's default collations.
	cols, pk, err := selectColumns(testInfos, []string{"ID", "Name"}, "ID", "t")
	if err != nil || len(cols) != 2 || cols[1].Name != "name" || pk.Name != "id" {
		t.Errorf("case-insensitive: %v %v %v", cols, pk, err)
	}
}

func TestIntBounds(t *testing.T) {
	tests := []struct {
		lo, hi string
		n      int
		want   string
	}{
		{"1", "100", 4, "25,49,73"},
		{"0", "3", 8, "1,2,3"},
		{"5", "5", 4, ""},
		{"-9223372036854775808", "9223372036854775807", 2, "-1"},
		{"1", "2", 1, ""},
	}
	for _, tc := range tests {
		if got := strings.Join(intBounds(tc.lo, tc.hi, tc.n), ","); got != tc.want {
			t.Errorf("intBounds(%s, %s, %d) = %s, want %s", tc.lo, tc.hi, tc.n, got, tc.want)
		}
	}
}

// TestSplitsCoverEveryKeyOnce evaluates each split's range on every key,
// NULL included, after a JSON round trip of the plan.
func TestSplitsCoverEveryKeyOnce(t *testing.T) {
	keys := []*int64{nil}
	for k := int64(-50); k <= 1000; k += 7 {
		keys = append(keys, &k)
		k := k
		keys[len(keys)-1] = &k
	}
	bounds := intBounds("-50", "1000", 6)
	splits := rangeSplits("t", "int", bounds, true)
	data, _ := json.Marshal(splits)
	var back []struct {
		ID   string          `json:"id"`
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		hits := 0
		for _, s := range back {
			var sp splitSpec
			if err := json.Unmarshal(s.Spec, &sp); err != nil {
				t.Fatal(err)
			}
			in := false
			switch {
			case sp.Null:
				in = k == nil
			case k != nil:
				in = true
				if sp.Lo != nil {
					lo, _ := strconv.ParseInt(*sp.Lo, 10, 64)
					in = in && *k >= lo
				}
				if sp.Hi != nil {
					hi, _ := strconv.ParseInt(*sp.Hi, 10, 64)
					in = in && *k < hi
				}
			}
			if in {
				hits++
			}
		}
		if hits != 1 {
			t.Fatalf("key %v is in %d splits", k, hits)
		}
	}
	if len(back) != len(bounds)+2 {
		t.Errorf("%d splits for %d bounds", len(back), len(bounds))
	}
}

func TestBind(t *testing.T) {
	if v := (&splitSpec{Kind: "int"}).bind("-5"); v != int64(-5) {
		t.Errorf("int bound %#v", v)
	}
	if v := (&splitSpec{Kind: "vtext"}).bind("abc"); fmt.Sprintf("%T", v) != "mssql.VarChar" {
		t.Errorf("varchar bound %T", v)
	}
	if v := (&splitSpec{Kind: "text"}).bind("2024-01-01T00:00:00"); v != "2024-01-01T00:00:00" {
		t.Errorf("text bound %#v", v)
	}
}

// TestDecoders feeds each decoder the values go-mssqldb returns and checks
// the Arrow values: every boundary of every type.
func TestDecoders(t *testing.T) {
	loc := time.FixedZone("", -(5*3600 + 30*60))
	guid := uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
	wire := mssqlx.GUIDSwap(guid)
	big := strings.Repeat("9", 38)
	tests := []struct {
		col  mssqlx.Column
		in   []any
		want []string // ValueStr of each, "(null)" for NULL
		err  string   // error of the last value, if any
	}{
		{mssqlx.Column{Type: "tinyint"}, []any{int64(0), int64(255), nil}, []string{"0", "255", "(null)"}, ""},
		{mssqlx.Column{Type: "tinyint"}, []any{int64(256)}, nil, "out of range"},
		{mssqlx.Column{Type: "smallint"}, []any{int64(-32768), int64(32767)}, []string{"-32768", "32767"}, ""},
		{mssqlx.Column{Type: "int"}, []any{int64(-2147483648), int64(2147483647)}, []string{"-2147483648", "2147483647"}, ""},
		{mssqlx.Column{Type: "bigint"}, []any{int64(-9223372036854775808)}, []string{"-9223372036854775808"}, ""},
		{mssqlx.Column{Type: "bit"}, []any{true, false}, []string{"true", "false"}, ""},
		{mssqlx.Column{Type: "decimal", Precision: 38, Scale: 0}, []any{[]byte(big), []byte("-" + big)}, []string{big, "-" + big}, ""},
		{mssqlx.Column{Type: "decimal", Precision: 38, Scale: 10}, []any{[]byte("-1234567890123456789012345678.0123456789")}, []string{"-1234567890123456789012345678.0123456789"}, ""},
		{mssqlx.Column{Type: "money"}, []any{[]byte("922337203685477.5807"), []byte("-922337203685477.5808"), []byte("0.0001")}, []string{"922337203685477.5807", "-922337203685477.5808", "0.0001"}, ""},
		{mssqlx.Column{Type: "smallmoney"}, []any{[]byte("-214748.3648")}, []string{"-214748.3648"}, ""},
		{mssqlx.Column{Type: "real", Precision: 24}, []any{float64(float32(3.4028235e38)), float64(float32(1e-45))}, []string{"3.4028235e+38", "1e-45"}, ""},
		{mssqlx.Column{Type: "float", Precision: 53}, []any{1.7976931348623157e308}, []string{"1.7976931348623157e+308"}, ""},
		{mssqlx.Column{Type: "nvarchar", MaxLength: -1}, []any{"emoji 😀 中文", ""}, []string{"emoji 😀 中文", ""}, ""},
		{mssqlx.Column{Type: "xml", MaxLength: -1}, []any{"<a>1</a>"}, []string{"<a>1</a>"}, ""},
		{mssqlx.Column{Type: "varbinary", MaxLength: -1}, []any{[]byte{0, 1, 255}}, []string{"0001ff"}, ""},
		{mssqlx.Column{Type: "timestamp", MaxLength: 8}, []any{[]byte{0, 0, 0, 0, 0, 0, 7, 209}}, []string{"00000000000007d1"}, ""},
		{mssqlx.Column{Type: "uniqueidentifier"}, []any{wire[:]}, []string{"00112233-4455-6677-8899-aabbccddeeff"}, ""},
		{mssqlx.Column{Type: "uniqueidentifier"}, []any{[]byte{1, 2}}, nil, "uniqueidentifier of 2 bytes"},
		{mssqlx.Column{Type: "date"}, []any{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, loc)}, []string{"0001-01-01", "9999-12-31"}, ""},
		{mssqlx.Column{Type: "time", Scale: 7}, []any{time.Date(1, 1, 1, 23, 59, 59, 999999900, time.UTC)}, []string{"23:59:59.999999900"}, ""},
		{mssqlx.Column{Type: "time", Scale: 3}, []any{time.Date(1, 1, 1, 12, 0, 0, 123000000, time.UTC)}, []string{"12:00:00.123000"}, ""},
		// datetime as the driver returns it: ticks as milliseconds.
		{mssqlx.Column{Type: "datetime"}, []any{time.Date(1753, 1, 1, 0, 0, 0, 3000000, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 997000000, time.UTC)}, []string{"1753-01-01 00:00:00.003Z", "9999-12-31 23:59:59.997Z"}, ""},
		{mssqlx.Column{Type: "smalldatetime"}, []any{time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC)}, []string{"2079-06-06 23:59:00Z"}, ""},
		{mssqlx.Column{Type: "datetime2", Scale: 7}, []any{time.Date(2262, 4, 11, 23, 47, 16, 854775800, time.UTC), time.Date(1900, 1, 1, 0, 0, 0, 100, time.UTC)}, []string{"2262-04-11 23:47:16.8547758Z", "1900-01-01 00:00:00.0000001Z"}, ""},
		{mssqlx.Column{Type: "datetime2", Scale: 7}, []any{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, "outside timestamp[ns]"},
		{mssqlx.Column{Type: "datetime2", Scale: 6}, []any{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, loc)}, []string{"0001-01-01 00:00:00Z", "9999-12-31 23:59:59.999999Z"}, ""},
		// datetimeoffset: the instant (the offset is in the _offset column).
		{mssqlx.Column{Type: "datetimeoffset", Scale: 7}, []any{time.Date(2024, 1, 1, 10, 0, 0, 100, loc)}, []string{"2024-01-01 15:30:00.0000001Z"}, ""},
	}
	for _, tc := range tests {
		tc.col.Name = "c"
		tc.col.Nullable = true
		k, err := tc.col.KindOf()
		if err != nil {
			t.Fatal(err)
		}
		c := column{Column: tc.col, kind: k}
		f, err := c.Field()
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		rb := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{f}, nil))
		dec := newDecoder(&c, rb, 0)
		var lastErr error
		for _, v := range tc.in {
			if _, err := dec(v); err != nil {
				lastErr = err
			}
		}
		rec := rb.NewRecordBatch()
		switch {
		case tc.err != "":
			if lastErr == nil || !strings.Contains(lastErr.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.col.Decl(), lastErr, tc.err)
			}
		case lastErr != nil:
			t.Errorf("%s: %v", tc.col.Decl(), lastErr)
		default:
			col := rec.Column(0)
			for i, want := range tc.want {
				got := col.ValueStr(i)
				if ts, ok := col.(*array.Timestamp); ok && !col.IsNull(i) {
					unit := ts.DataType().(*arrow.TimestampType).Unit
					got = ts.Value(i).ToTime(unit).Format("2006-01-02 15:04:05.999999999Z")
				}
				if bin, ok := col.(*array.Binary); ok && !col.IsNull(i) {
					got = fmt.Sprintf("%x", bin.Value(i))
				}
				if got != want {
					t.Errorf("%s value %d: %s, want %s", tc.col.Decl(), i, got, want)
				}
			}
		}
		rec.Release()
		rb.Release()
		mem.AssertSize(t, 0)
	}
}

func TestKeepOffsets(t *testing.T) {
	r := testReader(t, sqlsource.Source{Table: "t"}, true)
	names := []string{}
	for _, f := range r.schema.Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "id,code,name,at,at_offset,odd]name" {
		t.Fatalf("fields %s", got)
	}
	if v, _ := r.schema.Field(3).Metadata.GetValue(mssqlx.MetaOffsetColumn); v != "at_offset" {
		t.Errorf("offset column metadata %q", v)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rb := array.NewRecordBuilder(mem, r.schema)
	defer rb.Release()
	dec := newDecoder(&r.cols[3], rb, 3)
	for _, v := range []any{time.Date(2024, 1, 1, 10, 0, 0, 0, time.FixedZone("", -(5*3600+30*60))), time.Date(2024, 1, 1, 10, 0, 0, 0, time.FixedZone("", 14*3600)), nil} {
		if _, err := dec(v); err != nil {
			t.Fatal(err)
		}
	}
	off := rb.Field(4).NewArray()
	defer off.Release()
	ts := rb.Field(3).NewArray()
	defer ts.Release()
	if off.ValueStr(0) != "-330" || off.ValueStr(1) != "840" || !off.IsNull(2) {
		t.Errorf("offsets %s", off)
	}
	if got := ts.(*array.Timestamp).Value(0).ToTime(arrow.Nanosecond); !got.Equal(time.Date(2024, 1, 1, 15, 30, 0, 0, time.UTC)) {
		t.Errorf("instant %s", got)
	}
	for i := range r.schema.Fields() {
		if i != 3 && i != 4 {
			rb.Field(i).AppendNull()
			rb.Field(i).AppendNull()
			rb.Field(i).AppendNull()
		}
	}
}

func TestDescribedColumn(t *testing.T) {
	names := []string{"is_hidden", "column_ordinal", "name", "is_nullable", "system_type_id", "system_type_name", "max_length", "precision", "scale", "collation_name"}
	vals := []any{false, int64(1), "total", true, int64(106), "decimal(12,2)", int64(9), int64(12), int64(2), nil}
	c, err := describedColumn(names, vals, 0)
	if err != nil || c.Name != "total" || c.Type != "decimal" || c.Precision != 12 || c.Scale != 2 || !c.Nullable {
		t.Errorf("%+v %v", c, err)
	}
	vals[2] = ""
	if _, err := describedColumn(names, vals, 0); err == nil || !strings.Contains(err.Error(), "AS") {
		t.Errorf("unnamed column: %v", err)
	}
	_ = extensions.NewUUIDType()
}

func TestStateRoundTrip(t *testing.T) {
	r := testReader(t, sqlsource.Source{Table: "t", SplitPK: "id"}, false)
	r.cfg.Isolation = IsolationReadCommitted
	r.consistency = "one consistent state: 2 SNAPSHOT transactions started under a shared lock on [t]"
	st, err := r.ExportState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	other := testReader(t, sqlsource.Source{Table: "t", SplitPK: "id"}, false)
	other.cfg.Isolation = IsolationReadCommitted
	note, err := other.ImportState(context.Background(), st)
	if err != nil || !strings.Contains(note, "cannot be shared") || !strings.Contains(note, "2 SNAPSHOT") {
		t.Fatalf("note %q, %v", note, err)
	}
	if other.perSplit != "READ COMMITTED" || !strings.Contains(other.Consistency(), "READ COMMITTED") {
		t.Errorf("per split %q, consistency %q", other.perSplit, other.Consistency())
	}
	if _, err := other.ImportState(context.Background(), json.RawMessage("{bad")); err == nil {
		t.Error("bad state accepted")
	}
}
