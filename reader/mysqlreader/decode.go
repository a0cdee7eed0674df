package mysqlreader

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// errZeroDate marks a zero date ('0000-00-00').
var errZeroDate = errors.New("zero date")

// decoder appends one non-NULL text value to its builder.
type decoder func(b []byte) error

// valueDecoder appends one non-NULL driver value to its builder. The
// driver hands integer and floating-point columns over already parsed
// (int64, uint64, float32, float64) and everything else as text ([]byte,
// valid until its next row). A typed function takes the values it can
// append exactly as the text decoder would have; it returns false for the
// others, which are formatted as database/sql formats them for
// sql.RawBytes and go through the text decoder, errors included.
type valueDecoder struct {
	text decoder
	i64  func(v int64) bool
	u64  func(v uint64) bool
	f64  func(v float64) bool
}

// decode appends v; scratch is a reused buffer for formatting.
func (d *valueDecoder) decode(v driver.Value, scratch *[]byte) (int, error) {
	var b []byte
	switch x := v.(type) {
	case []byte:
		return len(x), d.text(x)
	case int64:
		if d.i64 != nil && d.i64(x) {
			return 8, nil
		}
		b = strconv.AppendInt((*scratch)[:0], x, 10)
	case uint64:
		if d.u64 != nil && d.u64(x) {
			return 8, nil
		}
		b = strconv.AppendUint((*scratch)[:0], x, 10)
	case float64:
		if d.f64 != nil && d.f64(x) {
			return 8, nil
		}
		b = strconv.AppendFloat((*scratch)[:0], x, 'g', -1, 64)
	case float32:
		b = strconv.AppendFloat((*scratch)[:0], float64(x), 'g', -1, 32)
	case string:
		b = append((*scratch)[:0], x...)
	case bool:
		b = strconv.AppendBool((*scratch)[:0], x)
	default:
		return 0, fmt.Errorf("unexpected driver value of type %T", v)
	}
	*scratch = b
	return len(b), d.text(b)
}

// newValueDecoder returns the decoder of col appending to fb.
func newValueDecoder(col *column, fb array.Builder, loc *time.Location, zeroNull bool) valueDecoder {
	d := valueDecoder{text: newDecoder(col, fb, loc, zeroNull)}
	switch col.kind {
	case kInt8:
		bb := fb.(*array.Int8Builder)
		d.i64 = func(v int64) bool {
			if v != int64(int8(v)) {
				return false
			}
			bb.Append(int8(v))
			return true
		}
	case kInt16:
		bb := fb.(*array.Int16Builder)
		d.i64 = func(v int64) bool {
			if v != int64(int16(v)) {
				return false
			}
			bb.Append(int16(v))
			return true
		}
	case kInt32:
		bb := fb.(*array.Int32Builder)
		d.i64 = func(v int64) bool {
			if v != int64(int32(v)) {
				return false
			}
			bb.Append(int32(v))
			return true
		}
	case kInt64:
		bb := fb.(*array.Int64Builder)
		d.i64 = func(v int64) bool {
			bb.Append(v)
			return true
		}
		d.u64 = func(v uint64) bool {
			if !(v <= math.MaxInt64) {
				return false
			}
			bb.Append(int64(v))
			return true
		}
	case kUint8:
		bb := fb.(*array.Uint8Builder)
		d.i64 = func(v int64) bool {
			if !(v >= 0 && v <= math.MaxUint8) {
				return false
			}
			bb.Append(uint8(v))
			return true
		}
		d.u64 = func(v uint64) bool {
			if !(v <= math.MaxUint8) {
				return false
			}
			bb.Append(uint8(v))
			return true
		}
	case kUint16:
		bb := fb.(*array.Uint16Builder)
		d.i64 = func(v int64) bool {
			if !(v >= 0 && v <= math.MaxUint16) {
				return false
			}
			bb.Append(uint16(v))
			return true
		}
		d.u64 = func(v uint64) bool {
			if !(v <= math.MaxUint16) {
				return false
			}
			bb.Append(uint16(v))
			return true
		}
	case kUint32:
		bb := fb.(*array.Uint32Builder)
		d.i64 = func(v int64) bool {
			if !(v >= 0 && v <= math.MaxUint32) {
				return false
			}
			bb.Append(uint32(v))
			return true
		}
		d.u64 = func(v uint64) bool {
			if !(v <= math.MaxUint32) {
				return false
			}
			bb.Append(uint32(v))
			return true
		}
	case kUint64:
		bb := fb.(*array.Uint64Builder)
		d.i64 = func(v int64) bool {
			if !(v >= 0) {
				return false
			}
			bb.Append(uint64(v))
			return true
		}
		d.u64 = func(v uint64) bool {
			bb.Append(v)
			return true
		}
	case kBool:
		bb := fb.(*array.BooleanBuilder)
		d.i64 = func(v int64) bool {
			if !(v == 0 || v == 1) {
				return false
			}
			bb.Append(v == 1)
			return true
		}
	case kFloat32:
		// The text decoder parses the shortest text of the double and
		// rounds it to float32: the same value as rounding the double.
		bb := fb.(*array.Float32Builder)
		d.f64 = func(v float64) bool {
			bb.Append(float32(v))
			return true
		}
	case kFloat64:
		bb := fb.(*array.Float64Builder)
		d.f64 = func(v float64) bool {
			bb.Append(v)
			return true
		}
	}
	return d
}

