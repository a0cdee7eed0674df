package mysqlwriter

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry/internal/arrowval"
)

// encoder appends the MySQL text of the non-NULL value at row i. raw says
// the text may hold bytes that need escaping in LOAD DATA (strings, bytes).
type encoder struct {
	app func(dst []byte, i int) []byte
	raw bool
	// view, when set, returns the bytes of a raw value without copying.
	view func(i int) []byte
}

func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// target is what Prepare learnt of one target column.
type target struct {
	name     string
	dataType string // lower case: datetime, timestamp, bit, ...
	required bool   // NOT NULL without a default (and not generated or auto-increment)
}

// newEncoder returns the encoder of arr (of field f) for a column of type tgt.
func (w *Writer) newEncoder(f arrow.Field, arr arrow.Array, tgt target) (encoder, error) {
	switch a := arr.(type) {
	case *array.Int8:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendInt(d, int64(a.Value(i)), 10) }}, nil
	case *array.Int16:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendInt(d, int64(a.Value(i)), 10) }}, nil
	case *array.Int32:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendInt(d, int64(a.Value(i)), 10) }}, nil
	case *array.Int64:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendInt(d, a.Value(i), 10) }}, nil
	case *array.Uint8:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendUint(d, uint64(a.Value(i)), 10) }}, nil
	case *array.Uint16:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendUint(d, uint64(a.Value(i)), 10) }}, nil
	case *array.Uint32:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendUint(d, uint64(a.Value(i)), 10) }}, nil
	case *array.Uint64:
		return encoder{app: func(d []byte, i int) []byte { return strconv.AppendUint(d, a.Value(i), 10) }}, nil
	case *array.Float32:
		// The exact value of the float32 as a double: MariaDB reads it back
		// to the same float (the shortest float32 text can round above FLT_MAX).
		return encoder{app: func(d []byte, i int) []byte { return appendFloat(d, float64(a.Value(i))) }}, nil
	case *array.Float64:
		return encoder{app: func(d []byte, i int) []byte { return appendFloat(d, a.Value(i)) }}, nil
	case *array.Boolean:
		return encoder{app: func(d []byte, i int) []byte {
			if a.Value(i) {
				return append(d, '1')
			}
			return append(d, '0')
		}}, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return encoder{app: func(d []byte, i int) []byte {
			v := a.Value(i)
			if v.HighBits() == 0 && v.LowBits() < 1<<63 || v.HighBits() == -1 && v.LowBits() >= 1<<63 {
				return appendScaled(d, int64(v.LowBits()), scale)
			}
			return append(d, v.ToString(scale)...)
		}}, nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return encoder{app: func(d []byte, i int) []byte { return append(d, a.Value(i).ToString(scale)...) }}, nil
	case *array.String:
		return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, a.Value(i)...) },
			view: func(i int) []byte { return strBytes(a.Value(i)) }}, nil
	case *array.LargeString:
		return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, a.Value(i)...) },
			view: func(i int) []byte { return strBytes(a.Value(i)) }}, nil
	case *array.Binary:
		return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, a.Value(i)...) }, view: a.Value}, nil
	case *array.LargeBinary:
		return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, a.Value(i)...) }, view: a.Value}, nil
	case *array.FixedSizeBinary:
		return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, a.Value(i)...) }, view: a.Value}, nil
	case *array.Date32:
		c := new(dayCache)
		return encoder{app: func(d []byte, i int) []byte { return c.appendDate(d, int64(a.Value(i))) }}, nil
	case *array.Date64:
		return encoder{app: func(d []byte, i int) []byte { return appendDate(d, floorDiv(int64(a.Value(i)), 86_400_000)) }}, nil
	case *array.Time32:
		mul := int64(1000)
		if a.DataType().(*arrow.Time32Type).Unit == arrow.Second {
			mul = 1_000_000
		}
		return encoder{app: func(d []byte, i int) []byte { return appendDuration(d, int64(a.Value(i))*mul) }}, nil
	case *array.Time64:
		div := int64(1)
		if a.DataType().(*arrow.Time64Type).Unit == arrow.Nanosecond {
			div = 1000
		}
		return encoder{app: func(d []byte, i int) []byte { return appendDuration(d, int64(a.Value(i))/div) }}, nil
	case *array.MonthDayNanoInterval:
		// Into TIME: days and nanoseconds (truncated to microseconds). A
		// month has no fixed length: such a value is written as text the
		// server rejects, so the row is dirty with the server's message.
		return encoder{app: func(d []byte, i int) []byte {
			v := a.Value(i)
			if v.Months != 0 {
				return append(d, "interval-with-months"...)
			}
			return appendDuration(d, int64(v.Days)*86_400_000_000+v.Nanoseconds/1000)
		}}, nil
	case *array.Duration:
		unit := a.DataType().(*arrow.DurationType).Unit
		return encoder{app: func(d []byte, i int) []byte { return appendDuration(d, toMicros(int64(a.Value(i)), unit)) }}, nil
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		var loc *time.Location
		if tt.TimeZone != "" && tgt.dataType != "timestamp" && w.cfg.TimeZone != nil && w.cfg.TimeZone != time.UTC {
			loc = w.cfg.TimeZone // an instant into a zone-less column: wall time in the destination zone
		}
		c := new(dayCache)
		if loc == nil && tt.Unit == arrow.Microsecond {
			return encoder{app: func(d []byte, i int) []byte { return c.appendDateTime(d, int64(a.Value(i))) }}, nil
		}
		return encoder{app: func(d []byte, i int) []byte {
			us := toMicros(int64(a.Value(i)), tt.Unit)
			if loc != nil {
				t := time.UnixMicro(us).In(loc)
				_, off := t.Zone()
				us += int64(off) * 1_000_000
			}
			return c.appendDateTime(d, us)
		}}, nil
	case *extensions.UUIDArray:
		if tgt.dataType == "uuid" && w.method == MethodLoad {
			// MariaDB's UUID type takes a binary string as the 16 bytes.
			sb := a.Storage().(*array.FixedSizeBinary)
			return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, sb.Value(i)...) }, view: sb.Value}, nil
		}
		sb := a.Storage().(*array.FixedSizeBinary)
		return encoder{app: func(d []byte, i int) []byte { return appendUUID(d, sb.Value(i)) }}, nil
	case *extensions.JSONArray:
		st, ok := a.Storage().(*array.String)
		if !ok {
			return encoder{}, fmt.Errorf("mysqlwriter: column %s: JSON stored as %s is not supported", f.Name, a.Storage().DataType())
		}
		return encoder{raw: true, app: func(d []byte, i int) []byte { return append(d, st.Value(i)...) },
			view: func(i int) []byte { return strBytes(st.Value(i)) }}, nil
	case array.ListLike:
		return encoder{raw: true, app: func(d []byte, i int) []byte {
			b, err := json.Marshal(arrowval.JSONSafe(a, i))
			if err != nil {
				return append(d, "!invalid"...)
			}
			return append(d, b...)
		}}, nil
	}
	return encoder{}, fmt.Errorf("mysqlwriter: column %s has Arrow type %s, which MySQL cannot hold", f.Name, f.Type)
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1_000_000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return floorDiv(v, 1000)
	}
	return v
}

