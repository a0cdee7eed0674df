package mssqlx

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/google/uuid"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

func TestGUIDSwap(t *testing.T) {
	// SQL Server's documented layout: the first three groups are stored
	// little-endian. SELECT CONVERT(binary(16),
	// CAST('00112233-4455-6677-8899-AABBCCDDEEFF' AS uniqueidentifier))
	// is 0x33221100554477668899AABBCCDDEEFF.
	u := uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
	wire := GUIDSwap(u)
	want := [16]byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	if wire != want {
		t.Fatalf("GUIDSwap = % x, want % x", wire, want)
	}
	if back := GUIDSwap(wire); back != u {
		t.Fatalf("GUIDSwap is not its own inverse: %s", uuid.UUID(back))
	}
	// mssql.UniqueIdentifier agrees: its Value is the wire order.
	var mu mssql.UniqueIdentifier
	copy(mu[:], u[:])
	v, err := mu.Value()
	if err != nil || string(v.([]byte)) != string(want[:]) {
		t.Fatalf("mssql.UniqueIdentifier.Value = % x, %v", v, err)
	}
}

func TestDateTimeRounding(t *testing.T) {
	// SQL Server's datetime rounding table ("Rounding of datetime
	// fractional second precision"): .001 -> .000, .002..004 -> .003,
	// .005..008 -> .007, .009 -> .010.
	tests := []struct {
		ms   int
		want string // milliseconds as the server shows them
	}{
		{0, "00.000"}, {1, "00.000"}, {2, "00.003"}, {3, "00.003"}, {4, "00.003"},
		{5, "00.007"}, {6, "00.007"}, {7, "00.007"}, {8, "00.007"}, {9, "00.010"},
		{997, "00.997"}, {998, "00.997"}, {999, "01.000"},
	}
	base := time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC)
	for _, tc := range tests {
		got, err := RoundDateTime(base.Add(time.Duration(tc.ms) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		// The server shows a tick as milliseconds rounded half up.
		shown := got.Add(500 * time.Microsecond).Truncate(time.Millisecond)
		if s := shown.Format("05.000"); s != tc.want {
			t.Errorf("RoundDateTime(.%03d) shows %s, want %s (exact %s)", tc.ms, s, tc.want, got.Format("05.000000000"))
		}
	}
	// A tick's exact nanoseconds encode back to the same tick.
	for tick := 0; tick < 300; tick++ {
		ns := tick * 10_000_000 / 3
		if got := DateTimeTicks(ns); got != tick {
			t.Fatalf("DateTimeTicks(%d) = %d, want %d", ns, got, tick)
		}
	}
	// Day carry and the range ends.
	got, _ := RoundDateTime(time.Date(2024, 12, 31, 23, 59, 59, 999_000_000, time.UTC))
	if !got.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("carry into the next day: %s", got)
	}
	if _, err := RoundDateTime(time.Date(1752, 12, 31, 23, 59, 59, 0, time.UTC)); !errors.Is(err, ErrRange) {
		t.Errorf("1752 is not a datetime: %v", err)
	}
	if _, err := RoundDateTime(time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)); !errors.Is(err, ErrRange) {
		t.Errorf("9999-12-31 23:59:59.999 rounds past the end: %v", err)
	}
	if _, err := RoundDateTime(time.Date(9999, 12, 31, 23, 59, 59, 997_000_000, time.UTC)); err != nil {
		t.Errorf("9999-12-31 23:59:59.997 is the last datetime: %v", err)
	}
	// The wall clock counts, not the instant: a zoned time is taken as is.
	z, _ := RoundDateTime(time.Date(2024, 1, 1, 10, 0, 0, 0, time.FixedZone("x", 3600)))
	if z.Hour() != 10 {
		t.Errorf("wall clock changed: %s", z)
	}
}

