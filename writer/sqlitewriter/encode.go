package sqlitewriter

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// encodeError is a value the writer cannot store exactly (a uint64 above
// SQLite's signed 64-bit INTEGER, a date outside years 0..9999). It is a
// data error: the row is isolated as dirty.
type encodeError struct {
	column string
	err    error
}

// Error names the column and the reason.
func (e *encodeError) Error() string { return fmt.Sprintf("column %s: %v", e.column, e.err) }

// Unwrap returns the reason.
func (e *encodeError) Unwrap() error { return e.err }

// encoder returns the driver value of row i of one Arrow column.
type encoder func(i int) (driver.Value, error)

var emptyBlob = []byte{}

// newEncoder returns the encoder of arr, or an error for an unsupported type.
func newEncoder(arr arrow.Array) (encoder, error) {
	switch a := arr.(type) {
	case *array.Int8:
		return func(i int) (driver.Value, error) { return int64(a.Value(i)), nil }, nil
	case *array.Int16:
		return func(i int) (driver.Value, error) { return int64(a.Value(i)), nil }, nil
	case *array.Int32:
		return func(i int) (driver.Value, error) { return int64(a.Value(i)), nil }, nil
	case *array.Int64:
		return func(i int) (driver.Value, error) { return a.Value(i), nil }, nil
	case *array.Uint8:
		return func(i int) (driver.Value, error) { return int64(a.Value(i)), nil }, nil
	case *array.Uint16:
		return func(i int) (driver.Value, error) { return int64(a.Value(i)), nil }, nil
	case *array.Uint32:
		return func(i int) (driver.Value, error) { return int64(a.Value(i)), nil }, nil
	case *array.Uint64:
		return func(i int) (driver.Value, error) {
			v := a.Value(i)
			if v > math.MaxInt64 {
				return nil, fmt.Errorf("%d does not fit SQLite's signed 64-bit INTEGER", v)
			}
			return int64(v), nil
		}, nil
	case *array.Float32:
		return func(i int) (driver.Value, error) { return floatValue(float64(a.Value(i))), nil }, nil
	case *array.Float64:
		return func(i int) (driver.Value, error) { return floatValue(a.Value(i)), nil }, nil
	case *array.Boolean:
		return func(i int) (driver.Value, error) {
			if a.Value(i) {
				return int64(1), nil
			}
			return int64(0), nil
		}, nil
	case *array.String:
		return func(i int) (driver.Value, error) { return a.Value(i), nil }, nil
	case *array.LargeString:
		return func(i int) (driver.Value, error) { return a.Value(i), nil }, nil
	case *array.StringView:
		return func(i int) (driver.Value, error) { return a.Value(i), nil }, nil
	case *array.Binary:
		return func(i int) (driver.Value, error) { return blob(a.Value(i)), nil }, nil
	case *array.LargeBinary:
		return func(i int) (driver.Value, error) { return blob(a.Value(i)), nil }, nil
	case *array.BinaryView:
		return func(i int) (driver.Value, error) { return blob(a.Value(i)), nil }, nil
	case *array.FixedSizeBinary:
		return func(i int) (driver.Value, error) { return blob(a.Value(i)), nil }, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) (driver.Value, error) { return formatDecimal128(a.Value(i), scale), nil }, nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(i int) (driver.Value, error) { return a.Value(i).ToString(scale), nil }, nil
	case *array.Date32:
		return func(i int) (driver.Value, error) { return formatDate(int64(a.Value(i))) }, nil
	case *array.Date64:
		return func(i int) (driver.Value, error) {
			return formatDate(floorDiv(int64(a.Value(i)), 86400_000))
		}, nil
	case *array.Time32:
		mul := int64(1e9)
		if a.DataType().(*arrow.Time32Type).Unit == arrow.Millisecond {
			mul = 1e6
		}
		return func(i int) (driver.Value, error) { return formatTimeOfDay(int64(a.Value(i))*mul, 6), nil }, nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return func(i int) (driver.Value, error) {
			if unit == arrow.Nanosecond {
				return formatTimeOfDay(int64(a.Value(i)), 9), nil
			}
			return formatTimeOfDay(int64(a.Value(i))*1000, 6), nil
		}, nil
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		digits := 6
		if t.Unit == arrow.Nanosecond {
			digits = 9
		}
		perSec := int64(1)
		switch t.Unit {
		case arrow.Millisecond:
			perSec = 1e3
		case arrow.Microsecond:
			perSec = 1e6
		case arrow.Nanosecond:
			perSec = 1e9
		}
		tz := t.TimeZone != ""
		return func(i int) (driver.Value, error) {
			return formatTimestamp(int64(a.Value(i)), perSec, digits, tz)
		}, nil
	case *array.MonthDayNanoInterval:
		return func(i int) (driver.Value, error) {
			v := a.Value(i)
			b := make([]byte, 0, 64)
			b = append(b, `{"months":`...)
			b = strconv.AppendInt(b, int64(v.Months), 10)
			b = append(b, `,"days":`...)
			b = strconv.AppendInt(b, int64(v.Days), 10)
			b = append(b, `,"nanoseconds":`...)
			b = strconv.AppendInt(b, v.Nanoseconds, 10)
			return string(append(b, '}')), nil
		}, nil
	case *array.List:
		return listEncoder(a, a.ListValues())
	case *array.FixedSizeList:
		return listEncoder(a, a.ListValues())
	case *extensions.UUIDArray:
		return func(i int) (driver.Value, error) { return a.Value(i).String(), nil }, nil
	case *extensions.JSONArray:
		st := a.Storage()
		switch s := st.(type) {
		case *array.String:
			return func(i int) (driver.Value, error) { return s.Value(i), nil }, nil
		case *array.LargeString:
			return func(i int) (driver.Value, error) { return s.Value(i), nil }, nil
		}
		return func(i int) (driver.Value, error) { return st.ValueStr(i), nil }, nil
	}
	return nil, fmt.Errorf("Arrow type %s is not supported", arr.DataType())
}

