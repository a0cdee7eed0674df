package sqlitewriter

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/google/uuid"

	"github.com/ferrydata/ferry/internal/sqlitelib"
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

// binder sets parameter idx to row i of one Arrow column (not null).
type binder func(b *sqlitelib.Values, idx, i int) error

// newBinder returns the binder of arr, or an error for an unsupported type.
// Values are bound without a Go allocation: numbers as numbers, text and
// blobs copied into the Values' C memory, formatted values (dates,
// decimals, lists) written straight into it.
func newBinder(arr arrow.Array) (binder, error) {
	switch a := arr.(type) {
	case *array.Int8:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, int64(a.Value(i))); return nil }, nil
	case *array.Int16:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, int64(a.Value(i))); return nil }, nil
	case *array.Int32:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, int64(a.Value(i))); return nil }, nil
	case *array.Int64:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, a.Value(i)); return nil }, nil
	case *array.Uint8:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, int64(a.Value(i))); return nil }, nil
	case *array.Uint16:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, int64(a.Value(i))); return nil }, nil
	case *array.Uint32:
		return func(b *sqlitelib.Values, idx, i int) error { b.Int64(idx, int64(a.Value(i))); return nil }, nil
	case *array.Uint64:
		return func(b *sqlitelib.Values, idx, i int) error {
			v := a.Value(i)
			if v > math.MaxInt64 {
				return fmt.Errorf("%d does not fit SQLite's signed 64-bit INTEGER", v)
			}
			b.Int64(idx, int64(v))
			return nil
		}, nil
	case *array.Float32:
		return func(b *sqlitelib.Values, idx, i int) error { bindFloat(b, idx, float64(a.Value(i))); return nil }, nil
	case *array.Float64:
		return func(b *sqlitelib.Values, idx, i int) error { bindFloat(b, idx, a.Value(i)); return nil }, nil
	case *array.Boolean:
		return func(b *sqlitelib.Values, idx, i int) error {
			if a.Value(i) {
				b.Int64(idx, 1)
			} else {
				b.Int64(idx, 0)
			}
			return nil
		}, nil
	case *array.String:
		return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, a.Value(i)); return nil }, nil
	case *array.LargeString:
		return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, a.Value(i)); return nil }, nil
	case *array.StringView:
		return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, a.Value(i)); return nil }, nil
	case *array.Binary:
		return func(b *sqlitelib.Values, idx, i int) error { b.Blob(idx, a.Value(i)); return nil }, nil
	case *array.LargeBinary:
		return func(b *sqlitelib.Values, idx, i int) error { b.Blob(idx, a.Value(i)); return nil }, nil
	case *array.BinaryView:
		return func(b *sqlitelib.Values, idx, i int) error { b.Blob(idx, a.Value(i)); return nil }, nil
	case *array.FixedSizeBinary:
		return func(b *sqlitelib.Values, idx, i int) error { b.Blob(idx, a.Value(i)); return nil }, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(b *sqlitelib.Values, idx, i int) error {
			b.TextBytes(idx, appendDecimal128(b.Free(), a.Value(i), scale))
			return nil
		}, nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, a.Value(i).ToString(scale)); return nil }, nil
	case *array.Date32:
		var dc dayText
		return func(b *sqlitelib.Values, idx, i int) error { return bindDate(b, idx, &dc, int64(a.Value(i))) }, nil
	case *array.Date64:
		var dc dayText
		return func(b *sqlitelib.Values, idx, i int) error {
			return bindDate(b, idx, &dc, floorDiv(int64(a.Value(i)), 86400_000))
		}, nil
	case *array.Time32:
		mul := int64(1e9)
		if a.DataType().(*arrow.Time32Type).Unit == arrow.Millisecond {
			mul = 1e6
		}
		return func(b *sqlitelib.Values, idx, i int) error {
			b.TextBytes(idx, appendClock(b.Free(), int64(a.Value(i))*mul, 6))
			return nil
		}, nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return func(b *sqlitelib.Values, idx, i int) error {
			if unit == arrow.Nanosecond {
				b.TextBytes(idx, appendClock(b.Free(), int64(a.Value(i)), 9))
			} else {
				b.TextBytes(idx, appendClock(b.Free(), int64(a.Value(i))*1000, 6))
			}
			return nil
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
		var dc dayText
		return func(b *sqlitelib.Values, idx, i int) error {
			v, err := appendTimestamp(b.Free(), &dc, int64(a.Value(i)), perSec, digits, tz)
			if err != nil {
				return err
			}
			b.TextBytes(idx, v)
			return nil
		}, nil
	case *array.MonthDayNanoInterval:
		return func(b *sqlitelib.Values, idx, i int) error {
			v := a.Value(i)
			d := b.Free()
			d = append(d, `{"months":`...)
			d = strconv.AppendInt(d, int64(v.Months), 10)
			d = append(d, `,"days":`...)
			d = strconv.AppendInt(d, int64(v.Days), 10)
			d = append(d, `,"nanoseconds":`...)
			d = strconv.AppendInt(d, v.Nanoseconds, 10)
			b.TextBytes(idx, append(d, '}'))
			return nil
		}, nil
	case *array.List:
		return listBinder(a, a.ListValues())
	case *array.FixedSizeList:
		return listBinder(a, a.ListValues())
	case *extensions.UUIDArray:
		return func(b *sqlitelib.Values, idx, i int) error {
			b.TextBytes(idx, appendUUID(b.Free(), a.Value(i)))
			return nil
		}, nil
	case *extensions.JSONArray:
		st := a.Storage()
		switch s := st.(type) {
		case *array.String:
			return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, s.Value(i)); return nil }, nil
		case *array.LargeString:
			return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, s.Value(i)); return nil }, nil
		}
		return func(b *sqlitelib.Values, idx, i int) error { b.Text(idx, st.ValueStr(i)); return nil }, nil
	}
	return nil, fmt.Errorf("Arrow type %s is not supported", arr.DataType())
}

