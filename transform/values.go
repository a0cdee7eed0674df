package transform

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// A stringer returns the text of the non-null value i of an array, the way
// DataX's Column.asString renders it: integers and decimals in plain decimal
// notation, floats in the shortest form that reads back exactly (exponent
// only outside [1e-4, 1e15), as PostgreSQL prints float8), booleans as
// "true"/"false", dates as yyyy-MM-dd, timestamps as yyyy-MM-dd HH:mm:ss in
// the column's zone (a zone-less timestamp as its wall clock) with the
// fraction of a second kept when it is not zero (DataX drops it), times of
// day as HH:mm:ss[.ffffff], UUIDs canonically, JSON as its text and binary
// values as their bytes.
type stringer func(a arrow.Array, i int) string

// stringerFor returns the stringer of values of type dt, or an error for
// types that have no text form (lists, structs, intervals).
func stringerFor(dt arrow.DataType) (stringer, error) {
	switch t := dt.(type) {
	case *arrow.StringType:
		return func(a arrow.Array, i int) string { return a.(*array.String).Value(i) }, nil
	case *arrow.LargeStringType:
		return func(a arrow.Array, i int) string { return a.(*array.LargeString).Value(i) }, nil
	case *arrow.BinaryType:
		return func(a arrow.Array, i int) string { return string(a.(*array.Binary).Value(i)) }, nil
	case *arrow.LargeBinaryType:
		return func(a arrow.Array, i int) string { return string(a.(*array.LargeBinary).Value(i)) }, nil
	case *arrow.BooleanType:
		return func(a arrow.Array, i int) string { return strconv.FormatBool(a.(*array.Boolean).Value(i)) }, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		get := int64Getter(dt)
		return func(a arrow.Array, i int) string { return strconv.FormatInt(get(a, i), 10) }, nil
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		get := uint64Getter(dt)
		return func(a arrow.Array, i int) string { return strconv.FormatUint(get(a, i), 10) }, nil
	case *arrow.Float32Type:
		return func(a arrow.Array, i int) string { return formatFloat(float64(a.(*array.Float32).Value(i)), 32) }, nil
	case *arrow.Float64Type:
		return func(a arrow.Array, i int) string { return formatFloat(a.(*array.Float64).Value(i), 64) }, nil
	case *arrow.Decimal128Type:
		return func(a arrow.Array, i int) string { return a.(*array.Decimal128).Value(i).ToString(t.Scale) }, nil
	case *arrow.Decimal256Type:
		return func(a arrow.Array, i int) string { return a.(*array.Decimal256).Value(i).ToString(t.Scale) }, nil
	case *arrow.Date32Type:
		return func(a arrow.Array, i int) string {
			return a.(*array.Date32).Value(i).ToTime().Format(time.DateOnly)
		}, nil
	case *arrow.Date64Type:
		return func(a arrow.Array, i int) string {
			return a.(*array.Date64).Value(i).ToTime().Format(time.DateOnly)
		}, nil
	case *arrow.TimestampType:
		loc, err := zoneOf(t)
		if err != nil {
			return nil, err
		}
		return func(a arrow.Array, i int) string {
			return formatTimestamp(a.(*array.Timestamp).Value(i).ToTime(t.Unit).In(loc))
		}, nil
	case *arrow.Time32Type:
		return func(a arrow.Array, i int) string {
			return formatClock(a.(*array.Time32).Value(i).ToTime(t.Unit))
		}, nil
	case *arrow.Time64Type:
		return func(a arrow.Array, i int) string {
			return formatClock(a.(*array.Time64).Value(i).ToTime(t.Unit))
		}, nil
	case *extensions.UUIDType:
		return func(a arrow.Array, i int) string { return a.(*extensions.UUIDArray).Value(i).String() }, nil
	case arrow.ExtensionType:
		st, err := stringerFor(t.StorageType())
		if err != nil {
			return nil, fmt.Errorf("%s has no text form", dt)
		}
		return func(a arrow.Array, i int) string { return st(a.(array.ExtensionArray).Storage(), i) }, nil
	}
	return nil, fmt.Errorf("%s has no text form", dt)
}

// zoneOf returns the location of a timestamp type: UTC for zone-less ones
// (their wall clock is kept as is), never the machine's local zone.
func zoneOf(t *arrow.TimestampType) (*time.Location, error) {
	switch t.TimeZone {
	case "", "UTC", "utc", "Z", "+00:00", "Etc/UTC":
		return time.UTC, nil
	}
	loc, err := t.GetZone()
	if err != nil {
		return nil, fmt.Errorf("time zone %q of %s: %w", t.TimeZone, t, err)
	}
	if loc == nil || loc == time.Local {
		return time.UTC, nil
	}
	return loc, nil
}

func formatFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	if a := math.Abs(v); a == 0 || (a >= 1e-4 && a < 1e15) {
		return strconv.FormatFloat(v, 'f', -1, bits)
	}
	return strconv.FormatFloat(v, 'e', -1, bits)
}

func formatTimestamp(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.Format(time.DateTime)
	}
	return t.Format("2006-01-02 15:04:05.999999999")
}

func formatClock(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.Format(time.TimeOnly)
	}
	return t.Format("15:04:05.999999999")
}

// int64Getter returns an accessor for signed integer arrays of type dt.
func int64Getter(dt arrow.DataType) func(a arrow.Array, i int) int64 {
	switch dt.ID() {
	case arrow.INT8:
		return func(a arrow.Array, i int) int64 { return int64(a.(*array.Int8).Value(i)) }
	case arrow.INT16:
		return func(a arrow.Array, i int) int64 { return int64(a.(*array.Int16).Value(i)) }
	case arrow.INT32:
		return func(a arrow.Array, i int) int64 { return int64(a.(*array.Int32).Value(i)) }
	}
	return func(a arrow.Array, i int) int64 { return a.(*array.Int64).Value(i) }
}

// uint64Getter returns an accessor for unsigned integer arrays of type dt.
func uint64Getter(dt arrow.DataType) func(a arrow.Array, i int) uint64 {
	switch dt.ID() {
	case arrow.UINT8:
		return func(a arrow.Array, i int) uint64 { return uint64(a.(*array.Uint8).Value(i)) }
	case arrow.UINT16:
		return func(a arrow.Array, i int) uint64 { return uint64(a.(*array.Uint16).Value(i)) }
	case arrow.UINT32:
		return func(a arrow.Array, i int) uint64 { return uint64(a.(*array.Uint32).Value(i)) }
	}
	return func(a arrow.Array, i int) uint64 { return a.(*array.Uint64).Value(i) }
}

// goValue returns value i of a as a plain Go value, for dirty-row reports
// (nil for NULL).
func goValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	if s, err := stringerFor(a.DataType()); err == nil {
		switch a.DataType().ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.EXTENSION, arrow.DECIMAL128, arrow.DECIMAL256,
			arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64:
			return s(a, i)
		}
	}
	return a.GetOneForMarshal(i)
}