// newDecoder returns the decoder of col appending to fb.
func newDecoder(col *column, fb array.Builder, loc *time.Location, zeroNull bool) decoder {
	nullOr := func(err error) error {
		if err == errZeroDate && zeroNull {
			fb.AppendNull()
			return nil
		}
		return err
	}
	switch col.kind {
	case kInt8:
		bb := fb.(*array.Int8Builder)
		return func(b []byte) error {
			v, err := parseInt(b, 8)
			bb.Append(int8(v))
			return err
		}
	case kInt16:
		bb := fb.(*array.Int16Builder)
		return func(b []byte) error {
			v, err := parseInt(b, 16)
			bb.Append(int16(v))
			return err
		}
	case kInt32:
		bb := fb.(*array.Int32Builder)
		return func(b []byte) error {
			v, err := parseInt(b, 32)
			bb.Append(int32(v))
			return err
		}
	case kInt64:
		bb := fb.(*array.Int64Builder)
		return func(b []byte) error {
			v, err := parseInt(b, 64)
			bb.Append(v)
			return err
		}
	case kUint8:
		bb := fb.(*array.Uint8Builder)
		return func(b []byte) error {
			v, err := parseUint(b, 8)
			bb.Append(uint8(v))
			return err
		}
	case kUint16:
		bb := fb.(*array.Uint16Builder)
		return func(b []byte) error {
			v, err := parseUint(b, 16)
			bb.Append(uint16(v))
			return err
		}
	case kUint32:
		bb := fb.(*array.Uint32Builder)
		return func(b []byte) error {
			v, err := parseUint(b, 32)
			bb.Append(uint32(v))
			return err
		}
	case kUint64:
		bb := fb.(*array.Uint64Builder)
		return func(b []byte) error {
			v, err := parseUint(b, 64)
			bb.Append(v)
			return err
		}
	case kBool:
		bb := fb.(*array.BooleanBuilder)
		return func(b []byte) error {
			switch {
			case len(b) == 1 && (b[0] == 0 || b[0] == '0'):
				bb.Append(false)
			case len(b) == 1 && (b[0] == 1 || b[0] == '1'):
				bb.Append(true)
			default:
				bb.AppendNull()
				return fmt.Errorf("value %q is not 0 or 1 (read the column as an integer by casting it in querySql)", b)
			}
			return nil
		}
	case kBits:
		bb := fb.(*array.Uint64Builder)
		return func(b []byte) error {
			var v uint64
			for _, c := range b {
				v = v<<8 | uint64(c)
			}
			bb.Append(v)
			return nil
		}
	case kDec128:
		bb := fb.(*array.Decimal128Builder)
		scale := bb.Type().(*arrow.Decimal128Type).Scale
		return func(b []byte) error {
			v, err := parseDec128(b, scale)
			bb.Append(v)
			return err
		}
	case kDec256:
		bb := fb.(*array.Decimal256Builder)
		scale := bb.Type().(*arrow.Decimal256Type).Scale
		return func(b []byte) error {
			v, err := parseDec256(b, scale)
			bb.Append(v)
			return err
		}
	case kFloat32:
		bb := fb.(*array.Float32Builder)
		return func(b []byte) error {
			v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
			bb.Append(float32(v))
			return err
		}
	case kFloat64:
		bb := fb.(*array.Float64Builder)
		return func(b []byte) error {
			v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
			bb.Append(v)
			return err
		}
	case kString:
		bb := fb.(*array.StringBuilder).BinaryBuilder
		return func(b []byte) error {
			appendBytes(bb, b)
			return nil
		}
	case kBinary:
		bb := fb.(*array.BinaryBuilder)
		return func(b []byte) error {
			appendBytes(bb, b)
			return nil
		}
	case kJSON:
		bb := fb.(*array.ExtensionBuilder).Builder.(*array.StringBuilder).BinaryBuilder
		return func(b []byte) error {
			appendBytes(bb, b)
			return nil
		}
	case kUUID:
		bb := fb.(*extensions.UUIDBuilder)
		sb := bb.ExtensionBuilder.Builder.(*array.FixedSizeBinaryBuilder)
		return func(b []byte) error {
			var u [16]byte
			if err := parseUUID(b, &u); err != nil {
				sb.Append(u[:])
				return err
			}
			sb.Append(u[:])
			return nil
		}
	case kDate:
		bb := fb.(*array.Date32Builder)
		return func(b []byte) error {
			y, m, d, err := parseDate(b)
			if err != nil {
				if err == errZeroDate && zeroNull {
					bb.AppendNull()
					return nil
				}
				bb.AppendNull()
				return err
			}
			bb.Append(arrow.Date32(daysFromCivil(y, m, d)))
			return nil
		}
	case kTime, kDuration:
		var app func(int64)
		if col.kind == kTime {
			bb := fb.(*array.Time64Builder)
			app = func(v int64) { bb.Append(arrow.Time64(v)) }
		} else {
			bb := fb.(*array.DurationBuilder)
			app = func(v int64) { bb.Append(arrow.Duration(v)) }
		}
		tod := col.kind == kTime
		return func(b []byte) error {
			v, err := parseTime(b)
			if err == nil && tod && (v < 0 || v >= 86_400_000_000) {
				err = fmt.Errorf("TIME %s is not a time of day (the default time=duration carries every TIME)", b)
			}
			app(v)
			return err
		}
	case kDateTime, kTimestamp:
		bb := fb.(*array.TimestampBuilder)
		if col.kind == kTimestamp {
			loc = nil // session time zone is UTC
		}
		return func(b []byte) error {
			v, err := parseDateTime(b, loc)
			if err != nil {
				if nerr := nullOr(err); nerr == nil {
					return nil
				}
				bb.AppendNull()
				return err
			}
			bb.Append(arrow.Timestamp(v))
			return nil
		}
	}
	panic("mysqlreader: no decoder for kind " + strconv.Itoa(int(col.kind)))
}

