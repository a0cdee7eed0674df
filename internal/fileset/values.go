package fileset

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/google/uuid"
)

// The Go values ParseText and ParseJSON return and AppendValue takes, by
// Arrow type: nil (NULL), int64 (signed ints), uint64 (unsigned), float64,
// bool, string (utf8), []byte (binary), decimal128.Num, decimal256.Num,
// arrow.Date32, arrow.Date64, arrow.Time32, arrow.Time64, arrow.Timestamp,
// uuid.UUID, JSONText, arrow.MonthDayNanoInterval and []any (lists).

// JSONText is the text of a JSON value, for the JSON extension type.
type JSONText string

var (
	errInvalidUTF8 = errors.New("invalid UTF-8")
	errNotJSON     = errors.New("not valid JSON")
)

// ErrUnsupported is returned for Arrow types the file codecs do not handle.
var ErrUnsupported = errors.New("unsupported type")

// Text layouts. Zone-less timestamps use TextTimestampLayout; timestamps
// with a zone are RFC 3339 with the zone offset.
const (
	TextDateLayout = "2006-01-02"
)

func fracLayout(u arrow.TimeUnit) string {
	switch u {
	case arrow.Millisecond:
		return ".999"
	case arrow.Microsecond:
		return ".999999"
	case arrow.Nanosecond:
		return ".999999999"
	}
	return ""
}

// AppendText appends the text form of the non-null value at i of a to dst:
// numbers in Go's shortest exact form (NaN, +Inf, -Inf), decimals exact,
// binary as standard base64, dates 2006-01-02, times 15:04:05.999999,
// zone-less timestamps "2006-01-02 15:04:05.999999", zoned ones RFC 3339,
// UUIDs canonical, JSON as is, lists and intervals in their JSON form.
func AppendText(dst []byte, a arrow.Array, i int) []byte {
	switch a := a.(type) {
	case *array.String:
		return append(dst, a.Value(i)...)
	case *array.LargeString:
		return append(dst, a.Value(i)...)
	case *array.Binary:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i))
	case *array.LargeBinary:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i))
	case *array.Timestamp:
		return appendTimestamp(dst, a, i, ' ')
	case *extensions.JSONArray:
		return append(dst, jsonStorageBytes(a, i)...)
	case *array.List, *array.FixedSizeList, *array.MonthDayNanoInterval:
		return AppendJSON(dst, a, i)
	case *extensions.UUIDArray:
		return appendScalar(dst, a, i)
	}
	if out, ok := appendNestedText(dst, a, i); ok {
		return out
	}
	return appendScalar(dst, a, i)
}

