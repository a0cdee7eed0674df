package quality

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry/internal/arrowval"
)

// kind is how a rule compares a column's values.
type kind int

const (
	kindNumber kind = iota + 1
	kindTime
	kindText
	kindBool
)

func kindOf(t arrow.DataType) kind {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return kindNumber
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return kindTime
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return kindText
	case arrow.BOOL:
		return kindBool
	case arrow.EXTENSION:
		return kindOf(t.(arrow.ExtensionType).StorageType())
	}
	return 0
}

func storage(a arrow.Array) arrow.Array {
	if e, ok := a.(array.ExtensionArray); ok {
		return e.Storage()
	}
	return a
}

// numberGetter returns the float64 value of row i of a numeric array.
func numberGetter(a arrow.Array) func(i int) float64 {
	switch a := storage(a).(type) {
	case *array.Int8:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int16:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int64:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Uint8:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Uint16:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Uint32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Uint64:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Float16:
		return func(i int) float64 { return float64(a.Value(i).Float32()) }
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Float64:
		return a.Value
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) float64 { return a.Value(i).ToFloat64(scale) }
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(i int) float64 { return a.Value(i).ToFloat64(scale) }
	}
	return nil
}

// timeGetter returns row i of a date or timestamp array as microseconds
// since the epoch (a zone-less timestamp is read as UTC wall clock).
func timeGetter(a arrow.Array) func(i int) int64 {
	switch a := storage(a).(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return func(i int) int64 { return toMicros(int64(a.Value(i)), unit) }
	case *array.Date32:
		return func(i int) int64 { return int64(a.Value(i)) * 86400e6 }
	case *array.Date64:
		return func(i int) int64 { return int64(a.Value(i)) * 1000 }
	}
	return nil
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1e6
	case arrow.Millisecond:
		return v * 1e3
	case arrow.Nanosecond:
		return v / 1e3
	}
	return v
}

// textGetter returns row i of a string array.
func textGetter(a arrow.Array) func(i int) string {
	switch a := storage(a).(type) {
	case *array.String:
		return a.Value
	case *array.LargeString:
		return a.Value
	case *array.StringView:
		return a.Value
	}
	return nil
}

// keyText returns row i of a as the text Allowed compares and examples
// show: strings as they are, numbers in decimal, booleans as true/false,
// times in RFC 3339.
func keyText(a arrow.Array, i int) string {
	switch v := arrowval.Value(a, i).(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("%x", v)
	case nil:
		return "NULL"
	default:
		return fmt.Sprint(v)
	}
}

// parseTime reads a bound of a time rule: RFC 3339, or a zone-less
// date-time or date taken as UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, \"2006-01-02 15:04:05\" or \"2006-01-02\")", s)
}

func formatMicros(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}
