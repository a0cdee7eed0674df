package connectortest

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// Column is one column of the standard conformance table.
type Column struct {
	Name string
	Type arrow.DataType
}

// The standard columns, one for every type of Ferry's type mapping.
var standardColumns = []Column{
	{"id", arrow.PrimitiveTypes.Int64},
	{"str", arrow.BinaryTypes.String},
	{"i16", arrow.PrimitiveTypes.Int16},
	{"i32", arrow.PrimitiveTypes.Int32},
	{"i64", arrow.PrimitiveTypes.Int64},
	{"u8", arrow.PrimitiveTypes.Uint8},
	{"u16", arrow.PrimitiveTypes.Uint16},
	{"u32", arrow.PrimitiveTypes.Uint32},
	{"u64", arrow.PrimitiveTypes.Uint64},
	{"dec", &arrow.Decimal128Type{Precision: 38, Scale: 10}},
	{"dec256", &arrow.Decimal256Type{Precision: 65, Scale: 30}},
	{"f32", arrow.PrimitiveTypes.Float32},
	{"f64", arrow.PrimitiveTypes.Float64},
	{"bin", arrow.BinaryTypes.Binary},
	{"flag", arrow.FixedWidthTypes.Boolean},
	{"day", arrow.FixedWidthTypes.Date32},
	{"tod", arrow.FixedWidthTypes.Time64us},
	{"ts", &arrow.TimestampType{Unit: arrow.Microsecond}},
	{"tstz", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{"uid", extensions.NewUUIDType()},
	{"doc", mustJSON()},
	{"ints", arrow.ListOf(arrow.PrimitiveTypes.Int64)},
	{"strs", arrow.ListOf(arrow.BinaryTypes.String)},
	{"span", arrow.FixedWidthTypes.MonthDayNanoInterval},
	{"vec", arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32)},
}

func mustJSON() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}

// Columns returns the standard columns of the conformance table: "id" (the
// non-null int64 key), "str" (utf8), and one column for each other type of
// Ferry's type mapping.
func Columns() []Column { return slices.Clone(standardColumns) }

// Schema returns the standard schema restricted to names (nil means every
// column). "id" and "str" are always included, first; "id" is not nullable.
func Schema(names []string) *arrow.Schema {
	var fields []arrow.Field
	for _, c := range standardColumns {
		if c.Name != "id" && c.Name != "str" && names != nil && !slices.Contains(names, c.Name) {
			continue
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Name != "id"})
	}
	return arrow.NewSchema(fields, nil)
}

// NastyStrings are text values every connector must carry exactly.
var NastyStrings = []string{
	"",
	"tab\there",
	"new\nline and \r\n crlf",
	`quote " double "" and 'single'`,
	`back\slash \\ and \N and \t literal`,
	"NULL",
	`\N`,
	"comma, semicolon; pipe | end",
	"emoji 😀 ünïcödé 中文 עברית",
	"  leading and trailing spaces  ",
}

