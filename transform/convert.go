package transform

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

var decimalType = regexp.MustCompile(`^(?:decimal|numeric)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$`)

// ParseType returns the Arrow type a type name in a job file means:
// bool, int8, int16, int32, int64 (also int, bigint), uint8 ... uint64,
// float32 (real), float64 (double), string (utf8, text), binary,
// date, time (time64[us]), timestamp (zone-less, [us]), timestamptz
// (an instant, [us, UTC]) and decimal(p,s) for p <= 38.
func ParseType(name string) (arrow.DataType, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "bool", "boolean":
		return arrow.FixedWidthTypes.Boolean, nil
	case "int8", "tinyint":
		return arrow.PrimitiveTypes.Int8, nil
	case "int16", "smallint":
		return arrow.PrimitiveTypes.Int16, nil
	case "int32", "integer":
		return arrow.PrimitiveTypes.Int32, nil
	case "int64", "int", "bigint", "long":
		return arrow.PrimitiveTypes.Int64, nil
	case "uint8":
		return arrow.PrimitiveTypes.Uint8, nil
	case "uint16":
		return arrow.PrimitiveTypes.Uint16, nil
	case "uint32":
		return arrow.PrimitiveTypes.Uint32, nil
	case "uint64":
		return arrow.PrimitiveTypes.Uint64, nil
	case "float32", "real", "float":
		return arrow.PrimitiveTypes.Float32, nil
	case "float64", "double":
		return arrow.PrimitiveTypes.Float64, nil
	case "string", "utf8", "text", "varchar":
		return arrow.BinaryTypes.String, nil
	case "binary", "bytes":
		return arrow.BinaryTypes.Binary, nil
	case "date":
		return arrow.FixedWidthTypes.Date32, nil
	case "time":
		return arrow.FixedWidthTypes.Time64us, nil
	case "timestamp", "datetime":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case "timestamptz", "instant":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	}
	if m := decimalType.FindStringSubmatch(n); m != nil {
		p, _ := strconv.Atoi(m[1])
		s := 0
		if m[2] != "" {
			s, _ = strconv.Atoi(m[2])
		}
		if p < 1 || p > 38 || s > p {
			return nil, fmt.Errorf("transform: type %q: want decimal(p,s) with 1 <= p <= 38 and s <= p", name)
		}
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, nil
	}
	return nil, fmt.Errorf("transform: unknown type %q (want bool, int8..int64, uint8..uint64, float32, float64, string, binary, date, time, timestamp, timestamptz or decimal(p,s))", name)
}

// appender appends Go values (as getters and expressions produce them) to
// a builder of one Arrow type, converting where the conversion is exact
// and failing where it is not (an out-of-range integer, a fraction into an
// integer, a string that does not parse).
type appender func(b array.Builder, v any) error

// appenderFor returns the appender of type dt.
func appenderFor(dt arrow.DataType) (appender, error) {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return func(b array.Builder, v any) error {
			x, err := toBool(v)
			if err == nil {
				b.(*array.BooleanBuilder).Append(x)
			}
			return err
		}, nil
	case *arrow.Int8Type:
		return intAppender(math.MinInt8, math.MaxInt8, func(b array.Builder, x int64) { b.(*array.Int8Builder).Append(int8(x)) }), nil
	case *arrow.Int16Type:
		return intAppender(math.MinInt16, math.MaxInt16, func(b array.Builder, x int64) { b.(*array.Int16Builder).Append(int16(x)) }), nil
	case *arrow.Int32Type:
		return intAppender(math.MinInt32, math.MaxInt32, func(b array.Builder, x int64) { b.(*array.Int32Builder).Append(int32(x)) }), nil
	case *arrow.Int64Type:
		return intAppender(math.MinInt64, math.MaxInt64, func(b array.Builder, x int64) { b.(*array.Int64Builder).Append(x) }), nil
	case *arrow.Uint8Type:
		return uintAppender(math.MaxUint8, func(b array.Builder, x uint64) { b.(*array.Uint8Builder).Append(uint8(x)) }), nil
	case *arrow.Uint16Type:
		return uintAppender(math.MaxUint16, func(b array.Builder, x uint64) { b.(*array.Uint16Builder).Append(uint16(x)) }), nil
	case *arrow.Uint32Type:
		return uintAppender(math.MaxUint32, func(b array.Builder, x uint64) { b.(*array.Uint32Builder).Append(uint32(x)) }), nil
	case *arrow.Uint64Type:
		return uintAppender(math.MaxUint64, func(b array.Builder, x uint64) { b.(*array.Uint64Builder).Append(x) }), nil
	case *arrow.Float32Type:
		return func(b array.Builder, v any) error {
			x, err := toFloat(v)
			if err == nil {
				if math.Abs(x) > math.MaxFloat32 && !math.IsInf(x, 0) {
					return fmt.Errorf("%v is out of range for float32", v)
				}
				b.(*array.Float32Builder).Append(float32(x))
			}
			return err
		}, nil
	case *arrow.Float64Type:
		return func(b array.Builder, v any) error {
			x, err := toFloat(v)
			if err == nil {
				b.(*array.Float64Builder).Append(x)
			}
			return err
		}, nil
	case *arrow.StringType:
		return func(b array.Builder, v any) error {
			s, err := toText(v)
			if err == nil {
				b.(*array.StringBuilder).Append(s)
			}
			return err
		}, nil
	case *arrow.BinaryType:
		return func(b array.Builder, v any) error {
			switch x := v.(type) {
			case []byte:
				b.(*array.BinaryBuilder).Append(x)
				return nil
			case string:
				b.(*array.BinaryBuilder).AppendString(x)
				return nil
			}
			return fmt.Errorf("%v (%T) is not binary", v, v)
		}, nil
	case *arrow.Decimal128Type:
		return func(b array.Builder, v any) error {
			n, err := toDecimal(v, t.Precision, t.Scale)
			if err == nil {
				b.(*array.Decimal128Builder).Append(n)
			}
			return err
		}, nil
	case *arrow.Date32Type:
		return func(b array.Builder, v any) error {
			x, err := toTime(v, time.UTC)
			if err == nil {
				y, m, d := x.Date()
				b.(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))
			}
			return err
		}, nil
	case *arrow.Time64Type:
		return func(b array.Builder, v any) error {
			var d time.Duration
			switch x := v.(type) {
			case time.Duration:
				d = x
			case time.Time:
				d = time.Duration(x.Hour())*time.Hour + time.Duration(x.Minute())*time.Minute + time.Duration(x.Second())*time.Second + time.Duration(x.Nanosecond())
			case string:
				c, err := parseClock(strings.TrimSpace(x))
				if err != nil {
					return fmt.Errorf("%q: %w", x, err)
				}
				d = c
			default:
				return fmt.Errorf("%v (%T) is not a time of day", v, v)
			}
			if d < 0 || d >= 24*time.Hour {
				return fmt.Errorf("%v is not a time of day", d)
			}
			b.(*array.Time64Builder).Append(arrow.Time64(int64(d) / int64(t.Unit.Multiplier())))
			return nil
		}, nil
	case *arrow.TimestampType:
		loc, err := zoneOf(t)
		if err != nil {
			return nil, err
		}
		instant := t.TimeZone != ""
		return func(b array.Builder, v any) error {
			x, err := toTime(v, loc)
			if err != nil {
				return err
			}
			if !instant {
				// a zone-less column keeps the wall clock of the value.
				x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
			}
			ts, err := arrow.TimestampFromTime(x, t.Unit)
			if err != nil {
				return err
			}
			b.(*array.TimestampBuilder).Append(ts)
			return nil
		}, nil
	}
	return nil, fmt.Errorf("transform: no conversion into %s", dt)
}

