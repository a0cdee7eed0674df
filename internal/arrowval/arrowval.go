// Package arrowval reads single values out of Arrow arrays as plain Go
// values, for row-wise paths: dirty records, INSERT fallbacks, text formats.
// Bulk paths encode arrays directly and do not use it.
package arrowval

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// Value returns the value at i of a as a Go value: nil for NULL; int64,
// uint64, float64, bool, string, []byte; time.Time (UTC) for dates and
// timestamps; the decimal text for decimals; the canonical text for UUIDs;
// the JSON text for JSON; []any for lists. Times of day and intervals are
// returned as Arrow's text for them, since Go has no type for either.
func Value(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return uint64(a.Value(i))
	case *array.Uint16:
		return uint64(a.Value(i))
	case *array.Uint32:
		return uint64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Float16:
		return float64(a.Value(i).Float32())
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return a.Value(i)
	case *array.LargeBinary:
		return a.Value(i)
	case *array.FixedSizeBinary:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime()
	case *array.Date64:
		return a.Value(i).ToTime()
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC()
	case *array.Time32, *array.Time64, *array.Decimal128, *array.Decimal256, *array.MonthDayNanoInterval:
		return a.ValueStr(i)
	case *extensions.UUIDArray:
		return a.Value(i).String()
	case *extensions.JSONArray:
		return a.Storage().ValueStr(i)
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, Value(vals, int(j)))
		}
		return out
	case array.ExtensionArray:
		return Value(a.Storage(), i)
	}
	return a.ValueStr(i)
}

// JSONSafe returns Value(a, i) in a form encoding/json accepts: non-finite
// floats become "NaN", "+Inf", "-Inf", times RFC 3339 with microseconds.
func JSONSafe(a arrow.Array, i int) any {
	return jsonSafe(Value(a, i))
}

func jsonSafe(v any) any {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
	case time.Time:
		return v.Format("2006-01-02T15:04:05.999999Z07:00")
	case []any:
		for j := range v {
			v[j] = jsonSafe(v[j])
		}
	}
	return v
}

// Row returns the values of row i of b by column name, JSON-safe.
func Row(b arrow.RecordBatch, i int) map[string]any {
	m := make(map[string]any, b.NumCols())
	for c := 0; c < int(b.NumCols()); c++ {
		m[b.ColumnName(c)] = JSONSafe(b.Column(c), i)
	}
	return m
}