// appendBytes appends b to bb, without the checks of Append (and its
// growth by doubling) when the reservation of the batch holds it.
func appendBytes(bb *array.BinaryBuilder, b []byte) {
	if bb.Len() < bb.Cap() && bb.DataLen()+len(b) <= bb.DataCap() {
		bb.UnsafeAppend(b)
		return
	}
	bb.Append(b)
}

func parseUint(b []byte, bits int) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, fmt.Errorf("%q is not an unsigned integer", b)
	}
	var v uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, fmt.Errorf("%q is not an unsigned integer", b)
		}
		nv := v*10 + d
		if v > (1<<64-1)/10 || nv < v {
			return 0, fmt.Errorf("%q overflows uint%d", b, bits)
		}
		v = nv
	}
	if bits < 64 && v >= 1<<bits {
		return 0, fmt.Errorf("%q overflows uint%d", b, bits)
	}
	return v, nil
}

func parseInt(b []byte, bits int) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, err := parseUint(b, 64)
	if err != nil {
		return 0, err
	}
	lim := uint64(1) << (bits - 1)
	if neg {
		if u > lim {
			return 0, fmt.Errorf("-%s overflows int%d", b, bits)
		}
		return int64(-u), nil
	}
	if u >= lim {
		return 0, fmt.Errorf("%s overflows int%d", b, bits)
	}
	return int64(u), nil
}