func appendFloat(d []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// MySQL has no NaN or infinity: the server rejects this text and
		// the row becomes dirty with the server's message.
		return strconv.AppendFloat(d, f, 'g', -1, 64)
	}
	return strconv.AppendFloat(d, f, 'g', -1, 64)
}

// appendScaled appends v / 10^scale as decimal text.
func appendScaled(d []byte, v int64, scale int32) []byte {
	if scale <= 0 {
		d = strconv.AppendInt(d, v, 10)
		for range -scale {
			d = append(d, '0')
		}
		return d
	}
	u := uint64(v)
	if v < 0 {
		d = append(d, '-')
		u = -u
	}
	// The digits right-aligned in buf, zero-padded to scale+1 digits.
	var buf [48]byte
	p := len(buf)
	for u >= 100 {
		q := u / 100
		p -= 2
		copy(buf[p:], digits2[2*(u-q*100):][:2])
		u = q
	}
	if u >= 10 {
		p -= 2
		copy(buf[p:], digits2[2*u:][:2])
	} else {
		p--
		buf[p] = byte('0' + u)
	}
	if s := int(scale); s < len(buf)-1 {
		for len(buf)-p <= s {
			p--
			buf[p] = '0'
		}
		dot := len(buf) - s
		d = append(d, buf[p:dot]...)
		d = append(d, '.')
		return append(d, buf[dot:]...)
	}
	return appendScaledWide(d, buf[p:], scale)
}