func TestSmallDateTimeRounding(t *testing.T) {
	base := time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{29*time.Second + 998*time.Millisecond, "12:00"},
		{29*time.Second + 999*time.Millisecond, "12:01"},
		{59 * time.Second, "12:01"},
	}
	for _, tc := range tests {
		got, err := RoundSmallDateTime(base.Add(tc.d))
		if err != nil || got.Format("15:04") != tc.want || got.Second() != 0 {
			t.Errorf("RoundSmallDateTime(+%s) = %s, %v; want %s", tc.d, got, err, tc.want)
		}
	}
	if _, err := RoundSmallDateTime(time.Date(2079, 6, 6, 23, 59, 30, 0, time.UTC)); !errors.Is(err, ErrRange) {
		t.Errorf("2079-06-06 23:59:30 rounds past smalldatetime's end: %v", err)
	}
	if _, err := RoundSmallDateTime(time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrRange) {
		t.Errorf("1899 is not a smalldatetime: %v", err)
	}
}

func TestTimeScaleLoss(t *testing.T) {
	tests := []struct {
		ns, scale int
		loss      bool
	}{
		{123456700, 7, false}, {123456789, 7, true}, {123456000, 6, false}, {123456700, 6, true},
		{0, 0, false}, {1, 0, true}, {999999900, 7, false}, {100, 7, false}, {10, 7, true},
	}
	for _, tc := range tests {
		if got := TimeScaleLoss(tc.ns, tc.scale); got != tc.loss {
			t.Errorf("TimeScaleLoss(%d, %d) = %v", tc.ns, tc.scale, got)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	max38 := strings.Repeat("9", 38)
	tests := []struct {
		in          string
		prec, scale int32
		want        string // ToString(scale), or "error"
	}{
		{"123.4500", 10, 4, "123.4500"},
		{"-0.0001", 19, 4, "-0.0001"},
		{"42", 10, 2, "42.00"},
		{"1.5", 10, 0, "error"},
		{max38, 38, 0, max38},
		{"-" + max38, 38, 0, "-" + max38},
		{"1" + max38, 38, 0, "error"},
		{"0." + max38, 38, 38, "0." + max38},
		{"922337203685477.5807", 19, 4, "922337203685477.5807"},
		{"-922337203685477.5808", 19, 4, "-922337203685477.5808"},
		{"", 10, 0, "error"}, {"-", 10, 0, "error"}, {"1e5", 10, 0, "error"}, {"1.2.3", 10, 2, "error"},
	}
	for _, tc := range tests {
		n, err := ParseDecimal([]byte(tc.in), tc.prec, tc.scale)
		got := "error"
		if err == nil {
			got = n.ToString(tc.scale)
		}
		if got != tc.want {
			t.Errorf("ParseDecimal(%q, %d, %d) = %s (%v), want %s", tc.in, tc.prec, tc.scale, got, err, tc.want)
		}
	}
}

func TestRescaleAndMoney(t *testing.T) {
	n := decimal128.FromI64(12345) // 123.45 at scale 2
	if r, err := Rescale(n, 2, 4, 19); err != nil || r.ToString(4) != "123.4500" {
		t.Errorf("Rescale up: %s %v", r.ToString(4), err)
	}
	if _, err := Rescale(n, 2, 1, 19); !errors.Is(err, ErrRange) {
		t.Errorf("Rescale dropping a digit must fail: %v", err)
	}
	if _, err := Rescale(n, 2, 2, 4); !errors.Is(err, ErrRange) {
		t.Errorf("123.45 does not fit decimal(4,2): %v", err)
	}
	if err := CheckMoney(decimal128.FromI64(922337203685477_5807), false); err != nil {
		t.Error(err)
	}
	if err := CheckMoney(decimal128.FromI64(922337203685477_5807).Add(decimal128.FromI64(1)), false); !errors.Is(err, ErrRange) {
		t.Errorf("money max + 0.0001: %v", err)
	}
	if err := CheckMoney(decimal128.FromI64(-214748_3648), true); err != nil {
		t.Error(err)
	}
	if err := CheckMoney(decimal128.FromI64(214748_3648), true); !errors.Is(err, ErrRange) {
		t.Errorf("smallmoney max + 0.0001: %v", err)
	}
}

// TestTypeMapping maps every type of the list to Arrow and back.
func TestTypeMapping(t *testing.T) {
	tests := []struct {
		col   Column
		arrow string
		decl  string // Decl, and DeclFor of the field read
	}{
		{Column{Type: "tinyint"}, "uint8", "tinyint"},
		{Column{Type: "smallint"}, "int16", "smallint"},
		{Column{Type: "int"}, "int32", "int"},
		{Column{Type: "bigint"}, "int64", "bigint"},
		{Column{Type: "decimal", Precision: 38, Scale: 10}, "decimal(38, 10)", "decimal(38,10)"},
		{Column{Type: "numeric", Precision: 18, Scale: 0}, "decimal(18, 0)", "numeric(18,0)"},
		{Column{Type: "money"}, "decimal(19, 4)", "money"},
		{Column{Type: "smallmoney"}, "decimal(10, 4)", "smallmoney"},
		{Column{Type: "real", Precision: 24}, "float32", "real"},
		{Column{Type: "float", Precision: 53}, "float64", "float"},
		{Column{Type: "bit"}, "bool", "bit"},
		{Column{Type: "char", MaxLength: 10, Collation: "Latin1_General_CI_AS"}, "utf8", "char(10)"},
		{Column{Type: "varchar", MaxLength: -1}, "utf8", "varchar(max)"},
		{Column{Type: "nchar", MaxLength: 20}, "utf8", "nchar(10)"},
		{Column{Type: "nvarchar", MaxLength: -1}, "utf8", "nvarchar(max)"},
		{Column{Type: "text", MaxLength: 16}, "utf8", "text"},
		{Column{Type: "ntext", MaxLength: 16}, "utf8", "ntext"},
		{Column{Type: "binary", MaxLength: 16}, "binary", "binary(16)"},
		{Column{Type: "varbinary", MaxLength: -1}, "binary", "varbinary(max)"},
		{Column{Type: "image"}, "binary", "image"},
		{Column{Type: "date"}, "date32", "date"},
		{Column{Type: "time", Scale: 7}, "time64[ns]", "time(7)"},
		{Column{Type: "time", Scale: 3}, "time64[us]", "time(3)"},
		{Column{Type: "datetime"}, "timestamp[us]", "datetime"},
		{Column{Type: "smalldatetime"}, "timestamp[us]", "smalldatetime"},
		{Column{Type: "datetime2", Scale: 7}, "timestamp[ns]", "datetime2(7)"},
		{Column{Type: "datetime2", Scale: 0}, "timestamp[us]", "datetime2(0)"},
		{Column{Type: "datetimeoffset", Scale: 7}, "timestamp[ns, tz=UTC]", "datetimeoffset(7)"},
		{Column{Type: "uniqueidentifier"}, "extension<arrow.uuid>", "uniqueidentifier"},
		{Column{Type: "xml", MaxLength: -1}, "utf8", "xml"},
		{Column{Type: "timestamp", MaxLength: 8}, "binary", "rowversion"},
		{Column{Type: "sysname", MaxLength: 256}, "utf8", "sysname"},
	}
	for _, tc := range tests {
		tc.col.Name = "c"
		tc.col.Nullable = true
		f, err := tc.col.Field()
		if err != nil {
			t.Errorf("%s: %v", tc.col.Type, err)
			continue
		}
		if f.Type.String() != tc.arrow {
			t.Errorf("%s: Arrow %s, want %s", tc.col.Type, f.Type, tc.arrow)
		}
		if d := tc.col.Decl(); d != tc.decl {
			t.Errorf("%s: Decl %s, want %s", tc.col.Type, d, tc.decl)
		}
		if ferry.FieldMeta(f, ferry.MetaSourceType) != tc.decl || ferry.FieldMeta(f, ferry.MetaSourceEngine) != ferry.EngineSQLServer {
			t.Errorf("%s: metadata %v", tc.col.Type, f.Metadata)
		}
		if tc.col.Type == "timestamp" {
			// rowversion cannot be written: a created table holds the copy
			// in binary(8).
			if d, err := DeclFor(f, false); err != nil || d != "binary(8)" {
				t.Errorf("rowversion: DeclFor = %s, %v; want binary(8)", d, err)
			}
			continue
		}
		// Back: a table created from the field has the source's type.
		if d, err := DeclFor(f, false); err != nil || d != tc.decl {
			t.Errorf("%s: DeclFor = %s, %v; want %s", tc.col.Type, d, err, tc.decl)
		}
	}
}

func TestUnsupportedTypesNameTheColumn(t *testing.T) {
	for _, typ := range []string{"sql_variant", "hierarchyid", "geography", "geometry", "my_clr_type"} {
		_, err := Column{Name: "shape", Type: typ}.Field()
		if err == nil || !strings.Contains(err.Error(), "column shape") || !strings.Contains(err.Error(), typ) {
			t.Errorf("%s: %v", typ, err)
		}
	}
}

func TestFieldMetadata(t *testing.T) {
	f, err := Column{Name: "name", Type: "nvarchar", MaxLength: 100, Collation: "Latin1_General_100_CI_AS_SC_UTF8", PKPos: 2}.Field()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		ferry.MetaSourceType: "nvarchar(50)", ferry.MetaNotNull: "true", ferry.MetaPrimaryKey: "2",
		ferry.MetaCharLength: "50", MetaCollation: "Latin1_General_100_CI_AS_SC_UTF8",
	} {
		if got := ferry.FieldMeta(f, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if f.Nullable {
		t.Error("NOT NULL column read as nullable")
	}
}

func TestDeclForOtherEngines(t *testing.T) {
	md := func(kv ...string) arrow.Metadata {
		var k, v []string
		for i := 0; i < len(kv); i += 2 {
			k, v = append(k, kv[i]), append(v, kv[i+1])
		}
		return arrow.NewMetadata(k, v)
	}
	tests := []struct {
		f    arrow.Field
		key  bool
		want string
	}{
		{arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int8}, false, "smallint"},
		{arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Uint8}, false, "tinyint"},
		{arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Uint16}, false, "int"},
		{arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Uint32}, false, "bigint"},
		{arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Uint64}, false, "decimal(20,0)"},
		{arrow.Field{Name: "a", Type: arrow.BinaryTypes.String}, false, "nvarchar(max)"},
		{arrow.Field{Name: "a", Type: arrow.BinaryTypes.String}, true, "nvarchar(450)"},
		{arrow.Field{Name: "a", Type: arrow.BinaryTypes.String, Metadata: md(ferry.MetaSourceEngine, ferry.EngineMySQL, ferry.MetaSourceType, "varchar(16)", ferry.MetaCharLength, "16")}, false, "nvarchar(16)"},
		{arrow.Field{Name: "a", Type: arrow.BinaryTypes.String, Metadata: md(ferry.MetaSourceEngine, ferry.EngineSQLServer, ferry.MetaSourceType, "varchar(max)")}, true, "nvarchar(450)"},
		{arrow.Field{Name: "a", Type: &arrow.TimestampType{Unit: arrow.Microsecond}}, false, "datetime2(6)"},
		{arrow.Field{Name: "a", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}}, false, "datetime2(7)"},
		{arrow.Field{Name: "a", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}, false, "datetimeoffset(6)"},
		{arrow.Field{Name: "a", Type: arrow.FixedWidthTypes.Time64us}, false, "time(6)"},
		{arrow.Field{Name: "a", Type: &arrow.Decimal256Type{Precision: 38, Scale: 2}}, false, "decimal(38,2)"},
		{arrow.Field{Name: "a", Type: arrow.BinaryTypes.Binary}, false, "varbinary(max)"},
		{arrow.Field{Name: "a", Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}}, false, "binary(16)"},
	}
	for _, tc := range tests {
		got, err := DeclFor(tc.f, tc.key)
		if err != nil || got != tc.want {
			t.Errorf("DeclFor(%s %v key=%v) = %s, %v; want %s", tc.f.Type, tc.f.Metadata, tc.key, got, err, tc.want)
		}
	}
	for _, typ := range []arrow.DataType{&arrow.Decimal256Type{Precision: 65, Scale: 30}, arrow.ListOf(arrow.PrimitiveTypes.Int64), arrow.FixedWidthTypes.MonthDayNanoInterval} {
		if _, err := DeclFor(arrow.Field{Name: "bad", Type: typ}, false); err == nil || !strings.Contains(err.Error(), "bad") {
			t.Errorf("DeclFor(%s) = %v, want an error naming the column", typ, err)
		}
	}
}

