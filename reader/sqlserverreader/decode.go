package sqlserverreader

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry/internal/mssqlx"
)

// decoder appends one value as the driver returned it (nil for NULL) to
// its column's builder and returns the bytes of variable-length data.
//
// go-mssqldb returns int64 for every integer type, float64 for real and
// float, bool for bit, the decimal text as []byte for decimal, numeric,
// money and smallmoney, string for character types and xml, []byte for
// binary types and uniqueidentifier (in SQL Server's mixed-endian order),
// and time.Time for every date and time type (zone-less types in UTC, the
// driver's default; datetimeoffset with its offset as a fixed zone).
type decoder func(v any) (int, error)

func typeErr(v any) error { return fmt.Errorf("unexpected driver value %T", v) }

func newDecoder(c *column, rb *array.RecordBuilder, field int) decoder {
	b := rb.Field(field)
	null := func(v any) bool {
		if v == nil {
			b.AppendNull()
			if c.offset {
				rb.Field(field + 1).AppendNull()
			}
			return true
		}
		return false
	}
	integer := func(lo, hi int64, app func(int64)) decoder {
		return typed(null, func(n int64) (int, error) {
			if n < lo || n > hi {
				return 0, fmt.Errorf("%d is out of range", n)
			}
			app(n)
			return 0, nil
		})
	}
	switch c.kind {
	case mssqlx.KindTinyInt:
		bb := b.(*array.Uint8Builder)
		return integer(0, math.MaxUint8, func(n int64) { bb.Append(uint8(n)) })
	case mssqlx.KindSmallInt:
		bb := b.(*array.Int16Builder)
		return integer(math.MinInt16, math.MaxInt16, func(n int64) { bb.Append(int16(n)) })
	case mssqlx.KindInt:
		bb := b.(*array.Int32Builder)
		return integer(math.MinInt32, math.MaxInt32, func(n int64) { bb.Append(int32(n)) })
	case mssqlx.KindBigInt:
		bb := b.(*array.Int64Builder)
		return integer(math.MinInt64, math.MaxInt64, bb.Append)
	case mssqlx.KindBit:
		bb := b.(*array.BooleanBuilder)
		return typed(null, func(x bool) (int, error) { bb.Append(x); return 0, nil })
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney:
		bb := b.(*array.Decimal128Builder)
		dt := bb.Type().(*arrow.Decimal128Type)
		return func(v any) (int, error) {
			if null(v) {
				return 0, nil
			}
			var txt []byte
			switch x := v.(type) {
			case []byte:
				txt = x
			case string:
				txt = []byte(x)
			default:
				return 0, typeErr(v)
			}
			n, err := mssqlx.ParseDecimal(txt, dt.Precision, dt.Scale)
			if err != nil {
				return 0, err
			}
			bb.Append(n)
			return 0, nil
		}
	case mssqlx.KindReal, mssqlx.KindFloat:
		if bb, ok := b.(*array.Float32Builder); ok {
			// The driver widened a real to float64: narrowing is exact.
			return typed(null, func(x float64) (int, error) { bb.Append(float32(x)); return 0, nil })
		}
		bb := b.(*array.Float64Builder)
		return typed(null, func(x float64) (int, error) { bb.Append(x); return 0, nil })
	case mssqlx.KindString, mssqlx.KindXML, mssqlx.KindJSON:
		var sb *array.StringBuilder
		if eb, ok := b.(*array.ExtensionBuilder); ok {
			sb = eb.StorageBuilder().(*array.StringBuilder)
		} else {
			sb = b.(*array.StringBuilder)
		}
		return func(v any) (int, error) {
			if null(v) {
				return 0, nil
			}
			switch x := v.(type) {
			case string:
				sb.Append(x)
				return len(x), nil
			case []byte:
				sb.BinaryBuilder.Append(x)
				return len(x), nil
			}
			return 0, typeErr(v)
		}
	case mssqlx.KindBinary, mssqlx.KindRowVersion:
		bb := b.(*array.BinaryBuilder)
		return typed(null, func(x []byte) (int, error) { bb.Append(x); return len(x), nil })
	case mssqlx.KindGUID:
		bb := b.(*extensions.UUIDBuilder)
		return func(v any) (int, error) {
			if null(v) {
				return 0, nil
			}
			x, ok := v.([]byte)
			if !ok || len(x) != 16 {
				return 0, fmt.Errorf("uniqueidentifier of %d bytes", len(x))
			}
			bb.AppendBytes(mssqlx.GUIDSwap([16]byte(x)))
			return 0, nil
		}
	case mssqlx.KindDate:
		bb := b.(*array.Date32Builder)
		return timeDecoder(null, func(t time.Time) error {
			bb.Append(arrow.Date32FromTime(wallUTC(t)))
			return nil
		})
	case mssqlx.KindTime:
		if bb, ok := b.(*array.Time64Builder); ok {
			unit := bb.Type().(*arrow.Time64Type).Unit
			return timeDecoder(null, func(t time.Time) error {
				ns := int64(t.Hour())*3600e9 + int64(t.Minute())*60e9 + int64(t.Second())*1e9 + int64(t.Nanosecond())
				if unit == arrow.Microsecond {
					ns /= 1000 // time(0..6): exact
				}
				bb.Append(arrow.Time64(ns))
				return nil
			})
		}
	case mssqlx.KindDateTime, mssqlx.KindSmallDateTime, mssqlx.KindDateTime2:
		bb := b.(*array.TimestampBuilder)
		unit := bb.Type().(*arrow.TimestampType).Unit
		return timeDecoder(null, func(t time.Time) error {
			ts, err := toTimestamp(wallUTC(t), unit)
			if err != nil {
				return err
			}
			bb.Append(ts)
			return nil
		})
	case mssqlx.KindDateTimeOffset:
		bb := b.(*array.TimestampBuilder)
		unit := bb.Type().(*arrow.TimestampType).Unit
		var ob *array.Int16Builder
		if c.offset {
			ob = rb.Field(field + 1).(*array.Int16Builder)
		}
		return timeDecoder(null, func(t time.Time) error {
			ts, err := toTimestamp(t, unit)
			if err != nil {
				return err
			}
			bb.Append(ts)
			if ob != nil {
				_, off := t.Zone()
				ob.Append(int16(off / 60))
			}
			return nil
		})
	}
	return func(v any) (int, error) {
		return 0, fmt.Errorf("no decoder for type %s", c.Decl())
	}
}