// appendScaledWide appends the digits s scaled by a scale too large
// for appendScaled's buffer (decimal128 scales reach 38).
func appendScaledWide(d, s []byte, scale int32) []byte {
	d = append(d, '0', '.')
	for range int(scale) - len(s) {
		d = append(d, '0')
	}
	return append(d, s...)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil returns the proleptic Gregorian date of days since 1970-01-01.
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
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
	return
}

// digits2 holds the two-digit texts of 0 to 99.
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

func pad(d []byte, v int64, n int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for i := len(s); i < n; i++ {
		d = append(d, '0')
	}
	return append(d, s...)
}

// put2 writes the two digits of v (0 to 99) at b[0:2].
func put2(b []byte, v int64) {
	copy(b[:2], digits2[2*v:])
}

// putDate writes YYYY-MM-DD of 0 <= y <= 9999 into b[0:10].
func putDate(b []byte, y, m, dd int64) {
	put2(b[0:], y/100)
	put2(b[2:], y%100)
	b[4] = '-'
	put2(b[5:], m)
	b[7] = '-'
	put2(b[8:], dd)
}

// putClock writes HH:MM:SS of sec < 100 hours into b[0:8].
func putClock(b []byte, sec int64) {
	put2(b[0:], sec/3600)
	b[2] = ':'
	put2(b[3:], sec/60%60)
	b[5] = ':'
	put2(b[6:], sec%60)
}

// appendFrac appends ".ffffff" of 0 < f < 1e6 microseconds.
func appendFrac(d []byte, f int64) []byte {
	var b [7]byte
	b[0] = '.'
	put2(b[1:], f/10000)
	put2(b[3:], f/100%100)
	put2(b[5:], f%100)
	return append(d, b[:]...)
}

func appendDate(d []byte, days int64) []byte {
	y, m, dd := civil(days)
	if y < 0 || y > 9999 {
		return appendDateSlow(d, days)
	}
	var b [10]byte
	putDate(b[:], y, m, dd)
	return append(d, b[:]...)
}

func appendClock(d []byte, us int64, hourDigits int) []byte {
	sec := us / 1_000_000
	if hourDigits != 2 || sec >= 100*3600 {
		return appendClockSlow(d, us, hourDigits)
	}
	var b [8]byte
	putClock(b[:], sec)
	d = append(d, b[:]...)
	if f := us % 1_000_000; f != 0 {
		d = appendFrac(d, f)
	}
	return d
}

func appendDateTime(d []byte, us int64) []byte {
	days := floorDiv(us, 86_400_000_000)
	y, m, dd := civil(days)
	if y < 0 || y > 9999 {
		return appendDateTimeSlow(d, us)
	}
	var t [10]byte
	putDate(t[:], y, m, dd)
	return appendDateAndClock(d, &t, us, days)
}

// appendDateAndClock appends date (the text of days), a space and the time
// of day of us, with its fraction when there is one.
func appendDateAndClock(d []byte, date *[10]byte, us, days int64) []byte {
	var b [19]byte
	copy(b[:10], date[:])
	b[10] = ' '
	tod := us - days*86_400_000_000
	putClock(b[11:], tod/1_000_000)
	d = append(d, b[:]...)
	if f := tod % 1_000_000; f != 0 {
		d = appendFrac(d, f)
	}
	return d
}

// dayCache holds the YYYY-MM-DD text of the days last formatted, one per
// slot of days mod 64: a column's dates mostly fall on a few days.
type dayCache struct {
	day  [64]int64
	set  [64]bool
	text [64][10]byte
}

