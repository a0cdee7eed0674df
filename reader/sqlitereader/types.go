package sqlitereader

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry"
)

// MetaSourceType is the field metadata key that keeps a column's declared
// SQLite type; it is ferry.MetaSourceType.
const MetaSourceType = ferry.MetaSourceType

// charLength returns n of a character type declared with a length
// (VARCHAR(16), CHAR(3), NVARCHAR(40), CHARACTER VARYING(8)), or 0.
func charLength(decl string) int {
	u := strings.ToUpper(strings.TrimSpace(decl))
	i := strings.IndexByte(u, '(')
	if i < 0 || !strings.HasSuffix(u, ")") || !strings.Contains(u[:i], "CHAR") {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(u[i+1 : len(u)-1]))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// kind is how a column's values are decoded.
type kind uint8

const (
	kInt8 kind = iota
	kInt16
	kInt32
	kInt64
	kUint8
	kUint16
	kUint32
	kUint64
	kFloat32
	kFloat64
	kBool
	kString
	kBinary
	kDecimal128
	kDecimal256
	kDate32
	kTime64
	kTimestamp
	kTimestampTZ
	kUUID
	kJSON
	kList      // JSON array text, declared "<element type> LIST"
	kFixedList // JSON array text, declared "<element type> VECTOR(n)"
	kInterval  // JSON object text, declared "INTERVAL MONTH_DAY_NANO"
)

var jsonType = func() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}()

// ArrowType returns the Arrow type of a column declared as decl, following
// SQLite's affinity rules refined by the type name:
//
//	TINYINT                                 int8
//	SMALLINT, INT2, INT16                   int16
//	MEDIUMINT, INT4, INT32                  int32
//	other names containing INT              int64 (INTEGER, INT, BIGINT, INT8)
//	UNSIGNED TINYINT/SMALLINT/INT/BIGINT    uint8/uint16/uint32/uint64
//	BOOLEAN, BOOL                           bool
//	FLOAT4, FLOAT32                         float32
//	REAL, DOUBLE, FLOAT                     float64
//	DECIMAL(p,s), NUMERIC(p,s)              decimal128(p,s) (p ≤ 38), decimal256 (p ≤ 76)
//	DECIMAL, NUMERIC without precision      utf8 (the exact text)
//	DATE                                    date32
//	TIME                                    time64[us] (TIME(9): [ns])
//	DATETIME, TIMESTAMP                     timestamp[us] (DATETIME(9)/TIMESTAMP(9): [ns])
//	TIMESTAMPTZ, TIMESTAMP WITH TIME ZONE   timestamp[us, UTC]
//	UUID                                    uuid extension
//	JSON, JSONB                             json extension
//	BLOB, BYTEA, BINARY, VARBINARY          binary
//	CHAR, VARCHAR, TEXT, CLOB, none         utf8
//	<element type> LIST                     list<element> (JSON array text)
//	<element type> VECTOR(n)                fixed_size_list<element>[n] (JSON array text)
//	INTERVAL MONTH_DAY_NANO                 month_day_nano_interval (JSON object text)
//
// Any other name falls back to SQLite's affinity: REAL affinity gives
// float64, NUMERIC affinity gives utf8 (the exact text).
func ArrowType(decl string) (arrow.DataType, error) {
	t, _, err := typeOf(decl)
	return t, err
}

