package fileset

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/connectortest"
)

// TestCodecRoundTrip round-trips every standard column through the text and
// the JSON form.
func TestCodecRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := connectortest.Schema(nil)
	data := connectortest.Batch(mem, schema, 12)
	defer data.Release()
	for c, f := range schema.Fields() {
		col := data.Column(c)
		for _, form := range []string{"text", "json"} {
			b := array.NewBuilder(mem, f.Type)
			for i := 0; i < col.Len(); i++ {
				var v any
				var err error
				if form == "text" {
					if col.IsNull(i) {
						b.AppendNull()
						continue
					}
					v, err = ParseText(f.Type, string(AppendText(nil, col, i)))
				} else {
					v, err = ParseJSON(f.Type, AppendJSON(nil, col, i))
				}
				require.NoError(t, err, "%s %s row %d: %q", f.Name, form, i, AppendText(nil, col, i))
				require.NoError(t, AppendValue(b, v))
			}
			got := b.NewArray()
			b.Release()
			require.True(t, array.ApproxEqual(col, got, array.WithNaNsEqual(true)), "%s %s:\nwant %v\ngot  %v", f.Name, form, col, got)
			got.Release()
		}
	}
}

func TestParseColumns(t *testing.T) {
	s, err := ParseColumns("id:int64, name:utf8,amount:decimal(12,2),ts:timestamp[us],tz:timestamp[us,UTC],v:fixed_size_list<float32>[3],l:list<decimal(50,3)>,plain")
	require.NoError(t, err)
	require.Equal(t, 8, s.NumFields())
	require.Equal(t, "decimal(12, 2)", s.Field(2).Type.String())
	require.Equal(t, arrow.BinaryTypes.String, s.Field(7).Type)
	spec, err := FormatColumns(connectortest.Schema(nil))
	require.NoError(t, err)
	back, err := ParseColumns(spec)
	require.NoError(t, err)
	for i, f := range connectortest.Schema(nil).Fields() {
		require.True(t, arrow.TypeEqual(f.Type, back.Field(i).Type), "%s: %s vs %s", f.Name, f.Type, back.Field(i).Type)
	}
	nested := "s:struct<a:int64,b:list<struct<x:utf8>>>,m:map<utf8,list<int64>>,h:float16,fb:fixed_size_binary[3],n:null"
	ns, err := ParseColumns(nested)
	require.NoError(t, err)
	require.Equal(t, "struct<a: int64 nullable, b: list<item: struct<x: utf8 nullable>, nullable> nullable>", ns.Field(0).Type.String())
	require.Equal(t, "map<utf8, list<item: int64, nullable>, items_nullable>", ns.Field(1).Type.String())
	spec, err = FormatColumns(ns)
	require.NoError(t, err)
	require.Equal(t, nested, spec)
	for _, bad := range []string{"", "a:int99", "a:decimal(99,2)", "a:int,a:int", "a:list<int", ":int", "a:map<int>", "a:fixed_size_binary[0]", "a:struct<>"} {
		_, err := ParseColumns(bad)
		require.Error(t, err, bad)
	}
}

func TestDecimalParsing(t *testing.T) {
	// text decimal128.FromString panics on (found by FuzzParseText)
	for _, dt := range []arrow.DataType{&arrow.Decimal128Type{Precision: 12, Scale: 2}, &arrow.Decimal256Type{Precision: 60, Scale: 2}} {
		for _, bad := range []string{"-Inf", "NaN", "inf", "1e", "e5", "1.2.3", "0x10", "1e99999"} {
			_, err := ParseText(dt, bad)
			require.Error(t, err, bad)
		}
	}
	dt := &arrow.Decimal128Type{Precision: 12, Scale: 2}
	for in, want := range map[string]string{"1.5": "1.50", "-0.01": "-0.01", "+7": "7.00", "9999999999.99": "9999999999.99", "1e2": "100.00", ".5": "0.50"} {
		v, err := ParseText(dt, in)
		require.NoError(t, err, in)
		require.Equal(t, want, v.(interface{ ToString(int32) string }).ToString(2), in)
	}
	for _, bad := range []string{"1.234", "99999999999.00", "", "-", "abc", "1,5"} {
		_, err := ParseText(dt, bad)
		require.Error(t, err, bad)
	}
}

func TestDateTimeParsing(t *testing.T) {
	for _, bad := range []string{"2024-02-30", "2023-02-29", "2024-13-01", "2024-1-01", "24-01-01"} {
		_, err := ParseText(arrow.FixedWidthTypes.Date32, bad)
		require.Error(t, err, bad)
	}
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	for _, bad := range []string{"2024-02-30 00:00:00", "2024-01-01 24:00:00", "2024-01-01 00:00:00.", "2024-01-01 00:00:00.1234567890", "2024-01-01 00:00:00.1234567"} {
		_, err := ParseText(ts, bad)
		require.Error(t, err, bad)
	}
	for in, want := range map[string]string{
		"2024-02-29 23:59:59.5":         "2024-02-29 23:59:59.5",
		"2024-02-29T23:59:59.000001":    "2024-02-29 23:59:59.000001",
		"2024-02-29T23:59:59+01:00":     "2024-02-29 22:59:59",
		"2024-02-29":                    "2024-02-29 00:00:00",
		"0001-01-01 00:00:00":           "0001-01-01 00:00:00",
		"2024-02-29 23:59:59.123456000": "2024-02-29 23:59:59.123456",
		// PostgreSQL's timestamptz text
		"2025-07-01 00:00:01+00":    "2025-07-01 00:00:01",
		"2025-07-01 00:00:01.25+05": "2025-06-30 19:00:01.25",
		"2025-07-01 00:00:01+0530":  "2025-06-30 18:30:01",
		"2025-07-01T00:00:01-03":    "2025-07-01 03:00:01",
		"2025-07-01 00:00:01-09:30": "2025-07-01 09:30:01",
	} {
		v, err := ParseText(ts, in)
		require.NoError(t, err, in)
		b := array.NewTimestampBuilder(memory.DefaultAllocator, ts)
		require.NoError(t, AppendValue(b, v))
		a := b.NewArray()
		require.Equal(t, want, string(AppendText(nil, a, 0)), in)
		a.Release()
		b.Release()
	}
}

func TestAppendScaled(t *testing.T) {
	for _, c := range []struct {
		v     int64
		scale int32
		want  string
	}{{1250, 2, "12.50"}, {-5, 2, "-0.05"}, {0, 3, "0.000"}, {7, 0, "7"}, {-9223372036854775808, 4, "-922337203685477.5808"}, {12, -2, "1200"}} {
		require.Equal(t, c.want, string(appendScaled(nil, c.v, c.scale)))
	}
}