// appendUUID appends the canonical text of id.
func appendUUID(d []byte, id uuid.UUID) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], id[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], id[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], id[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], id[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], id[10:])
	return append(d, buf[:]...)
}

// listBinder writes each list as a JSON array.
func listBinder(a array.ListLike, vals arrow.Array) (binder, error) {
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
	return func(bd *sqlitelib.Values, idx, i int) error {
		start, end := a.ValueOffsets(i)
		b := bd.Free()
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
		bd.TextBytes(idx, append(b, ']'))
		return nil
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

// bindFloat keeps NaN: SQLite stores a REAL NaN as NULL, so it is written
// as the text 'NaN' (which a REAL column keeps as text).
func bindFloat(b *sqlitelib.Values, idx int, f float64) {
	if math.IsNaN(f) {
		b.Text(idx, "NaN")
		return
	}
	b.Double(idx, f)
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

// digits2 is the two-digit text of 0..99.
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendN appends v (not negative) in decimal, zero-padded to width
// digits, two digits at a time.
func appendN(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for width >= 2 || v >= 10 {
		q := v / 100
		r := v - q*100
		i -= 2
		tmp[i], tmp[i+1] = digits2[2*r], digits2[2*r+1]
		v = q
		width -= 2
	}
	if width > 0 || v > 0 {
		i--
		tmp[i] = byte('0' + v)
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

// dayText holds the text of the last day a binder formatted: the rows of a
// batch mostly share their day with the previous row, and civil's
// divisions and the date's digits were about half of the time of a
// timestamp's text. A binder (one per column and Write) has its own.
type dayText struct {
	days int64
	ok   bool
	text [10]byte // YYYY-MM-DD
}

// appendDate is appendDate(b, days), from the cache when days is the last
// day.
func (dc *dayText) appendDate(b []byte, days int64) ([]byte, error) {
	if dc.ok && days == dc.days {
		return append(b, dc.text[:]...), nil
	}
	dc.ok = false
	t, err := appendDate(dc.text[:0], days)
	if err != nil {
		return nil, err
	}
	if len(t) != len(dc.text) || &t[0] != &dc.text[0] { // not for years 0..9999
		return append(b, t...), nil
	}
	dc.days, dc.ok = days, true
	return append(b, dc.text[:]...), nil
}

func bindDate(b *sqlitelib.Values, idx int, dc *dayText, days int64) error {
	d, err := dc.appendDate(b.Free(), days)
	if err != nil {
		return err
	}
	b.TextBytes(idx, d)
	return nil
}

func appendClock(b []byte, ns int64, digits int) []byte {
	if ns >= 0 && ns < 100*3600e9 {
		// HH:MM:SS. with two digits per lookup.
		sec := ns / 1e9
		h, m, s := sec/3600, sec/60%60, sec%60
		b = append(b, digits2[2*h], digits2[2*h+1], ':', digits2[2*m], digits2[2*m+1], ':', digits2[2*s], digits2[2*s+1], '.')
		frac := ns % 1e9
		if digits == 6 {
			frac /= 1000
		}
		return appendN(b, frac, digits)
	}
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

// appendTimestamp appends v (in units of 1/perSec s) as
// YYYY-MM-DD HH:MM:SS.ffffff (digits fractional digits), and +00:00 when
// tz; dc, if not nil, caches the date's text.
func appendTimestamp(b []byte, dc *dayText, v, perSec int64, digits int, tz bool) ([]byte, error) {
	days := floorDiv(v, 86400*perSec)
	rem := v - days*86400*perSec // the time of day in the unit
	ns := rem * (1e9 / perSec)
	var err error
	if dc != nil {
		b, err = dc.appendDate(b, days)
	} else {
		b, err = appendDate(b, days)
	}
	if err != nil {
		return nil, err
	}
	b = append(b, ' ')
	b = appendClock(b, ns, digits)
	if tz {
		b = append(b, "+00:00"...)
	}
	return b, nil
}

// appendDecimal128 appends Num.ToString(scale), without big.Int for values
// that fit in an int64.
func appendDecimal128(b []byte, n decimal128.Num, scale int32) []byte {
	if n.HighBits() != 0 && n.HighBits() != -1 || scale < 0 || scale > 18 {
		return append(b, n.ToString(scale)...)
	}
	lo := int64(n.LowBits())
	if (n.HighBits() == 0) != (lo >= 0) {
		return append(b, n.ToString(scale)...)
	}
	neg := lo < 0
	u := uint64(lo)
	if neg {
		u = uint64(-lo)
	}
	var tmp [20]byte
	digits := strconv.AppendUint(tmp[:0], u, 10)
	if neg {
		b = append(b, '-')
	}
	if scale == 0 {
		return append(b, digits...)
	}
	if len(digits) <= int(scale) {
		b = append(b, '0', '.')
		for i := len(digits); i < int(scale); i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	at := len(digits) - int(scale)
	b = append(b, digits[:at]...)
	b = append(b, '.')
	return append(b, digits[at:]...)
}