var (
	minDay  = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDay  = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// Batch builds n rows (ids 1..n) of schema, whose columns must be standard
// columns. The first rows hold the minimums, the maximums, all NULLs (but
// id), NaN and the nasty strings; the rest are ordinary values. The caller
// releases the batch.
func Batch(mem memory.Allocator, schema *arrow.Schema, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := 0; i < n; i++ {
		for c, f := range schema.Fields() {
			appendValue(b.Field(c), f.Name, i)
		}
	}
	return b.NewRecordBatch()
}

// row kinds of the first rows.
const (
	rowMin = iota
	rowMax
	rowNull
	rowNaN
)

func appendValue(fb array.Builder, name string, i int) {
	if name == "id" {
		fb.(*array.Int64Builder).Append(int64(i + 1))
		return
	}
	if i == rowNull {
		fb.AppendNull()
		return
	}
	switch b := fb.(type) {
	case *array.StringBuilder:
		switch {
		case i < len(NastyStrings):
			b.Append(NastyStrings[i])
		default:
			b.Append(fmt.Sprintf("row %d", i+1))
		}
	case *array.Int16Builder:
		b.Append(pick(i, int16(math.MinInt16), int16(math.MaxInt16), int16(i%30000-15000)))
	case *array.Int32Builder:
		b.Append(pick(i, int32(math.MinInt32), int32(math.MaxInt32), int32(i*7919-1000000)))
	case *array.Int64Builder:
		b.Append(pick(i, int64(math.MinInt64), int64(math.MaxInt64), int64(i)*1_000_000_007-5))
	case *array.Uint8Builder:
		b.Append(pick(i, uint8(0), uint8(math.MaxUint8), uint8(i%256)))
	case *array.Uint16Builder:
		b.Append(pick(i, uint16(0), uint16(math.MaxUint16), uint16(i%65536)))
	case *array.Uint32Builder:
		b.Append(pick(i, uint32(0), uint32(math.MaxUint32), uint32(i*104729)))
	case *array.Uint64Builder:
		b.Append(pick(i, uint64(0), uint64(math.MaxUint64), uint64(i)*1_000_000_000_039))
	case *array.Decimal128Builder:
		t := b.Type().(*arrow.Decimal128Type)
		b.Append(decimal128.FromBigInt(decValue(i, t.Precision, t.Scale)))
	case *array.Decimal256Builder:
		t := b.Type().(*arrow.Decimal256Type)
		b.Append(decimal256.FromBigInt(decValue(i, t.Precision, t.Scale)))
	case *array.Float32Builder:
		b.Append(pick(i, float32(math.Inf(-1)), math.MaxFloat32, float32(math.NaN()), float32(i)*0.25-3))
	case *array.Float64Builder:
		b.Append(pick(i, math.Inf(-1), math.Inf(1), math.NaN(), -math.MaxFloat64, math.SmallestNonzeroFloat64, float64(i)*1.0625-7))
	case *array.BinaryBuilder:
		b.Append(pick(i, []byte{}, []byte{0, 0xff, '\t', '\n', '\\', 'N', 0}, []byte("plain"), []byte{byte(i), byte(i >> 8), 0}))
	case *array.BooleanBuilder:
		b.Append(i%2 == 1)
	case *array.Date32Builder:
		b.Append(arrow.Date32FromTime(pick(i, minDay, maxDay, time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i))))
	case *array.Time64Builder:
		b.Append(arrow.Time64(pick(i, int64(0), int64(86399999999), int64(43200000001), int64(i)*1_000_003%86_400_000_000)))
	case *array.TimestampBuilder:
		v := pick(i, minDay, maxTime, time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(2024, 3, 10, 2, 30, 0, 0, time.UTC).Add(time.Duration(i)*time.Second+time.Duration(i)*time.Microsecond))
		b.Append(arrow.Timestamp(v.UnixMicro()))
	case *extensions.UUIDBuilder:
		b.Append(pick(i, uuid.UUID{}, uuid.Max, uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint(i)))))
	case *array.ExtensionBuilder:
		b.Builder.(*array.StringBuilder).Append(pick(i, `{}`, `{"a": [1, 2, {"b": null}], "s": "x\"y\\z 😀"}`, `[]`, fmt.Sprintf(`{"n": %d}`, i)))
	case *array.ListBuilder:
		b.Append(true)
		switch vb := b.ValueBuilder().(type) {
		case *array.Int64Builder:
			vb.AppendValues(pick(i, []int64{}, []int64{math.MinInt64, math.MaxInt64, 0}, []int64{1}, []int64{int64(i), int64(-i)}), nil)
		case *array.StringBuilder:
			switch i {
			case rowMin:
				vb.Append("")
			case rowMax:
				vb.AppendValues([]string{"a,b", `q"uote`, "back\\slash", "{brace}", "tab\t"}, nil)
			case rowNaN:
				vb.AppendNull()
				vb.Append("NULL")
			default:
				vb.AppendValues([]string{fmt.Sprint(i), "x"}, nil)
			}
		}
	case *array.MonthDayNanoIntervalBuilder:
		b.Append(pick(i, arrow.MonthDayNanoInterval{Months: -14, Days: -3, Nanoseconds: -4_000_001_000}, arrow.MonthDayNanoInterval{Months: 1200, Days: 31, Nanoseconds: 86_399_999_999_000}, arrow.MonthDayNanoInterval{}, arrow.MonthDayNanoInterval{Months: int32(i % 24), Days: int32(i % 30), Nanoseconds: int64(i) * 1000}))
	case *array.FixedSizeListBuilder:
		b.Append(true)
		vb := b.ValueBuilder().(*array.Float32Builder)
		vb.AppendValues(pick(i, []float32{0, -1.5, 1e-30}, []float32{math.MaxFloat32, -math.MaxFloat32, 3.25}, []float32{1, 2, 3}, []float32{float32(i), 0.5, -0.5}), nil)
	default:
		panic(fmt.Sprintf("connectortest: no values for column %s of type %s", name, fb.Type()))
	}
}

// pick returns vals[0] for the minimum row, vals[1] for the maximum row, and
// for later rows vals[2], vals[3]... with the last value repeating.
func pick[T any](i int, vals ...T) T {
	switch {
	case i == rowMin:
		return vals[0]
	case i == rowMax:
		return vals[1]
	}
	k := i - rowNull // rowNull never gets here, so k >= 1
	if k+1 < len(vals) {
		return vals[k+1]
	}
	return vals[len(vals)-1]
}

// decValue returns the minimum, the maximum or an ordinary value of a decimal
// with precision p and scale s, as an unscaled integer.
func decValue(i int, p, s int32) *big.Int {
	max := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil), big.NewInt(1))
	switch i {
	case rowMin:
		return max.Neg(max)
	case rowMax:
		return max
	}
	// i.5 scaled, with a few digits after the point
	v := big.NewInt(int64(i)*1000 + 125)
	v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s-3)), nil))
	if i%2 == 0 {
		v.Neg(v)
	}
	return v
}