// date returns the text of days, or false outside years 0 to 9999.
func (c *dayCache) date(days int64) (*[10]byte, bool) {
	k := days & 63
	if c.set[k] && c.day[k] == days {
		return &c.text[k], true
	}
	y, m, dd := civil(days)
	if y < 0 || y > 9999 {
		return nil, false
	}
	putDate(c.text[k][:], y, m, dd)
	c.day[k], c.set[k] = days, true
	return &c.text[k], true
}

// appendDate is appendDate with c's days.
func (c *dayCache) appendDate(d []byte, days int64) []byte {
	t, ok := c.date(days)
	if !ok {
		return appendDateSlow(d, days)
	}
	return append(d, t[:]...)
}

// appendDateTime is appendDateTime with c's days.
func (c *dayCache) appendDateTime(d []byte, us int64) []byte {
	days := floorDiv(us, 86_400_000_000)
	t, ok := c.date(days)
	if !ok {
		return appendDateTimeSlow(d, us)
	}
	return appendDateAndClock(d, t, us, days)
}

func appendDuration(d []byte, us int64) []byte {
	if us < 0 {
		d = append(d, '-')
		us = -us
	}
	return appendClock(d, us, 2)
}

// escapes maps a byte to the letter after the backslash that LOAD DATA
// (FIELDS ESCAPED BY '\\') needs for it, or 0 when it goes as it is.
var escapes = [256]byte{'\\': '\\', '\t': 't', '\n': 'n', '\r': 'r', 0: '0', 0x1a: 'Z'}

// appendEscaped appends b escaped for LOAD DATA with FIELDS ESCAPED BY '\\'.
// Eight bytes at a time are skipped while none of them may need escaping.
func appendEscaped(d, b []byte) []byte {
	start, i := 0, 0
	for i < len(b) {
		end := len(b)
		if i+8 <= len(b) {
			if !maySpecial8(binary.LittleEndian.Uint64(b[i:])) {
				i += 8
				continue
			}
			end = i + 8
		}
		for ; i < end; i++ {
			esc := escapes[b[i]]
			if esc == 0 {
				continue
			}
			d = append(d, b[start:i]...)
			d = append(d, '\\', esc)
			start = i + 1
		}
	}
	return append(d, b[start:]...)
}

const (
	ones8  = 0x0101010101010101
	highs8 = 0x8080808080808080
)

// maySpecial8 reports whether one of the eight bytes of x is below 0x20
// (NUL, tab, newline, carriage return and ^Z are) or a backslash: only
// then may one need escaping. (x - 0x20 each) & ^x has a byte's high bit
// set for a byte below 0x20, and the same of x ^ backslashes for a zero
// byte; a borrow can only set bits above a byte that is itself found.
func maySpecial8(x uint64) bool {
	bs := x ^ ('\\' * ones8)
	return ((x-0x20*ones8)&^x|(bs-ones8)&^bs)&highs8 != 0
}

// appendUUID appends the 36-character text of a 16-byte UUID.
func appendUUID(d, u []byte) []byte {
	const hex = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hex[c>>4], hex[c&15]
		j += 2
	}
	return append(d, b[:]...)
}

// appendDateSlow is the general appendDate, for values outside the fast one's range.
func appendDateSlow(d []byte, days int64) []byte {
	y, m, dd := civil(days)
	d = pad(d, y, 4)
	d = append(d, '-')
	d = pad(d, m, 2)
	d = append(d, '-')
	return pad(d, dd, 2)
}

// appendClockSlow is the general appendClock, for values outside the fast one's range.
func appendClockSlow(d []byte, us int64, hourDigits int) []byte {
	sec := us / 1_000_000
	d = pad(d, sec/3600, hourDigits)
	d = append(d, ':')
	d = pad(d, sec/60%60, 2)
	d = append(d, ':')
	d = pad(d, sec%60, 2)
	if f := us % 1_000_000; f != 0 {
		d = append(d, '.')
		d = pad(d, f, 6)
	}
	return d
}

// appendDateTimeSlow is the general appendDateTime, for values outside the fast one's range.
func appendDateTimeSlow(d []byte, us int64) []byte {
	days := floorDiv(us, 86_400_000_000)
	d = appendDateSlow(d, days)
	d = append(d, ' ')
	return appendClockSlow(d, us-days*86_400_000_000, 2)
}