var pow10 = func() (p [19]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return
}()

// decDigits walks the digits of a decimal text, calling add with chunks of
// up to 18 digits, and returns the sign and the number of fraction digits.
func decDigits(b []byte, add func(chunk uint64, ndig int)) (neg bool, frac int, err error) {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return false, 0, fmt.Errorf("empty decimal")
	}
	var chunk uint64
	n, seenDot := 0, false
	for _, c := range b {
		if c == '.' && !seenDot {
			seenDot = true
			continue
		}
		d := uint64(c - '0')
		if d > 9 {
			return false, 0, fmt.Errorf("%q is not a decimal", b)
		}
		chunk = chunk*10 + d
		n++
		if seenDot {
			frac++
		}
		if n == 18 {
			add(chunk, n)
			chunk, n = 0, 0
		}
	}
	if n > 0 {
		add(chunk, n)
	}
	if len(b) == 1 && seenDot {
		return false, 0, fmt.Errorf("%q is not a decimal", b) // "." alone has no digit
	}
	return neg, frac, nil
}

// checkMagnitude refuses a decimal text whose value, scaled, needs more
// than maxDigits digits (the arithmetic would overflow).
func checkMagnitude(b []byte, scale int32, maxDigits int) error {
	intDigits, frac, lead := 0, 0, true
	dot := false
	for _, c := range b {
		switch {
		case c == '.':
			dot = true
		case c < '0' || c > '9':
		case dot:
			frac++
		case lead && c == '0':
		default:
			lead = false
			intDigits++
		}
	}
	if frac > int(scale) {
		return fmt.Errorf("%q has more than %d fraction digits", b, scale)
	}
	if intDigits+int(scale) > maxDigits {
		return fmt.Errorf("%q has more digits than a %d-digit decimal holds", b, maxDigits)
	}
	return nil
}

func parseDec128(b []byte, scale int32) (decimal128.Num, error) {
	var v decimal128.Num
	if err := checkMagnitude(b, scale, 38); err != nil {
		return v, err
	}
	neg, frac, err := decDigits(b, func(chunk uint64, n int) {
		v = v.Mul(decimal128.FromU64(pow10[n])).Add(decimal128.FromU64(chunk))
	})
	if err != nil {
		return v, err
	}
	for ; frac < int(scale); frac++ {
		v = v.Mul(decimal128.FromU64(10))
	}
	if frac > int(scale) {
		return v, fmt.Errorf("%q has more than %d fraction digits", b, scale)
	}
	if neg {
		v = v.Negate()
	}
	return v, nil
}

func parseDec256(b []byte, scale int32) (decimal256.Num, error) {
	var v decimal256.Num
	if err := checkMagnitude(b, scale, 76); err != nil {
		return v, err
	}
	neg, frac, err := decDigits(b, func(chunk uint64, n int) {
		v = v.Mul(decimal256.FromU64(pow10[n])).Add(decimal256.FromU64(chunk))
	})
	if err != nil {
		return v, err
	}
	for ; frac < int(scale); frac++ {
		v = v.Mul(decimal256.FromU64(10))
	}
	if frac > int(scale) {
		return v, fmt.Errorf("%q has more than %d fraction digits", b, scale)
	}
	if neg {
		v = v.Negate()
	}
	return v, nil
}