func TestParseTypeName(t *testing.T) {
	tests := []struct {
		in   string
		want Column
	}{
		{"nvarchar(50)", Column{Type: "nvarchar", MaxLength: 100}},
		{"varchar(max)", Column{Type: "varchar", MaxLength: -1}},
		{"decimal(38,10)", Column{Type: "decimal", Precision: 38, Scale: 10}},
		{"numeric(5, 2)", Column{Type: "numeric", Precision: 5, Scale: 2}},
		{"datetime2(3)", Column{Type: "datetime2", Scale: 3}},
		{"time", Column{Type: "time", Scale: 7}},
		{"float", Column{Type: "float", Precision: 53}},
		{"INT", Column{Type: "int"}},
	}
	for _, tc := range tests {
		got, err := ParseTypeName(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTypeName(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseTypeName("nvarchar(99999999999999999999)"); err == nil {
		t.Error("overflowing length accepted")
	}
	if _, err := ParseTypeName("nvarchar(50"); err == nil {
		t.Error("unbalanced parenthesis accepted")
	}
}

func TestSplitURL(t *testing.T) {
	tests := []struct {
		url     string
		dsn     string // the driver's connection string, "" for an error
		err     string
		ferryKV map[string]string
	}{
		{
			url:     "sqlserver://sa:s3cret@db.example:1433?database=shop&table=dbo.orders&splitPk=id&encrypt=disable",
			dsn:     "sqlserver://sa:s3cret@db.example:1433?database=shop&encrypt=disable",
			ferryKV: map[string]string{"table": "dbo.orders", "splitPk": "id"},
		},
		{
			url: "sqlserver://sa@db.example/SQLEXPRESS?database=shop&app+name=ferry&table=t",
			dsn: "sqlserver://sa@db.example/SQLEXPRESS?app+name=ferry&database=shop",
		},
		{url: "sqlserver://sa:s3cret@h?table=t&bogus=1", err: "unknown URL parameter bogus"},
		{url: "sqlserver://sa:s3cret@h?table=t&timezone=Asia%2FShanghai", err: "timezone"},
		{url: "sqlserver://sa:s3cret@h?table=t&guid+conversion=true", err: "guid conversion"},
		{url: "sqlserver://sa:s3cret@h?table=t&encrypt=maybe", err: "encrypt"},
		{url: "mysql://h/db", err: "not sqlserver"},
		{url: "sqlserver:///nohost", err: "no host"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		dsn, p, err := SplitURL("x", u, Params(urlparam.Table{{Name: "table"}, {Name: "splitPk"}}))
		if err == nil {
			for k, v := range tc.ferryKV {
				if got := p.String(k, ""); got != v {
					t.Errorf("%s: %s = %q, want %q", tc.url, k, got, v)
				}
			}
			p.String("table", "")
			p.String("splitPk", "")
			err = p.Done()
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.url, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: the error shows the password: %v", tc.url, err)
			}
			continue
		}
		if err != nil || dsn != tc.dsn {
			t.Errorf("%s: dsn %q, %v; want %q", tc.url, dsn, err, tc.dsn)
		}
	}
}

func TestCheckDSNAndRedact(t *testing.T) {
	if err := CheckDSN("x", "server=h;user id=sa;password=s3cret;database=db"); err != nil {
		t.Error(err)
	}
	if err := CheckDSN("x", "server=h;guid conversion=true"); err == nil {
		t.Error("guid conversion accepted")
	}
	if err := CheckDSN("x", ""); err == nil {
		t.Error("empty DSN accepted")
	}
	for _, dsn := range []string{"server=h;user id=sa;Password=s3cret", "sqlserver://sa:s3cret@h?database=d", "sqlserver://sa@h?password=s3cret"} {
		if r := Redact(dsn); strings.Contains(r, "s3cret") {
			t.Errorf("Redact(%q) = %q", dsn, r)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	srv := func(n int32, msg string) error {
		return fmt.Errorf("wrapped: %w", mssql.Error{Number: n, Message: msg})
	}
	tests := []struct {
		err                   error
		retry, data, connLost bool
		column                string
	}{
		{srv(1205, "Transaction (Process ID 57) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction."), true, false, false, ""},
		{srv(1222, "Lock request time out period exceeded."), true, false, false, ""},
		{srv(3960, "Snapshot isolation transaction aborted due to update conflict."), true, false, false, ""},
		{srv(40613, "Database 'x' on server 'y' is not currently available."), true, false, false, ""},
		{srv(515, "Cannot insert the value NULL into column 'price', table 'db.dbo.t'; column does not allow nulls. INSERT fails."), false, true, false, "price"},
		{srv(2628, "String or binary data would be truncated in table 'db.dbo.t', column 'name'. Truncated value: 'abc'."), false, true, false, "name"},
		{srv(4815, "Received an invalid column length from the bcp client for colid 2."), false, true, false, "b"},
		{srv(8115, "Arithmetic overflow error converting numeric to data type numeric."), false, true, false, ""},
		{srv(208, "Invalid object name 'x'."), false, false, false, ""},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), false, false, true, ""},
		{errors.New("driver: bad connection"), false, false, false, ""},
	}
	for _, tc := range tests {
		if got := IsRetryable(tc.err); got != tc.retry {
			t.Errorf("IsRetryable(%v) = %v", tc.err, got)
		}
		if got := IsData(tc.err); got != tc.data {
			t.Errorf("IsData(%v) = %v", tc.err, got)
		}
		if got := IsConnLost(tc.err); got != tc.connLost {
			t.Errorf("IsConnLost(%v) = %v", tc.err, got)
		}
		if got := ErrorColumn(tc.err, []string{"a", "b", "c"}); got != tc.column {
			t.Errorf("ErrorColumn(%v) = %q, want %q", tc.err, got, tc.column)
		}
	}
}

func TestParseTable(t *testing.T) {
	tn, err := ParseTable("[my db].dbo.[or]]ders]")
	if err != nil {
		t.Fatal(err)
	}
	if tn.Quoted != "[my db].[dbo].[or]]ders]" || tn.Catalog != "[my db]." || tn.Object() != "or]ders" {
		t.Errorf("%+v", tn)
	}
	if s := tn.Sibling("ferry_stage_x"); s != "[my db].[dbo].[ferry_stage_x]" {
		t.Errorf("Sibling = %s", s)
	}
	if _, err := ParseTable("a.b.c.d"); err == nil {
		t.Error("four parts accepted")
	}
	if _, err := ParseTable("t]; DROP TABLE x; --"); err == nil {
		t.Error("injection accepted")
	}
}

func TestFormatDecimal(t *testing.T) {
	vals := []int64{0, 1, -1, 5, -5, 12345, -12345, 100, 9223372036854775807, -9223372036854775807, -9223372036854775808}
	for _, v := range vals {
		for _, sc := range []int32{0, 1, 2, 4, 10, 18, 19, 38} {
			n := decimal128.FromI64(v)
			if got, want := FormatDecimal(n, sc), n.ToString(sc); got != want {
				t.Errorf("FormatDecimal(%d, %d) = %s, want %s", v, sc, got, want)
			}
		}
	}
	big, _ := decimal128.FromString(strings.Repeat("9", 38), 38, 0)
	if got := FormatDecimal(big, 2); got != big.ToString(2) {
		t.Errorf("38 digits: %s", got)
	}
}