// appendScalarFloat appends f in Go's shortest exact form (NaN, +Inf, -Inf).
func appendScalarFloat(dst []byte, f float64, bits int) []byte {
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

func jsonStorageBytes(a *extensions.JSONArray, i int) []byte {
	switch s := a.Storage().(type) {
	case *array.String:
		return stringBytes(s.Value(i)) // read only: no copy
	case *array.LargeString:
		return stringBytes(s.Value(i))
	case *array.Binary:
		return s.Value(i)
	}
	return []byte(a.Storage().ValueStr(i))
}

func appendTimestamp(dst []byte, a *array.Timestamp, i int, sep byte) []byte {
	tt := a.DataType().(*arrow.TimestampType)
	t := a.Value(i).ToTime(tt.Unit)
	if tt.TimeZone == "" {
		t = t.UTC()
		if y := t.Year(); y < 0 || y > 9999 {
			dst = t.AppendFormat(dst, "2006-01-02")
			dst = append(dst, sep)
			return t.AppendFormat(dst, "15:04:05"+fracLayout(tt.Unit))
		}
		dst = appendDate(dst, t)
		dst = append(dst, sep)
		return appendClock(dst, t, tt.Unit)
	}
	loc, err := tt.GetZone()
	if err != nil || loc == nil {
		loc = time.UTC
	}
	if loc == time.UTC {
		if y := t.Year(); y >= 0 && y <= 9999 {
			// what the layout below gives in UTC, without its formatter
			dst = appendDate(dst, t)
			dst = append(dst, 'T')
			dst = appendClock(dst, t, tt.Unit)
			return append(dst, 'Z')
		}
	}
	t = t.In(loc)
	if _, off := t.Zone(); off%60 != 0 {
		// a local mean time offset (Asia/Shanghai before 1901: +08:05:43)
		return t.AppendFormat(dst, "2006-01-02T15:04:05"+fracLayout(tt.Unit)+"Z07:00:00")
	}
	return t.AppendFormat(dst, "2006-01-02T15:04:05"+fracLayout(tt.Unit)+"Z07:00")
}

// appendScalar handles types whose text and JSON forms agree apart from quoting.
func appendScalar(dst []byte, a arrow.Array, i int) []byte {
	switch a := a.(type) {
	case *array.Int8:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(i), 10)
	case *array.Uint8:
		return strconv.AppendUint(dst, uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.AppendUint(dst, uint64(a.Value(i)), 10)
	case *array.Uint32:
		return strconv.AppendUint(dst, uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.AppendUint(dst, a.Value(i), 10)
	case *array.Float32:
		return strconv.AppendFloat(dst, float64(a.Value(i)), 'g', -1, 32)
	case *array.Float64:
		return strconv.AppendFloat(dst, a.Value(i), 'g', -1, 64)
	case *array.Boolean:
		return strconv.AppendBool(dst, a.Value(i))
	case *array.Decimal128:
		v, scale := a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale
		if (v.HighBits() == 0 && v.LowBits() < 1<<63) || (v.HighBits() == -1 && v.LowBits() >= 1<<63) {
			return appendScaled(dst, int64(v.LowBits()), scale)
		}
		return append(dst, v.ToString(scale)...)
	case *array.Decimal256:
		return append(dst, a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale)...)
	case *array.Date32:
		return appendDate(dst, a.Value(i).ToTime())
	case *array.Date64:
		return a.Value(i).ToTime().AppendFormat(dst, TextDateLayout)
	case *array.Time32:
		u := a.DataType().(*arrow.Time32Type).Unit
		return appendTimeOfDay(dst, int64(a.Value(i))*int64(u.Multiplier()), u)
	case *array.Time64:
		u := a.DataType().(*arrow.Time64Type).Unit
		return appendTimeOfDay(dst, int64(a.Value(i))*int64(u.Multiplier()), u)
	case *extensions.UUIDArray:
		return appendUUID(dst, a.Value(i))
	}
	return append(dst, a.ValueStr(i)...)
}

func appendTimeOfDay(dst []byte, ns int64, u arrow.TimeUnit) []byte {
	t := time.Unix(0, ns).UTC()
	return t.AppendFormat(dst, "15:04:05"+fracLayout(u))
}

// ParseText parses s, the text form of a value of dt (see AppendText).
// It never returns nil; the caller decides what text is NULL.
func ParseText(dt arrow.DataType, s string) (any, error) {
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		if !utf8.ValidString(s) {
			return nil, errInvalidUTF8
		}
		return s, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("not base64: %w", err)
		}
		return b, nil
	case *extensions.JSONType:
		if !validJSONText(s) {
			return nil, errNotJSON
		}
		return JSONText(s), nil
	case *arrow.ListType, *arrow.FixedSizeListType, *arrow.MonthDayNanoIntervalType:
		return ParseJSON(dt, []byte(s))
	case *arrow.TimestampType:
		return parseTimestamp(t, s)
	case *extensions.UUIDType:
		return parseScalar(dt, s)
	}
	if known, _ := supportedNested(dt); known {
		return parseNestedText(dt, s)
	}
	return parseScalar(dt, s)
}