func typeOf(decl string) (arrow.DataType, kind, error) {
	u := strings.ToUpper(strings.TrimSpace(decl))
	if t, k, ok, err := nestedType(u); ok || err != nil {
		return t, k, err
	}
	name, args := u, ""
	if i := strings.IndexByte(u, '('); i >= 0 {
		name = strings.TrimSpace(u[:i])
		if j := strings.LastIndexByte(u, ')'); j > i {
			args = u[i+1 : j]
			name = strings.TrimSpace(name + " " + strings.TrimSpace(u[j+1:]))
		}
	}
	words := strings.Fields(name)
	has := func(w string) bool {
		for _, x := range words {
			if x == w {
				return true
			}
		}
		return false
	}
	first := ""
	if len(words) > 0 {
		first = words[0]
	}
	switch {
	case has("UNSIGNED"):
		switch {
		case has("TINYINT"):
			return arrow.PrimitiveTypes.Uint8, kUint8, nil
		case has("SMALLINT"):
			return arrow.PrimitiveTypes.Uint16, kUint16, nil
		case has("BIGINT"), has("BIG"):
			return arrow.PrimitiveTypes.Uint64, kUint64, nil
		case strings.Contains(name, "INT"):
			return arrow.PrimitiveTypes.Uint32, kUint32, nil
		}
	case first == "TINYINT":
		return arrow.PrimitiveTypes.Int8, kInt8, nil
	case first == "SMALLINT", first == "INT2", first == "INT16":
		return arrow.PrimitiveTypes.Int16, kInt16, nil
	case first == "MEDIUMINT", first == "INT4", first == "INT32":
		return arrow.PrimitiveTypes.Int32, kInt32, nil
	case first == "BOOLEAN", first == "BOOL":
		return arrow.FixedWidthTypes.Boolean, kBool, nil
	case first == "FLOAT4", first == "FLOAT32":
		return arrow.PrimitiveTypes.Float32, kFloat32, nil
	case first == "DECIMAL", first == "NUMERIC":
		if args == "" {
			return arrow.BinaryTypes.String, kString, nil
		}
		p, s, err := precScale(args)
		if err != nil {
			return nil, 0, fmt.Errorf("declared type %q: %w", decl, err)
		}
		switch {
		case p <= 38:
			return &arrow.Decimal128Type{Precision: p, Scale: s}, kDecimal128, nil
		case p <= 76:
			return &arrow.Decimal256Type{Precision: p, Scale: s}, kDecimal256, nil
		}
		return nil, 0, fmt.Errorf("declared type %q: precision %d is above 76", decl, p)
	case first == "DATE":
		return arrow.FixedWidthTypes.Date32, kDate32, nil
	case first == "TIME":
		if args != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(args)); err == nil && n > 6 {
				return arrow.FixedWidthTypes.Time64ns, kTime64, nil
			}
		}
		return arrow.FixedWidthTypes.Time64us, kTime64, nil
	case first == "TIMESTAMPTZ", first == "TIMESTAMP" && has("ZONE") && !has("WITHOUT"):
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, kTimestampTZ, nil
	case first == "DATETIME", first == "TIMESTAMP":
		unit := arrow.Microsecond
		if args != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(args)); err == nil && n > 6 {
				unit = arrow.Nanosecond
			}
		}
		return &arrow.TimestampType{Unit: unit}, kTimestamp, nil
	case first == "UUID":
		return extensions.NewUUIDType(), kUUID, nil
	case first == "JSON", first == "JSONB":
		return jsonType, kJSON, nil
	case first == "BYTEA", first == "BINARY", first == "VARBINARY":
		return arrow.BinaryTypes.Binary, kBinary, nil
	}
	// SQLite's affinity rules, in their order.
	switch {
	case strings.Contains(u, "INT"):
		return arrow.PrimitiveTypes.Int64, kInt64, nil
	case strings.Contains(u, "CHAR"), strings.Contains(u, "CLOB"), strings.Contains(u, "TEXT"), u == "":
		return arrow.BinaryTypes.String, kString, nil
	case strings.Contains(u, "BLOB"):
		return arrow.BinaryTypes.Binary, kBinary, nil
	case strings.Contains(u, "REAL"), strings.Contains(u, "FLOA"), strings.Contains(u, "DOUB"):
		return arrow.PrimitiveTypes.Float64, kFloat64, nil
	}
	return arrow.BinaryTypes.String, kString, nil
}

// nestedType maps the declared types sqlitewriter gives the Arrow types
// SQLite has no type for, stored as JSON text: "<element> LIST",
// "<element> VECTOR(n)" and "INTERVAL MONTH_DAY_NANO".
func nestedType(u string) (arrow.DataType, kind, bool, error) {
	if u == "INTERVAL MONTH_DAY_NANO" {
		return arrow.FixedWidthTypes.MonthDayNanoInterval, kInterval, true, nil
	}
	name, args := u, ""
	if i := strings.IndexByte(u, '('); i >= 0 && strings.HasSuffix(u, ")") {
		name, args = strings.TrimSpace(u[:i]), u[i+1:len(u)-1]
	}
	words := strings.Fields(name)
	if len(words) < 2 {
		return nil, 0, false, nil
	}
	last := words[len(words)-1]
	if last != "LIST" && last != "VECTOR" {
		return nil, 0, false, nil
	}
	elem, ek, err := typeOf(strings.Join(words[:len(words)-1], " "))
	if err != nil {
		return nil, 0, true, err
	}
	if !listElementKind(ek) {
		return nil, 0, true, fmt.Errorf("declared type %q: %s elements are not supported in a %s", u, elem, strings.ToLower(last))
	}
	if last == "LIST" {
		if args != "" {
			return nil, 0, true, fmt.Errorf("declared type %q: a LIST takes no size", u)
		}
		return arrow.ListOf(elem), kList, true, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(args))
	if err != nil || n < 1 {
		return nil, 0, true, fmt.Errorf("declared type %q: want VECTOR(n) with n > 0", u)
	}
	return arrow.FixedSizeListOf(int32(n), elem), kFixedList, true, nil
}

func listElementKind(k kind) bool {
	return k <= kString && k != kBinary
}

func precScale(args string) (p, s int32, err error) {
	parts := strings.Split(args, ",")
	if len(parts) > 2 {
		return 0, 0, fmt.Errorf("want (precision, scale), have (%s)", args)
	}
	pi, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || pi < 1 {
		return 0, 0, fmt.Errorf("bad precision %q", parts[0])
	}
	si := 0
	if len(parts) == 2 {
		si, err = strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil || si < 0 || si > pi {
			return 0, 0, fmt.Errorf("bad scale %q", parts[1])
		}
	}
	return int32(pi), int32(si), nil
}