// listEncoder writes each list as a JSON array.
func listEncoder(a array.ListLike, vals arrow.Array) (encoder, error) {
	var elem func(b []byte, j int) []byte
	switch v := vals.(type) {
	case *array.String:
		elem = func(b []byte, j int) []byte {
			q, _ := json.Marshal(v.Value(j))
			return append(b, q...)
		}
	case *array.Boolean:
		elem = func(b []byte, j int) []byte { return strconv.AppendBool(b, v.Value(j)) }
	case *array.Float32:
		elem = func(b []byte, j int) []byte { return appendJSONFloat(b, float64(v.Value(j)), 32) }
	case *array.Float64:
		elem = func(b []byte, j int) []byte { return appendJSONFloat(b, v.Value(j), 64) }
	default:
		if !arrow.IsInteger(vals.DataType().ID()) {
			return nil, fmt.Errorf("Arrow type %s is not supported", a.DataType())
		}
		elem = func(b []byte, j int) []byte { return append(b, vals.ValueStr(j)...) }
	}
	return func(i int) (driver.Value, error) {
		start, end := a.ValueOffsets(i)
		b := make([]byte, 0, 2+8*(end-start))
		b = append(b, '[')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			if vals.IsNull(int(j)) {
				b = append(b, "null"...)
			} else {
				b = elem(b, int(j))
			}
		}
		return string(append(b, ']')), nil
	}, nil
}

func appendJSONFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// floatValue keeps NaN: SQLite stores a REAL NaN as NULL, so it is written
// as the text 'NaN' (which a REAL column keeps as text).
func floatValue(f float64) driver.Value {
	if math.IsNaN(f) {
		return "NaN"
	}
	return f
}

func blob(b []byte) []byte {
	if b == nil {
		return emptyBlob // nil would bind NULL
	}
	return b
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil returns the proleptic Gregorian date of a day number (days since 1970-01-01).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func appendN(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || width > 0 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, tmp[i:]...)
}

func appendDate(b []byte, days int64) ([]byte, error) {
	y, m, d := civil(days)
	if y < 0 || y > 9999 {
		return nil, fmt.Errorf("year %d is outside 0000..9999", y)
	}
	b = appendN(b, y, 4)
	b = append(b, '-')
	b = appendN(b, m, 2)
	b = append(b, '-')
	return appendN(b, d, 2), nil
}

func formatDate(days int64) (driver.Value, error) {
	var buf [10]byte
	b, err := appendDate(buf[:0], days)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func appendClock(b []byte, ns int64, digits int) []byte {
	sec := ns / 1e9
	b = appendN(b, sec/3600, 2)
	b = append(b, ':')
	b = appendN(b, sec/60%60, 2)
	b = append(b, ':')
	b = appendN(b, sec%60, 2)
	b = append(b, '.')
	frac := ns % 1e9
	if digits == 6 {
		frac /= 1000
	}
	return appendN(b, frac, digits)
}

func formatTimeOfDay(ns int64, digits int) string {
	var buf [18]byte
	return string(appendClock(buf[:0], ns, digits))
}

func formatTimestamp(v, perSec int64, digits int, tz bool) (driver.Value, error) {
	days := floorDiv(v, 86400*perSec)
	rem := v - days*86400*perSec // nanoseconds of the day in the unit
	ns := rem * (1e9 / perSec)
	var buf [40]byte
	b, err := appendDate(buf[:0], days)
	if err != nil {
		return nil, err
	}
	b = append(b, ' ')
	b = appendClock(b, ns, digits)
	if tz {
		b = append(b, "+00:00"...)
	}
	return string(b), nil
}

// formatDecimal128 is Num.ToString without big.Int for values that fit in
// an int64.
func formatDecimal128(n decimal128.Num, scale int32) string {
	if n.HighBits() != 0 && n.HighBits() != -1 || scale < 0 || scale > 18 {
		return n.ToString(scale)
	}
	lo := int64(n.LowBits())
	if (n.HighBits() == 0) != (lo >= 0) {
		return n.ToString(scale)
	}
	neg := lo < 0
	u := uint64(lo)
	if neg {
		u = uint64(-lo)
	}
	digits := strconv.FormatUint(u, 10)
	if scale == 0 {
		if neg {
			return "-" + digits
		}
		return digits
	}
	var b []byte
	if neg {
		b = append(b, '-')
	}
	if len(digits) <= int(scale) {
		b = append(b, '0', '.')
		for i := len(digits); i < int(scale); i++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	} else {
		at := len(digits) - int(scale)
		b = append(b, digits[:at]...)
		b = append(b, '.')
		b = append(b, digits[at:]...)
	}
	return string(b)
}