func parseScalar(dt arrow.DataType, s string) (any, error) {
	switch t := dt.(type) {
	case *arrow.Int8Type:
		return parseInt(s, 8)
	case *arrow.Int16Type:
		return parseInt(s, 16)
	case *arrow.Int32Type:
		return parseInt(s, 32)
	case *arrow.Int64Type:
		return parseInt(s, 64)
	case *arrow.Uint8Type:
		return parseUint(s, 8)
	case *arrow.Uint16Type:
		return parseUint(s, 16)
	case *arrow.Uint32Type:
		return parseUint(s, 32)
	case *arrow.Uint64Type:
		return parseUint(s, 64)
	case *arrow.Float32Type:
		return box(parseFloatValue(s, 32))
	case *arrow.Float64Type:
		return box(parseFloatValue(s, 64))
	case *arrow.BooleanType:
		return box(parseBoolValue(s))
	case *arrow.Decimal128Type:
		return box(parseDecimal128(t, s))
	case *arrow.Decimal256Type:
		if v, ok := fastDecimal(s, t.Scale); ok {
			n := decimal256.FromI64(v)
			if !n.FitsInPrecision(t.Precision) {
				return nil, fmt.Errorf("%q does not fit %s", s, t)
			}
			return n, nil
		}
		if !numberText(s) {
			return nil, fmt.Errorf("not a %s: %q", t, s)
		}
		n, err := decimal256.FromString(strings.TrimSpace(s), t.Precision, t.Scale)
		if err != nil || !n.FitsInPrecision(t.Precision) {
			return nil, fmt.Errorf("not a %s: %q", t, s)
		}
		if err := exactDecimal(s, t.Scale); err != nil {
			return nil, err
		}
		return n, nil
	case *arrow.Date32Type:
		return box(parseDate32(s))
	case *arrow.Date64Type:
		d, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("not a date (want 2006-01-02): %q", s)
		}
		return arrow.Date64FromTime(d), nil
	case *arrow.Time32Type:
		ns, err := parseTimeOfDay(s)
		if err != nil {
			return nil, err
		}
		if ns%int64(t.Unit.Multiplier()) != 0 {
			return nil, fmt.Errorf("%q is more precise than %s", s, t)
		}
		return arrow.Time32(ns / int64(t.Unit.Multiplier())), nil
	case *arrow.Time64Type:
		ns, err := parseTimeOfDay(s)
		if err != nil {
			return nil, err
		}
		if ns%int64(t.Unit.Multiplier()) != 0 {
			return nil, fmt.Errorf("%q is more precise than %s", s, t)
		}
		return arrow.Time64(ns / int64(t.Unit.Multiplier())), nil
	case *extensions.UUIDType:
		return box(parseUUID(s))
	}
	return nil, fmt.Errorf("%w %s", ErrUnsupported, dt)
}

// numberText reports whether s (trimmed) is [+-]digits[.digits][e[+-]digits]
// (or .digits): decimal FromString panics on some other text ("-Inf").
func numberText(s string) bool {
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	m, e, hasExp := strings.Cut(strings.ToLower(s), "e")
	ip, fp, _ := strings.Cut(m, ".")
	if ip == "" && fp == "" {
		return false
	}
	if hasExp {
		if e != "" && (e[0] == '+' || e[0] == '-') {
			e = e[1:]
		}
		if e == "" || len(e) > 4 {
			return false
		}
	}
	for _, part := range []string{ip, fp, e} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
	}
	return true
}

// exactDecimal rejects text with more fraction digits than scale (which
// FromString would round).
func exactDecimal(s string, scale int32) error {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "eE") {
		return nil
	}
	if _, frac, ok := strings.Cut(s, "."); ok && int32(len(strings.TrimRight(frac, "0"))) > scale {
		return fmt.Errorf("%q has more than %d digits after the point", s, scale)
	}
	return nil
}

func isRange(err error) bool {
	var ne *strconv.NumError
	return errors.As(err, &ne) && ne.Err == strconv.ErrRange
}

func parseInt(s string, bits int) (any, error) { return box(parseIntValue(s, bits)) }

func parseUint(s string, bits int) (any, error) { return box(parseUintValue(s, bits)) }

func parseIntValue(s string, bits int) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
	if err != nil {
		if isRange(err) {
			return 0, fmt.Errorf("%q out of range for int%d", s, bits)
		}
		return 0, fmt.Errorf("not an integer: %q", s)
	}
	return v, nil
}

func parseUintValue(s string, bits int) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, bits)
	if err != nil {
		if isRange(err) {
			return 0, fmt.Errorf("%q out of range for uint%d", s, bits)
		}
		return 0, fmt.Errorf("not an unsigned integer: %q", s)
	}
	return v, nil
}