func intAppender(lo, hi int64, put func(array.Builder, int64)) appender {
	return func(b array.Builder, v any) error {
		x, err := toInt(v)
		if err != nil {
			return err
		}
		if x < lo || x > hi {
			return fmt.Errorf("%d is out of range [%d, %d]", x, lo, hi)
		}
		put(b, x)
		return nil
	}
}

func uintAppender(hi uint64, put func(array.Builder, uint64)) appender {
	return func(b array.Builder, v any) error {
		var x uint64
		switch u := v.(type) {
		case uint64:
			x = u
		default:
			i, err := toInt(v)
			if err != nil {
				if s, ok := v.(string); ok {
					if u, err2 := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err2 == nil {
						i, err, x = 0, nil, u
					}
				}
				if err != nil {
					return err
				}
			} else if i < 0 {
				return fmt.Errorf("%d is negative", i)
			} else {
				x = uint64(i)
			}
		}
		if x > hi {
			return fmt.Errorf("%d is out of range [0, %d]", x, hi)
		}
		put(b, x)
		return nil
	}
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range for int64", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) || x < -9.223372036854775808e18 || x >= 9.223372036854775808e18 {
			return 0, fmt.Errorf("%v is not an integer in range", x)
		}
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		s := strings.TrimSpace(x)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if r, ok := new(big.Rat).SetString(s); ok && r.IsInt() && r.Num().IsInt64() {
			return r.Num().Int64(), nil
		}
		return 0, fmt.Errorf("%q is not an integer in range", x)
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", v, v)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "t", "1", "yes", "y", "on":
			return true, nil
		case "false", "f", "0", "no", "n", "off":
			return false, nil
		}
		return false, fmt.Errorf("%q is not a boolean", x)
	}
	return false, fmt.Errorf("%v (%T) is not a boolean", v, v)
}

func toText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return formatFloat(x, 64), nil
	case time.Time:
		return formatTimestamp(x), nil
	case time.Duration:
		return x.String(), nil
	}
	return "", fmt.Errorf("%v (%T) has no text form", v, v)
}

func toDecimal(v any, prec, scale int32) (decimal128.Num, error) {
	var n decimal128.Num
	var err error
	switch x := v.(type) {
	case int64:
		n, err = decimal128.FromBigInt(new(big.Int).Mul(big.NewInt(x), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))), nil
	case int:
		return toDecimal(int64(x), prec, scale)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return n, fmt.Errorf("%v has no decimal value", x)
		}
		return toDecimal(strconv.FormatFloat(x, 'f', -1, 64), prec, scale)
	case string:
		s := strings.TrimSpace(x)
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return n, fmt.Errorf("%q is not a number", x)
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
		if !r.IsInt() {
			return n, fmt.Errorf("%q has more than %d decimal places", x, scale)
		}
		n = decimal128.FromBigInt(r.Num())
	default:
		return n, fmt.Errorf("%v (%T) is not a number", v, v)
	}
	if err != nil {
		return n, err
	}
	if !n.FitsInPrecision(prec) {
		return n, fmt.Errorf("%v does not fit decimal(%d,%d)", v, prec, scale)
	}
	return n, nil
}

// toTime converts a time.Time or a date/timestamp literal (read in loc) to
// a time.Time.
func toTime(v any, loc *time.Location) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		t, err := parseTimeLiteral(strings.TrimSpace(x), loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %w", x, err)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%v (%T) is not a date or timestamp", v, v)
}