// typed returns the decoder of driver values of type T (NULL handled).
func typed[T any](null func(any) bool, app func(T) (int, error)) decoder {
	return func(v any) (int, error) {
		if null(v) {
			return 0, nil
		}
		x, ok := v.(T)
		if !ok {
			return 0, typeErr(v)
		}
		return app(x)
	}
}

func timeDecoder(null func(any) bool, app func(time.Time) error) decoder {
	return typed(null, func(t time.Time) (int, error) { return 0, app(t) })
}

// wallUTC returns t's wall clock as a UTC time: a zone-less value whatever
// zone the driver labelled it with.
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Timestamp[ns] holds 1677-09-21 .. 2262-04-11 only.
var (
	minNano = time.Unix(0, math.MinInt64)
	maxNano = time.Unix(0, math.MaxInt64)
)

func toTimestamp(t time.Time, unit arrow.TimeUnit) (arrow.Timestamp, error) {
	switch unit {
	case arrow.Nanosecond:
		if t.Before(minNano) || t.After(maxNano) {
			return 0, fmt.Errorf("%s is outside timestamp[ns]'s 1677-09-21 .. 2262-04-11 (read the column through querySql as CAST(col AS datetime2(6)) for microseconds over 0001..9999)", t.Format(time.RFC3339Nano))
		}
		return arrow.Timestamp(t.UnixNano()), nil
	case arrow.Microsecond:
		return arrow.Timestamp(t.UnixMicro()), nil
	}
	return 0, fmt.Errorf("unit %s", unit)
}