// parseFloatValue parses the text of a float of bits bits.
func parseFloatValue(s string, bits int) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
	if err != nil && !isRange(err) {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return f, nil
}

// parseBoolValue parses the text of a boolean.
func parseBoolValue(s string) (bool, error) {
	switch s { // the common forms, before trimming and lowering
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "1", "yes", "y", "on":
		return true, nil
	case "false", "f", "0", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}

func parseTimeOfDay(s string) (int64, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("not a time of day (want 15:04:05.999999): %q", s)
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, bad
	}
	h, e1 := strconv.Atoi(s[0:2])
	m, e2 := strconv.Atoi(s[3:5])
	sec, e3 := strconv.Atoi(s[6:8])
	if e1 != nil || e2 != nil || e3 != nil || h > 23 || m > 59 || sec > 59 || h < 0 || m < 0 || sec < 0 {
		return 0, bad
	}
	ns := (int64(h)*3600 + int64(m)*60 + int64(sec)) * 1e9
	if len(s) > 8 {
		frac := s[8:]
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return 0, bad
		}
		digits := frac[1:]
		f, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			return 0, bad
		}
		for k := len(digits); k < 9; k++ {
			f *= 10
		}
		ns += int64(f)
	}
	return ns, nil
}

var tsLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00:00",
	"2006-01-02 15:04:05.999999999Z07:00:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	// PostgreSQL's timestamptz output: +00, +0530 (and +05:30 above)
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses a timestamp text in one of the accepted layouts; text
// without a zone is read in loc. It also reports whether the text had a zone.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok := fastTime(s, loc); ok {
		return t, nil
	}
	for _, l := range tsLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp (want 2006-01-02 15:04:05.999999 or RFC 3339): %q", s)
}

func parseTimestamp(t *arrow.TimestampType, s string) (any, error) {
	return box(parseTimestampValue(t, s))
}

// parseTimestampValue is parseTimestamp without the boxing.
func parseTimestampValue(t *arrow.TimestampType, s string) (arrow.Timestamp, error) {
	loc := time.UTC
	if t.TimeZone != "" {
		l, err := t.GetZone()
		if err == nil && l != nil {
			loc = l
		}
	}
	if loc == time.UTC {
		if ts, ok, err := fastTimestamp(t, s); ok {
			return ts, err
		}
	}
	tm, err := ParseTime(s, loc)
	if err != nil {
		return 0, err
	}
	if t.TimeZone == "" {
		// a zone-less column keeps the wall clock; text with an offset is
		// converted to UTC first.
		tm = tm.UTC()
	}
	if m := int(t.Unit.Multiplier()); tm.Nanosecond()%m != 0 {
		return 0, fmt.Errorf("%q is more precise than %s", s, t)
	}
	ts, err := arrow.TimestampFromTime(tm, t.Unit)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q out of range for %s", s, t)
	}
	return ts, nil
}

// box returns v as an any, or nil with err.
func box[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// parseDecimal128 parses the text of a decimal128 (see parseScalar).
func parseDecimal128(t *arrow.Decimal128Type, s string) (decimal128.Num, error) {
	if v, ok := fastDecimal(s, t.Scale); ok {
		n := decimal128.FromI64(v)
		if !n.FitsInPrecision(t.Precision) {
			return decimal128.Num{}, fmt.Errorf("%q does not fit %s", s, t)
		}
		return n, nil
	}
	if !numberText(s) {
		return decimal128.Num{}, fmt.Errorf("not a %s: %q", t, s)
	}
	n, err := decimal128.FromString(strings.TrimSpace(s), t.Precision, t.Scale)
	if err != nil || !n.FitsInPrecision(t.Precision) {
		return decimal128.Num{}, fmt.Errorf("not a %s: %q", t, s)
	}
	if err := exactDecimal(s, t.Scale); err != nil {
		return decimal128.Num{}, err
	}
	return n, nil
}

// parseDate32 parses the text of a date32.
func parseDate32(s string) (arrow.Date32, error) {
	if d, ok := fastDate32(s); ok {
		return d, nil
	}
	d, err := parseDate(s)
	if err != nil {
		return 0, fmt.Errorf("not a date (want 2006-01-02): %q", s)
	}
	return arrow.Date32FromTime(d), nil
}

// parseUUID parses the text of a UUID.
func parseUUID(s string) (uuid.UUID, error) {
	if u, ok := parseCanonicalUUID(s); ok {
		return u, nil
	}
	u, err := uuid.Parse(strings.TrimSpace(s))
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("not a UUID: %q", s)
	}
	return u, nil
}