func num(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, len(b) > 0
}

// d2 returns the number written by the two bytes at b[0:2] and whether both
// are digits.
func d2(b []byte) (int, bool) {
	_ = b[1]
	hi, lo := b[0]-'0', b[1]-'0'
	return int(hi)*10 + int(lo), hi <= 9 && lo <= 9
}

// parseDate parses YYYY-MM-DD.
func parseDate(b []byte) (y, m, d int, err error) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, fmt.Errorf("%q is not a date", b)
	}
	c, ok1 := d2(b[0:])
	yy, ok2 := d2(b[2:])
	m, ok3 := d2(b[5:])
	d, ok4 := d2(b[8:])
	if !(ok1 && ok2 && ok3 && ok4) {
		return 0, 0, 0, fmt.Errorf("%q is not a date", b)
	}
	y = c*100 + yy
	if y == 0 || m == 0 || d == 0 {
		return 0, 0, 0, errZeroDate
	}
	return y, m, d, nil
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseFrac parses ".ffffff" (up to 6 digits) into microseconds.
func parseFrac(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if b[0] != '.' || len(b) > 7 {
		return 0, false
	}
	if len(b) == 7 { // DATETIME(6), TIME(6)
		a, ok1 := d2(b[1:])
		c, ok2 := d2(b[3:])
		e, ok3 := d2(b[5:])
		if !(ok1 && ok2 && ok3) {
			return 0, false
		}
		return int64(a*10000 + c*100 + e), true
	}
	v, ok := num(b[1:])
	if !ok {
		return 0, false
	}
	return int64(v) * int64(pow10[7-len(b)]), true
}

// parseTime parses [-]H+:MM:SS[.ffffff] into microseconds.
func parseTime(b []byte) (int64, error) {
	s := b
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] != ':' {
		i++
	}
	if i+6 > len(s) || s[i+3] != ':' || i > 7 { // MySQL's hours end at 838
		return 0, fmt.Errorf("%q is not a time", b)
	}
	h, ok1 := num(s[:i])
	mi, ok2 := num(s[i+1 : i+3])
	sec, ok3 := num(s[i+4 : i+6])
	f, ok4 := parseFrac(s[i+6:])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, fmt.Errorf("%q is not a time", b)
	}
	v := (int64(h)*3600+int64(mi)*60+int64(sec))*1_000_000 + f
	if neg {
		v = -v
	}
	return v, nil
}

// parseDateTime parses YYYY-MM-DD HH:MM:SS[.ffffff] into microseconds since
// the epoch, the wall time taken in loc (nil: UTC).
func parseDateTime(b []byte, loc *time.Location) (int64, error) {
	if len(b) < 19 || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return 0, fmt.Errorf("%q is not a datetime", b)
	}
	y, m, d, err := parseDate(b[:10])
	if err != nil {
		return 0, err
	}
	h, ok1 := d2(b[11:])
	mi, ok2 := d2(b[14:])
	s, ok3 := d2(b[17:])
	f, ok4 := parseFrac(b[19:])
	if !(ok1 && ok2 && ok3 && ok4) {
		return 0, fmt.Errorf("%q is not a datetime", b)
	}
	if loc != nil && loc != time.UTC {
		return time.Date(y, time.Month(m), d, h, mi, s, int(f)*1000, loc).UnixMicro(), nil
	}
	return (daysFromCivil(y, m, d)*86400+int64(h)*3600+int64(mi)*60+int64(s))*1_000_000 + f, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseUUID parses the 36-character text form of a UUID.
func parseUUID(b []byte, u *[16]byte) error {
	if len(b) != 36 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return fmt.Errorf("%q is not a UUID", b)
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++ // a '-', checked above
			continue
		}
		hi, ok1 := unhex(b[i])
		lo, ok2 := unhex(b[i+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%q is not a UUID", b)
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return nil
}
