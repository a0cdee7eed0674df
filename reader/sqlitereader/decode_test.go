package sqlitereader

import (
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

func TestParseDecimal(t *testing.T) {
	typ := &arrow.Decimal128Type{Precision: 10, Scale: 2}
	for _, tc := range []struct {
		in   any
		want string // "" means an error
	}{
		{"1.5", "1.50"}, {"-0.01", "-0.01"}, {"12345678.99", "12345678.99"}, {"+3", "3.00"},
		{"1.230", "1.23"}, {"0", "0.00"}, {"-0", "0.00"}, {".5", "0.50"},
		{"1.234", ""}, {"123456789.00", ""}, {"abc", ""}, {"-", ""}, {".", ""}, {"-.", ""}, {"1e2", "100.00"},
		{int64(42), "42.00"}, {1.25, "1.25"}, {"99999999.99", "99999999.99"},
	} {
		c := newColumn("d", typ, kDecimal128)
		err := c.parse(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%v: got %s, want an error", tc.in, c.d128.ToString(2))
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.in, err)
			continue
		}
		if got := c.d128.ToString(2); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in     string
		us     int64
		nanos  int64
		wantOK bool
	}{
		{"1970-01-01 00:00:00", 0, 0, true},
		{"1970-01-01 00:00:00.000001", 1, 0, true},
		{"1970-01-01T00:00:01.5Z", 1_500_000, 0, true},
		{"1970-01-01 01:00:00+01:00", 0, 0, true},
		{"1969-12-31 23:59:59.999999", -1, 0, true},
		{"1970-01-01 00:00:00.000000001", 0, 1, true},
		{"0001-01-01 00:00:00", -62135596800000000, 0, true},
		{"9999-12-31 23:59:59.999999", 253402300799999999, 0, true},
		{"2024-02-30 00:00:00", 0, 0, false},
		{"2024-01-01 24:00:00", 0, 0, false},
		{"yesterday", 0, 0, false},
		{"2024-01-01 10:00:00 junk", 0, 0, false},
	} {
		us, nanos, err := parseTimestamp(tc.in)
		if (err == nil) != tc.wantOK {
			t.Errorf("%q: err %v, want ok=%v", tc.in, err, tc.wantOK)
			continue
		}
		if tc.wantOK && (us != tc.us || nanos != tc.nanos) {
			t.Errorf("%q: got %d us + %d ns, want %d + %d", tc.in, us, nanos, tc.us, tc.nanos)
		}
	}
}

// TestParseTimestampCached: a column's date cache gives what parsing does,
// for a sequence with repeated days, day changes, bad dates in between (a
// bad date is not cached), a bad clock after a cached date, and text
// shorter than a date.
func TestParseTimestampCached(t *testing.T) {
	var yc ymdCache
	for _, s := range []string{
		"2026-01-01 00:00:02.592000", "2026-01-01 00:00:05.184000", "2026-01-01T23:59:59Z", "2026-01-02 00:00:00",
		"2026-01-02 25:00:00", "2026-01-02", "2026-01-0", "2026-01-02 00:00:01+01:00", "2024-02-30 00:00:00",
		"2024-02-29 12:00:00", "2024-02-29 12:00:00 junk", "2024-02-29 12:00:00.000000001", "", "2024-02-29x12:00",
		"1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999", "2024-02-29 12:00:00",
	} {
		wus, wns, werr := parseTimestamp(s)
		us, ns, err := parseTimestampCached(s, &yc)
		if (err == nil) != (werr == nil) || us != wus || ns != wns {
			t.Errorf("%q: cached %d us + %d ns, %v; want %d + %d, %v", s, us, ns, err, wus, wns, werr)
		}
	}
	c := newColumn("ts", &arrow.TimestampType{Unit: arrow.Microsecond}, kTimestamp)
	for _, s := range []string{"2026-01-01 00:00:02.592000", "2026-01-01 00:00:05.184000", "2026-01-03 00:00:00"} {
		wus, _, _ := parseTimestamp(s)
		if err := c.fromText(s); err != nil || c.i != wus {
			t.Errorf("column %q: %d, %v; want %d", s, c.i, err, wus)
		}
	}
}