// unhex maps a hex digit to its value and every other byte to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range []byte("0123456789abcdef") {
		t[c] = byte(i)
	}
	for i, c := range []byte("ABCDEF") {
		t[c] = byte(10 + i)
	}
	return t
}()

// parseCanonicalUUID decodes the canonical form xxxxxxxx-xxxx-xxxx-xxxx-
// xxxxxxxxxxxx (the value uuid.Parse gives it) by table; ok is false for
// anything else, which uuid.Parse handles.
func parseCanonicalUUID(s string) (u uuid.UUID, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	var bad byte
	for j, i := range uuidHexAt {
		hi, lo := unhex[s[i]], unhex[s[i+1]]
		bad |= hi | lo // 0xff has the high bit a hex digit's value never has
		u[j] = hi<<4 | lo
	}
	return u, bad < 16
}

// uuidHexAt are the offsets of the 16 hex pairs of a canonical UUID.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// AppendValue appends v (a value as ParseText returns it, or nil for NULL)
// to b.
func AppendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	if handled, err := appendNested(b, v); handled {
		return err
	}
	ok := true
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(v.(int64)))
	case *array.Int16Builder:
		b.Append(int16(v.(int64)))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Uint8Builder:
		b.Append(uint8(v.(uint64)))
	case *array.Uint16Builder:
		b.Append(uint16(v.(uint64)))
	case *array.Uint32Builder:
		b.Append(uint32(v.(uint64)))
	case *array.Uint64Builder:
		b.Append(v.(uint64))
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.LargeStringBuilder:
		b.Append(v.(string))
	case *array.BinaryBuilder:
		switch v := v.(type) {
		case []byte:
			b.Append(v)
		case string:
			b.AppendString(v)
		default:
			ok = false
		}
	case *array.Decimal128Builder:
		b.Append(v.(decimal128.Num))
	case *array.Decimal256Builder:
		b.Append(v.(decimal256.Num))
	case *array.Date32Builder:
		b.Append(v.(arrow.Date32))
	case *array.Date64Builder:
		b.Append(v.(arrow.Date64))
	case *array.Time32Builder:
		b.Append(v.(arrow.Time32))
	case *array.Time64Builder:
		b.Append(v.(arrow.Time64))
	case *array.TimestampBuilder:
		b.Append(v.(arrow.Timestamp))
	case *array.MonthDayNanoIntervalBuilder:
		b.Append(v.(arrow.MonthDayNanoInterval))
	case *extensions.UUIDBuilder:
		b.Append(v.(uuid.UUID))
	case *array.ExtensionBuilder:
		switch sb := b.StorageBuilder().(type) {
		case *array.StringBuilder:
			sb.Append(string(v.(JSONText)))
		case *array.LargeStringBuilder:
			sb.Append(string(v.(JSONText)))
		case *array.BinaryBuilder:
			sb.AppendString(string(v.(JSONText)))
		default:
			ok = false
		}
	case *array.ListBuilder:
		b.Append(true)
		for _, e := range v.([]any) {
			if err := AppendValue(b.ValueBuilder(), e); err != nil {
				return err
			}
		}
	case *array.FixedSizeListBuilder:
		b.Append(true)
		for _, e := range v.([]any) {
			if err := AppendValue(b.ValueBuilder(), e); err != nil {
				return err
			}
		}
	default:
		ok = false
	}
	if !ok {
		return fmt.Errorf("fileset: cannot append %T to %s", v, b.Type())
	}
	return nil
}

// Supported reports whether the file codecs handle dt.
func Supported(dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.ListType:
		return Supported(t.Elem())
	case *arrow.FixedSizeListType:
		return Supported(t.Elem())
	case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType,
		*extensions.JSONType, *arrow.MonthDayNanoIntervalType, *arrow.TimestampType,
		*arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float32Type, *arrow.Float64Type, *arrow.BooleanType,
		*arrow.Decimal128Type, *arrow.Decimal256Type, *arrow.Date32Type, *arrow.Date64Type,
		*arrow.Time32Type, *arrow.Time64Type, *extensions.UUIDType:
		return nil
	}
	if known, err := supportedNested(dt); known {
		return err
	}
	return fmt.Errorf("%w %s", ErrUnsupported, dt)
}

var _ = math.NaN

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// fastTime parses "2006-01-02 15:04:05[.999999999]" (or with T) without a
// zone; anything else is left to time.Parse.
func fastTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	// a zone suffix: Z, ±HH or ±HH:MM (RFC 3339 and PostgreSQL's output);
	// other forms (±HHMM, ±HH:MM:SS, " Z07:00") go the slow way
	zone, off, zoned := loc, 0, false
	if k := zoneStart(s); k > 0 {
		var ok bool
		if off, ok = zoneOffset(s[k:]); !ok {
			return time.Time{}, false
		}
		zone, zoned, s = time.UTC, true, s[:k]
	}
	ns := 0
	if len(s) > 19 {
		if s[19] != '.' || len(s) > 29 || len(s) == 20 {
			return time.Time{}, false
		}
		f, ok := digits(s[20:])
		if !ok {
			return time.Time{}, false
		}
		for k := len(s) - 20; k < 9; k++ {
			f *= 10
		}
		ns = f
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, zone)
	if t.Day() != d { // February 30th and the like
		return time.Time{}, false
	}
	if zoned { // the text's offset: the instant, in a zone of that offset
		t = t.Add(-time.Duration(off) * time.Second)
		if off != 0 {
			t = t.In(time.FixedZone("", off))
		}
	}
	return t, true
}

// zoneOffset returns the seconds east of UTC of a zone suffix Z, ±HH or
// ±HH:MM (RFC 3339 and PostgreSQL's output); ok is false for other forms
// (±HHMM, ±HH:MM:SS, " Z07:00"), which go the slow way.
func zoneOffset(z string) (off int, ok bool) {
	switch {
	case z == "Z":
		return 0, true
	case z[0] != 'Z' && (len(z) == 3 || (len(z) == 6 && z[3] == ':')):
		zh, okh := digits(z[1:3])
		zm, okm := 0, true
		if len(z) == 6 {
			zm, okm = digits(z[4:6])
		}
		if !okh || !okm || zh > 23 || zm > 59 {
			return 0, false
		}
		off = zh*3600 + zm*60
		if z[0] == '-' {
			off = -off
		}
		return off, true
	}
	return 0, false
}

// fastTimestamp is parseTimestampValue of a column read in UTC for the
// texts fastTime takes, by integer arithmetic instead of through a
// time.Time; ok is false for the rest (and for nanoseconds near the ends
// of their range), which go the slow way.
func fastTimestamp(t *arrow.TimestampType, s string) (ts arrow.Timestamp, ok bool, err error) {
	orig, unit := s, t.Unit
	s = strings.TrimSpace(s)
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return 0, false, nil
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return 0, false, nil
	}
	off := 0
	if k := zoneStart(s); k > 0 {
		var ok bool
		if off, ok = zoneOffset(s[k:]); !ok {
			return 0, false, nil
		}
		s = s[:k]
	}
	ns := 0
	if len(s) > 19 {
		if s[19] != '.' || len(s) > 29 || len(s) == 20 {
			return 0, false, nil
		}
		f, ok := digits(s[20:])
		if !ok {
			return 0, false, nil
		}
		for k := len(s) - 20; k < 9; k++ {
			f *= 10
		}
		ns = f
	}
	if unit == arrow.Nanosecond && (y < 1678 || y > 2261) {
		return 0, false, nil // the slow way checks the range
	}
	if m := int(unit.Multiplier()); ns%m != 0 {
		return 0, true, fmt.Errorf("%q is more precise than %s", orig, t)
	}
	secs := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec-off)
	switch unit {
	case arrow.Second:
		return arrow.Timestamp(secs), true, nil
	case arrow.Millisecond:
		return arrow.Timestamp(secs*1e3 + int64(ns/1e6)), true, nil
	case arrow.Microsecond:
		return arrow.Timestamp(secs*1e6 + int64(ns/1e3)), true, nil
	}
	return arrow.Timestamp(secs*1e9 + int64(ns)), true, nil
}