func TestArrowType(t *testing.T) {
	for decl, want := range map[string]string{
		"INTEGER": "int64", "int": "int64", "BIGINT": "int64", "SMALLINT": "int16", "INT32": "int32", "TINYINT": "int8",
		"UNSIGNED BIGINT": "uint64", "INT UNSIGNED": "uint32", "REAL": "float64", "DOUBLE PRECISION": "float64", "FLOAT32": "float32",
		"VARCHAR(20)": "utf8", "TEXT": "utf8", "": "utf8", "BLOB": "binary", "BOOLEAN": "bool", "DATE": "date32",
		"DATETIME": "timestamp[us]", "TIMESTAMP": "timestamp[us]", "DATETIME(9)": "timestamp[ns]", "TIMESTAMPTZ": "timestamp[us, tz=UTC]",
		"timestamp with time zone": "timestamp[us, tz=UTC]", "DECIMAL(10,2)": "decimal(10, 2)", "DECIMAL TEXT(38,10)": "decimal(38, 10)",
		"NUMERIC(50,5)": "decimal256(50, 5)", "NUMERIC": "utf8", "UUID": "extension<arrow.uuid>", "JSON TEXT": "extension<arrow.json[storage_type=utf8]>",
		"TIME": "time64[us]",
	} {
		got, err := ArrowType(decl)
		if err != nil {
			t.Errorf("%q: %v", decl, err)
			continue
		}
		if got.String() != want {
			t.Errorf("%q: got %s, want %s", decl, got, want)
		}
	}
	if _, err := ArrowType("DECIMAL(80,2)"); err == nil {
		t.Error("DECIMAL(80,2): want an error")
	}
}

// TestCheckJSON: a JSON column accepts exactly what encoding/json's
// json.Valid accepts (checkJSON uses fileset's faster scanner), and a value
// read through the typed text path lands in the builder unchanged.
func TestCheckJSON(t *testing.T) {
	typ, k, err := typeOf("JSON")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		`{}`, `[]`, `null`, ` {"a": [1, 2.5e-3, true, null, "x\u00e9\n"]} `, `"ünï"`, `-0`, `1E+2`,
		``, ` `, `{`, `{"a":}`, `[1,]`, `01`, `1.`, `"\x"`, `{"a":1}{`, `nul`, `"tab	inside"`, "\"\x01\"",
		`{"a":1} x`, `[[[[[[[[[[]]]]]]]]]]`, `"\ud800"`, `1e`, `+1`, `.5`, `{"a" 1}`,
	} {
		want := json.Valid([]byte(in))
		if got := checkJSON(in) == nil; got != want {
			t.Errorf("%q: checkJSON ok=%v, json.Valid %v", in, got, want)
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		c := newColumn("j", typ, k)
		c.bld = array.NewBuilder(mem, typ)
		if err := c.fromText(in); (err == nil) != want {
			t.Errorf("%q: fromText err %v, json.Valid %v", in, err, want)
		} else if err == nil {
			c.add()
			arr := c.bld.NewArray()
			if got := arr.(*extensions.JSONArray).Storage().(*array.String).Value(0); got != in {
				t.Errorf("%q: builder holds %q", in, got)
			}
			arr.Release()
		}
		c.bld.Release()
		mem.AssertSize(t, 0)
	}
}

// TestParseCanonicalUUID checks the fast path of UUID text against
// uuid.Parse: the same value for the canonical form, a fallback (false)
// for every other form, and an error from textUUID for bad text.
func TestParseCanonicalUUID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fast bool // taken by the fast path
		ok   bool // a UUID at all (uuid.Parse accepts it)
	}{
		{"c4ca4238-a0b9-2382-0dcc-509a6f75849b", true, true},
		{"C4CA4238-A0B9-2382-0DCC-509A6F75849B", true, true},
		{"00000000-0000-0000-0000-000000000000", true, true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true, true},
		{"c4ca4238a0b923820dcc509a6f75849b", false, true},
		{"{c4ca4238-a0b9-2382-0dcc-509a6f75849b}", false, true},
		{"urn:uuid:c4ca4238-a0b9-2382-0dcc-509a6f75849b", false, true},
		{"c4ca4238-a0b9-2382-0dcc-509a6f75849g", false, false},
		{"c4ca4238-a0b9-2382-0dcc-509a6f75849", false, false},
		{"c4ca4238-a0b9-2382-0dcc_509a6f75849b", false, false},
		{"c4ca4238-a0b9-2382-0dcc-509a6f7584\x009b", false, false},
		{"c4ca4238-a0b9-2382-0dcc-509a6f75849\xff", false, false},
		{"", false, false},
	} {
		var id uuid.UUID
		fast := parseCanonicalUUID(&id, tc.in)
		if fast != tc.fast {
			t.Errorf("%q: fast path %v, want %v", tc.in, fast, tc.fast)
		}
		want, err := uuid.Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Fatalf("%q: uuid.Parse: %v (test case wrong)", tc.in, err)
		}
		if fast && id != want {
			t.Errorf("%q: fast path %s, uuid.Parse %s", tc.in, id, want)
		}
		c := newColumn("ref", extensions.NewUUIDType(), kUUID)
		err = c.fromText(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: fromText error %v, want a UUID: %v", tc.in, err, tc.ok)
		}
		if err == nil && c.id != want {
			t.Errorf("%q: fromText %s, want %s", tc.in, c.id, want)
		}
	}
}