// daysIn returns the number of days of month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d (proleptic
// Gregorian calendar, H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// zoneStart returns where the zone suffix of a timestamp text starts (after
// the seconds and fraction), or 0 without one.
func zoneStart(s string) int {
	for k := 19; k < len(s); k++ {
		switch s[k] {
		case 'Z', '+', '-':
			return k
		}
	}
	return 0
}

// fastDecimal parses "[-+]ddd[.ddd]" whose unscaled value has at most 18
// digits; anything else (exponents, more digits) goes the slow way.
func fastDecimal(s string, scale int32) (int64, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	ip, fp, dot := strings.Cut(s, ".")
	if (ip == "" && fp == "") || (dot && fp == "") || int32(len(fp)) > scale || len(ip)+int(scale) > 18 {
		return 0, false
	}
	v := int64(0)
	for i := 0; i < len(ip); i++ {
		c := ip[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	for i := 0; i < len(fp); i++ {
		c := fp[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	for k := int32(len(fp)); k < scale; k++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}

// fastDate32 is parseDate32 of a valid "2006-01-02" by integer
// arithmetic (no time.Date); ok is false for anything else.
func fastDate32(s string) (arrow.Date32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !(ok1 && ok2 && ok3) || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return arrow.Date32(daysFromCivil(y, m, d)), true
}

// parseDate parses 2006-01-02.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 {
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if t.Day() == d {
				return t, nil
			}
		}
	}
	return time.Parse(TextDateLayout, s)
}

// appendScaled appends v / 10^scale exactly.
func appendScaled(dst []byte, v int64, scale int32) []byte {
	if scale <= 0 {
		dst = strconv.AppendInt(dst, v, 10)
		for ; scale < 0; scale++ {
			dst = append(dst, '0')
		}
		return dst
	}
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = uint64(-v)
	}
	var buf [40]byte
	digits := strconv.AppendUint(buf[:0], u, 10)
	if int32(len(digits)) <= scale {
		dst = append(dst, '0', '.')
		for k := int32(len(digits)); k < scale; k++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	cut := len(digits) - int(scale)
	dst = append(dst, digits[:cut]...)
	dst = append(dst, '.')
	return append(dst, digits[cut:]...)
}

// appendUUID appends u in its canonical form (uuid.UUID.String's).
func appendUUID(dst []byte, u uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	for k, b := range u {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[b>>4], hex[b&0x0f])
	}
	return dst
}

// stringBytes returns s as a byte slice without copying; it must not be
// written to.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

// appendDate appends t's date as 2006-01-02 (years 0..9999).
func appendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, TextDateLayout)
	}
	dst = append2(dst, y/100)
	dst = append2(dst, y%100)
	dst = append(dst, '-')
	dst = append2(dst, int(m))
	dst = append(dst, '-')
	return append2(dst, d)
}

// appendClock appends 15:04:05 and the fraction of unit u, without
// trailing zeros (as the .999999 layouts do).
func appendClock(dst []byte, t time.Time, u arrow.TimeUnit) []byte {
	h, m, sec := t.Clock()
	dst = append2(dst, h)
	dst = append(dst, ':')
	dst = append2(dst, m)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	ns := t.Nanosecond()
	width := [...]int{0, 3, 6, 9}[u]
	if width == 0 || ns == 0 {
		return dst
	}
	frac := ns / [...]int{1, 1e6, 1e3, 1}[u]
	var buf [9]byte
	for k := width - 1; k >= 0; k-- {
		buf[k] = byte('0' + frac%10)
		frac /= 10
	}
	end := width
	for end > 0 && buf[end-1] == '0' {
		end--
	}
	dst = append(dst, '.')
	return append(dst, buf[:end]...)
}
