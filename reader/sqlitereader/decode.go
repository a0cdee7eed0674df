package sqlitereader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
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

	"github.com/ferrydata/ferry/internal/fileset"
)

// column decodes the driver values of one result column into one builder.
// parse checks and converts a value into the column's slot; add appends the
// slot. A row is appended only when every column parsed, so a bad value
// never leaves a half-appended row behind.
type column struct {
	name string
	kind kind
	typ  arrow.DataType
	prec int32
	scal int32
	unit arrow.TimeUnit

	// the slot
	null bool
	i    int64
	u    uint64
	f    float64
	b    bool
	s    string
	bs   []byte
	d128 decimal128.Num
	d256 decimal256.Num
	id   uuid.UUID
	mdn  arrow.MonthDayNanoInterval
	ymd  ymdCache // the date of the last timestamp parsed

	// lists: the element decoder and the parsed elements of the slot
	elem  *column
	size  int
	items []column

	bld array.Builder
}

func newColumn(name string, t arrow.DataType, k kind) *column {
	c := &column{name: name, kind: k, typ: t}
	switch t := t.(type) {
	case *arrow.Decimal128Type:
		c.prec, c.scal = t.Precision, t.Scale
	case *arrow.Decimal256Type:
		c.prec, c.scal = t.Precision, t.Scale
	case *arrow.TimestampType:
		c.unit = t.Unit
	case *arrow.Time64Type:
		c.unit = t.Unit
	case *arrow.ListType:
		_, ek, _ := typeOf(elemDecl(t.Elem()))
		c.elem = newColumn(name, t.Elem(), ek)
	case *arrow.FixedSizeListType:
		_, ek, _ := typeOf(elemDecl(t.Elem()))
		c.elem = newColumn(name, t.Elem(), ek)
		c.size = int(t.Len())
	}
	return c
}

// elemDecl names an element type the way typeOf reads it back.
func elemDecl(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT8:
		return "TINYINT"
	case arrow.INT16:
		return "SMALLINT"
	case arrow.INT32:
		return "INT32"
	case arrow.INT64:
		return "INTEGER"
	case arrow.UINT8:
		return "UNSIGNED TINYINT"
	case arrow.UINT16:
		return "UNSIGNED SMALLINT"
	case arrow.UINT32:
		return "UNSIGNED INT"
	case arrow.UINT64:
		return "UNSIGNED BIGINT"
	case arrow.FLOAT32:
		return "FLOAT32"
	case arrow.FLOAT64:
		return "REAL"
	case arrow.BOOL:
		return "BOOLEAN"
	}
	return "TEXT"
}

var (
	errNotInteger = errors.New("not an integer")
	errRange      = errors.New("out of range")
)

// parse converts v (int64, float64, string, []byte, time.Time or nil, as the
// driver returns them) into the slot.
func (c *column) parse(v any) error {
	if v == nil {
		c.null = true
		return nil
	}
	c.null = false
	switch c.kind {
	case kInt8:
		return c.parseInt(v, math.MinInt8, math.MaxInt8)
	case kInt16:
		return c.parseInt(v, math.MinInt16, math.MaxInt16)
	case kInt32:
		return c.parseInt(v, math.MinInt32, math.MaxInt32)
	case kInt64:
		return c.parseInt(v, math.MinInt64, math.MaxInt64)
	case kUint8:
		return c.parseUint(v, math.MaxUint8)
	case kUint16:
		return c.parseUint(v, math.MaxUint16)
	case kUint32:
		return c.parseUint(v, math.MaxUint32)
	case kUint64:
		return c.parseUint(v, math.MaxUint64)
	case kFloat32, kFloat64:
		return c.parseFloat(v)
	case kBool:
		return c.parseBool(v)
	case kString:
		return c.parseString(v)
	case kJSON:
		if err := c.parseString(v); err != nil {
			return err
		}
		return checkJSON(c.s)
	case kBinary:
		switch v := v.(type) {
		case []byte:
			c.bs = v
		case string:
			c.bs = []byte(v)
		default:
			return fmt.Errorf("a %T is not a blob", v)
		}
		return nil
	case kDecimal128, kDecimal256:
		return c.parseDecimal(v)
	case kDate32:
		switch v := v.(type) {
		case string:
			return c.textDate(v)
		case time.Time:
			c.i = int64(arrow.Date32FromTime(v))
			return nil
		}
		return fmt.Errorf("a %T is not a date (want text YYYY-MM-DD)", v)
	case kTime64:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("a %T is not a time of day (want text HH:MM:SS.ffffff)", v)
		}
		return c.textTime(s)
	case kTimestamp, kTimestampTZ:
		switch v := v.(type) {
		case string:
			return c.textTimestamp(v)
		case time.Time:
			if c.unit == arrow.Nanosecond {
				c.i = v.UnixNano()
			} else {
				c.i = v.UnixMicro()
			}
			return nil
		}
		return fmt.Errorf("a %T is not a timestamp (want text YYYY-MM-DD HH:MM:SS.ffffff)", v)
	case kUUID:
		switch v := v.(type) {
		case string:
			return c.textUUID(v)
		case []byte:
			if len(v) == 16 {
				copy(c.id[:], v)
				return nil
			}
		}
		return fmt.Errorf("a %T is not a UUID", v)
	case kList, kFixedList:
		return c.parseList(v)
	case kInterval:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("a %T is not an interval (want JSON {\"months\":m,\"days\":d,\"nanoseconds\":n})", v)
		}
		var iv struct {
			Months      *int32 `json:"months"`
			Days        *int32 `json:"days"`
			Nanoseconds *int64 `json:"nanoseconds"`
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&iv); err != nil || iv.Months == nil || iv.Days == nil || iv.Nanoseconds == nil {
			return errors.New(`not an interval (want JSON {"months":m,"days":d,"nanoseconds":n})`)
		}
		c.mdn = arrow.MonthDayNanoInterval{Months: *iv.Months, Days: *iv.Days, Nanoseconds: *iv.Nanoseconds}
		return nil
	}
	return fmt.Errorf("internal error: unknown kind %d", c.kind)
}

// parseList parses a JSON array into c.items. Numbers keep their exact
// text until the element type converts them; "NaN", "Inf" and "-Inf"
// strings are accepted for float elements (JSON has no such numbers).
func (c *column) parseList(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("a %T is not a JSON array", v)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var arr []any
	if err := dec.Decode(&arr); err != nil || arr == nil {
		return errors.New("not a JSON array")
	}
	if c.kind == kFixedList && len(arr) != c.size {
		return fmt.Errorf("has %d elements, the vector %d", len(arr), c.size)
	}
	c.items = c.items[:0]
	e := c.elem
	for i, x := range arr {
		var err error
		switch x := x.(type) {
		case nil:
			e.null = true
		case json.Number:
			e.null = false
			switch e.kind {
			case kFloat32:
				var f float64
				f, err = strconv.ParseFloat(string(x), 32)
				e.f = float64(float32(f))
			case kFloat64:
				e.f, err = strconv.ParseFloat(string(x), 64)
			case kBool, kString:
				err = fmt.Errorf("number %s is not a %s", x, e.typ)
			default:
				err = e.parse(string(x))
			}
		case string:
			if e.kind == kFloat32 || e.kind == kFloat64 || e.kind == kString {
				err = e.parse(x)
			} else {
				err = fmt.Errorf("string %q is not a %s", x, e.typ)
			}
		case bool:
			if e.kind == kBool {
				e.null, e.b = false, x
			} else {
				err = fmt.Errorf("%v is not a %s", x, e.typ)
			}
		default:
			err = fmt.Errorf("a JSON %T is not a %s", x, e.typ)
		}
		if err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		c.items = append(c.items, *e)
	}
	return nil
}

func (c *column) parseInt(v any, lo, hi int64) error {
	switch v := v.(type) {
	case int64:
		c.i = v
	case float64:
		if v != math.Trunc(v) || v < -9.223372036854775808e18 || v >= 9.223372036854775808e18 {
			return errNotInteger
		}
		c.i = int64(v)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return errNotInteger
		}
		c.i = n
	default:
		return fmt.Errorf("a %T is %w", v, errNotInteger)
	}
	if c.i < lo || c.i > hi {
		return fmt.Errorf("%d is %w of [%d, %d]", c.i, errRange, lo, hi)
	}
	return nil
}

func (c *column) parseUint(v any, hi uint64) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("%d is negative", v)
		}
		c.u = uint64(v)
	case float64:
		if v != math.Trunc(v) || v < 0 || v >= 1.8446744073709551616e19 {
			return errNotInteger
		}
		c.u = uint64(v)
	case string:
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return errors.New("not an unsigned integer")
		}
		c.u = n
	default:
		return fmt.Errorf("a %T is %w", v, errNotInteger)
	}
	if c.u > hi {
		return fmt.Errorf("%d is %w of [0, %d]", c.u, errRange, hi)
	}
	return nil
}

func (c *column) parseFloat(v any) error {
	switch v := v.(type) {
	case float64:
		c.f = v
	case int64:
		c.f = float64(v)
	case string:
		// NaN is stored as the text 'NaN' (SQLite turns a REAL NaN into NULL).
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return errors.New("not a number")
		}
		c.f = f
	default:
		return fmt.Errorf("a %T is not a number", v)
	}
	if c.kind == kFloat32 && !math.IsInf(c.f, 0) && !math.IsNaN(c.f) && math.Abs(c.f) > math.MaxFloat32 {
		return fmt.Errorf("%g is %w of float32", c.f, errRange)
	}
	return nil
}

func (c *column) parseBool(v any) error {
	switch v := v.(type) {
	case int64:
		if v != 0 && v != 1 {
			return fmt.Errorf("%d is not a boolean (0 or 1)", v)
		}
		c.b = v == 1
		return nil
	case float64:
		if v != 0 && v != 1 {
			return fmt.Errorf("%g is not a boolean (0 or 1)", v)
		}
		c.b = v == 1
		return nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "t", "yes", "y", "on":
			c.b = true
			return nil
		case "0", "false", "f", "no", "n", "off":
			c.b = false
			return nil
		}
	}
	return errors.New("not a boolean")
}

func (c *column) parseString(v any) error {
	switch v := v.(type) {
	case string:
		// SQLite stores TEXT as given: it may not be UTF-8, which an Arrow
		// string must be.
		if !utf8.ValidString(v) {
			return errors.New("text is not valid UTF-8")
		}
		c.s = v
	case int64:
		c.s = strconv.FormatInt(v, 10)
	case float64:
		c.s = strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		if !utf8.Valid(v) {
			return errors.New("blob is not valid UTF-8 text")
		}
		c.s = string(v)
	case time.Time:
		c.s = v.Format("2006-01-02 15:04:05.999999999Z07:00")
	default:
		return fmt.Errorf("a %T is not text", v)
	}
	return nil
}

func (c *column) parseDecimal(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		return c.textDecimal(strings.TrimSpace(v))
	case int64:
		s = strconv.FormatInt(v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%g is not a decimal", v)
		}
		// A REAL in a NUMERIC column: its shortest exact text.
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Errorf("a %T is not a decimal", v)
	}
	return c.textDecimal(s)
}

// textDecimal parses the decimal text s (trimmed) into the slot.
func (c *column) textDecimal(s string) error {
	if u, neg, ok := smallDecimal(s, int(c.scal), int(c.prec)); ok {
		if c.kind == kDecimal128 {
			c.d128 = decimal128.FromU64(u)
			if neg {
				c.d128 = c.d128.Negate()
			}
		} else {
			c.d256 = decimal256.FromU64(u)
			if neg {
				c.d256 = c.d256.Negate()
			}
		}
		return nil
	}
	digits, neg, err := decimalDigits(s, int(c.scal))
	if err != nil {
		return err
	}
	if len(digits) > int(c.prec) {
		return fmt.Errorf("%s has more than %d digits (precision %d, scale %d)", s, c.prec, c.prec, c.scal)
	}
	if c.kind == kDecimal128 {
		if len(digits) <= 19 {
			u, _ := strconv.ParseUint(digits, 10, 64)
			c.d128 = decimal128.FromU64(u)
		} else {
			bi, _ := new(big.Int).SetString(digits, 10)
			c.d128 = decimal128.FromBigInt(bi)
		}
		if neg {
			c.d128 = c.d128.Negate()
		}
		return nil
	}
	if len(digits) <= 19 {
		u, _ := strconv.ParseUint(digits, 10, 64)
		c.d256 = decimal256.FromU64(u)
	} else {
		bi, _ := new(big.Int).SetString(digits, 10)
		c.d256 = decimal256.FromBigInt(bi)
	}
	if neg {
		c.d256 = c.d256.Negate()
	}
	return nil
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// smallDecimal is the allocation-free path of parseDecimal for plain
// decimal text of at most 18 significant digits that fits the column. It
// reports false for anything else, which decimalDigits then handles (or
// rejects with a reason).
func smallDecimal(s string, scale, prec int) (u uint64, neg bool, ok bool) {
	if s == "" {
		return 0, false, false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i = 1
	}
	nd, frac, dot, any := 0, 0, false, false
	for ; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			any = true
			if dot {
				frac++
				if frac > scale {
					return 0, false, false
				}
			}
			if u != 0 || ch != '0' {
				nd++
				if nd > 18 {
					return 0, false, false
				}
			}
			u = u*10 + uint64(ch-'0')
		case ch == '.' && !dot:
			dot = true
		default:
			return 0, false, false
		}
	}
	if scale-frac > 18 || nd+scale-frac > prec || nd+scale-frac > 18 {
		return 0, false, false
	}
	if !any {
		return 0, false, false
	}
	return u * pow10[scale-frac], neg && u != 0, true
}

// decimalDigits returns the unscaled digits of the decimal text s at scale
// (leading zeros removed, "0" for zero) and its sign. Fractional digits
// beyond scale must be zeros: nothing is rounded away.
func decimalDigits(s string, scale int) (string, bool, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if strings.ContainsAny(s, "eE") {
		f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
		if err != nil {
			return "", false, fmt.Errorf("%q is not a decimal", orig)
		}
		s = f.Text('f', 80)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", false, fmt.Errorf("%q is not a decimal", orig)
	}
	for _, p := range [2]string{intPart, frac} {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return "", false, fmt.Errorf("%q is not a decimal", orig)
			}
		}
	}
	if len(frac) > scale {
		if strings.Trim(frac[scale:], "0") != "" {
			return "", false, fmt.Errorf("%s has more than %d fractional digits", orig, scale)
		}
		frac = frac[:scale]
	}
	var b strings.Builder
	b.Grow(len(intPart) + scale)
	b.WriteString(strings.TrimLeft(intPart, "0"))
	b.WriteString(frac)
	for i := len(frac); i < scale; i++ {
		b.WriteByte('0')
	}
	d := strings.TrimLeft(b.String(), "0")
	if d == "" {
		return "0", false, nil
	}
	return d, neg, nil
}

// add appends the slot to the column's builder.
func (c *column) add() {
	if c.null {
		c.bld.AppendNull()
		return
	}
	switch c.kind {
	case kInt8:
		c.bld.(*array.Int8Builder).Append(int8(c.i))
	case kInt16:
		c.bld.(*array.Int16Builder).Append(int16(c.i))
	case kInt32:
		c.bld.(*array.Int32Builder).Append(int32(c.i))
	case kInt64:
		c.bld.(*array.Int64Builder).Append(c.i)
	case kUint8:
		c.bld.(*array.Uint8Builder).Append(uint8(c.u))
	case kUint16:
		c.bld.(*array.Uint16Builder).Append(uint16(c.u))
	case kUint32:
		c.bld.(*array.Uint32Builder).Append(uint32(c.u))
	case kUint64:
		c.bld.(*array.Uint64Builder).Append(c.u)
	case kFloat32:
		c.bld.(*array.Float32Builder).Append(float32(c.f))
	case kFloat64:
		c.bld.(*array.Float64Builder).Append(c.f)
	case kBool:
		c.bld.(*array.BooleanBuilder).Append(c.b)
	case kString:
		c.bld.(*array.StringBuilder).Append(c.s)
	case kJSON:
		c.bld.(*array.ExtensionBuilder).Builder.(*array.StringBuilder).Append(c.s)
	case kBinary:
		c.bld.(*array.BinaryBuilder).Append(c.bs)
	case kDecimal128:
		c.bld.(*array.Decimal128Builder).Append(c.d128)
	case kDecimal256:
		c.bld.(*array.Decimal256Builder).Append(c.d256)
	case kDate32:
		c.bld.(*array.Date32Builder).Append(arrow.Date32(c.i))
	case kTime64:
		c.bld.(*array.Time64Builder).Append(arrow.Time64(c.i))
	case kTimestamp, kTimestampTZ:
		c.bld.(*array.TimestampBuilder).Append(arrow.Timestamp(c.i))
	case kUUID:
		c.bld.(*extensions.UUIDBuilder).Append(c.id)
	case kInterval:
		c.bld.(*array.MonthDayNanoIntervalBuilder).Append(c.mdn)
	case kList, kFixedList:
		var vb array.Builder
		if lb, ok := c.bld.(*array.ListBuilder); ok {
			lb.Append(true)
			vb = lb.ValueBuilder()
		} else {
			fb := c.bld.(*array.FixedSizeListBuilder)
			fb.Append(true)
			vb = fb.ValueBuilder()
		}
		for i := range c.items {
			it := &c.items[i]
			it.bld = vb
			it.add()
		}
	}
	c.s, c.bs = "", nil
}

// --- dates and times, parsed by hand: time.Parse is slow and accepts less.

func digitsAt(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for j := i; j < i+n; j++ {
		d := s[j] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + int(d)
	}
	return v, true
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

// parseYMD parses YYYY-MM-DD at the start of s.
func parseYMD(s string) (int64, error) {
	y, ok1 := digitsAt(s, 0, 4)
	m, ok2 := digitsAt(s, 5, 2)
	d, ok3 := digitsAt(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, fmt.Errorf("%q is not a valid date", s)
	}
	return daysFromCivil(y, m, d), nil
}

func parseDate(s string) (arrow.Date32, error) {
	if len(s) != 10 {
		us, nanos, err := parseTimestamp(s)
		if err != nil || nanos != 0 || us%86400e6 != 0 {
			return 0, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
		}
		return arrow.Date32(us / 86400e6), nil
	}
	d, err := parseYMD(s)
	return arrow.Date32(d), err
}

// parseClock parses HH:MM[:SS[.fffffffff]] and returns nanoseconds and
// the rest of s.
func parseClock(s string) (int64, string, error) {
	h, ok1 := digitsAt(s, 0, 2)
	mi, ok2 := digitsAt(s, 3, 2)
	if !ok1 || !ok2 || s[2] != ':' || h > 23 || mi > 59 {
		return 0, "", errors.New("bad time of day")
	}
	ns := int64(h)*3600e9 + int64(mi)*60e9
	s = s[5:]
	if len(s) > 0 && s[0] == ':' {
		sec, ok := digitsAt(s, 1, 2)
		if !ok || sec > 59 {
			return 0, "", errors.New("bad seconds")
		}
		ns += int64(sec) * 1e9
		s = s[3:]
		if len(s) > 0 && s[0] == '.' {
			i := 1
			var frac int64
			scale := int64(1e9)
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				if i > 9 {
					return 0, "", errors.New("more than 9 fractional digits")
				}
				frac = frac*10 + int64(s[i]-'0')
				scale /= 10
				i++
			}
			if i == 1 {
				return 0, "", errors.New("bad fraction")
			}
			ns += frac * scale
			s = s[i:]
		}
	}
	return ns, s, nil
}

// parseTimeOfDay parses HH:MM[:SS[.f]] into nanoseconds.
func parseTimeOfDay(s string) (int64, error) {
	ns, rest, err := parseClock(s)
	if err != nil || rest != "" {
		return 0, fmt.Errorf("%q is not a time of day (want HH:MM:SS.ffffff)", s)
	}
	return ns, nil
}

// ymdCache holds the last date (YYYY-MM-DD) a column's timestamps started
// with and its day number: consecutive rows mostly share their day, and
// comparing ten bytes is cheaper than parsing them and daysFromCivil.
type ymdCache struct {
	text [10]byte
	days int64
	ok   bool
}

// parse is parseYMD(s), from the cache when s starts with its date; a nil
// cache parses.
func (yc *ymdCache) parse(s string) (int64, error) {
	if yc == nil {
		return parseYMD(s)
	}
	if yc.ok && len(s) >= len(yc.text) && s[:len(yc.text)] == string(yc.text[:]) {
		return yc.days, nil
	}
	d, err := parseYMD(s)
	if err == nil {
		copy(yc.text[:], s)
		yc.days, yc.ok = d, true
	}
	return d, err
}

// parseTimestamp parses 'YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH[:MM]]' and
// returns microseconds since the epoch in UTC and the nanoseconds beyond
// (an offset is applied; text without one is taken as UTC).
func parseTimestamp(s string) (us, nanos int64, err error) { return parseTimestampCached(s, nil) }

// parseTimestampCached is parseTimestamp with the date looked up in yc
// (nil: parsed).
func parseTimestampCached(s string, yc *ymdCache) (us, nanos int64, err error) {
	bad := func() (int64, int64, error) {
		return 0, 0, fmt.Errorf("%q is not a timestamp (want YYYY-MM-DD HH:MM:SS.ffffff)", s)
	}
	if len(s) < 10 {
		return bad()
	}
	days, err := yc.parse(s)
	if err != nil {
		return bad()
	}
	rest := s[10:]
	var ns int64
	if rest != "" && (rest[0] == ' ' || rest[0] == 'T' || rest[0] == 't') {
		ns, rest, err = parseClock(rest[1:])
		if err != nil {
			return bad()
		}
	}
	var off int64
	switch {
	case rest == "":
	case rest == "Z" || rest == "z" || rest == " UTC":
	case rest[0] == '+' || rest[0] == '-':
		oh, ok1 := digitsAt(rest, 1, 2)
		om := 0
		ok2 := true
		switch len(rest) {
		case 3:
		case 6:
			if rest[3] != ':' {
				return bad()
			}
			om, ok2 = digitsAt(rest, 4, 2)
		case 5:
			om, ok2 = digitsAt(rest, 3, 2)
		default:
			return bad()
		}
		if !ok1 || !ok2 {
			return bad()
		}
		off = int64(oh)*3600e9 + int64(om)*60e9
		if rest[0] == '-' {
			off = -off
		}
	default:
		return bad()
	}
	// In microseconds, int64 holds every year 0001..9999.
	ns -= off
	us = days*86400e6 + ns/1000
	rem := ns % 1000
	if rem < 0 {
		rem += 1000
		us--
	}
	return us, rem, nil
}

// --- the typed paths the record reader takes for SQLite's storage classes,
// without boxing a value into an interface. Text comes as a view into
// SQLite's memory: the slot may keep it only until add (which copies).

// fromInt64 is parse(v) for an INTEGER value.
func (c *column) fromInt64(v int64) error {
	c.null = false
	switch c.kind {
	case kInt8:
		return c.intRange(v, math.MinInt8, math.MaxInt8)
	case kInt16:
		return c.intRange(v, math.MinInt16, math.MaxInt16)
	case kInt32:
		return c.intRange(v, math.MinInt32, math.MaxInt32)
	case kInt64:
		c.i = v
		return nil
	case kFloat64:
		c.f = float64(v)
		return nil
	}
	return c.parse(v)
}

func (c *column) intRange(v, lo, hi int64) error {
	if v < lo || v > hi {
		return fmt.Errorf("%d is %w of [%d, %d]", v, errRange, lo, hi)
	}
	c.i = v
	return nil
}

// fromFloat is parse(v) for a REAL value.
func (c *column) fromFloat(v float64) error {
	c.null = false
	if c.kind == kFloat64 {
		c.f = v
		return nil
	}
	return c.parse(v)
}

// fromText is parse(v) for a TEXT value; v may be a view into SQLite's
// memory (see above).
func (c *column) fromText(v string) error {
	c.null = false
	switch c.kind {
	case kString:
		if !utf8.ValidString(v) {
			return errors.New("text is not valid UTF-8")
		}
		c.s = v
		return nil
	case kJSON:
		if !utf8.ValidString(v) {
			return errors.New("text is not valid UTF-8")
		}
		c.s = v
		return checkJSON(v)
	case kDate32:
		return c.textDate(v)
	case kTime64:
		return c.textTime(v)
	case kTimestamp, kTimestampTZ:
		return c.textTimestamp(v)
	case kDecimal128, kDecimal256:
		return c.textDecimal(strings.TrimSpace(v))
	case kUUID:
		return c.textUUID(v)
	}
	return c.parse(strings.Clone(v))
}

// fromBlob is parse(v) for a BLOB value; v may be a view into SQLite's
// memory.
func (c *column) fromBlob(v []byte) error {
	c.null = false
	if c.kind == kBinary {
		c.bs = v
		return nil
	}
	return c.parse(bytes.Clone(v))
}

func (c *column) textDate(s string) error {
	d, err := parseDate(s)
	c.i = int64(d)
	return err
}

func (c *column) textTime(s string) error {
	ns, err := parseTimeOfDay(s)
	if err != nil {
		return err
	}
	if c.unit == arrow.Nanosecond {
		c.i = ns
	} else if ns%1000 != 0 {
		return fmt.Errorf("%q has nanoseconds, the column holds microseconds", s)
	} else {
		c.i = ns / 1000
	}
	return nil
}

func (c *column) textTimestamp(v string) error {
	us, nanos, err := parseTimestampCached(v, &c.ymd)
	if err != nil {
		return err
	}
	if c.unit == arrow.Nanosecond {
		if us > math.MaxInt64/1000-1 || us < math.MinInt64/1000+1 {
			return fmt.Errorf("%q is %w of nanosecond timestamps", v, errRange)
		}
		c.i = us*1000 + nanos
	} else {
		if nanos != 0 {
			return fmt.Errorf("%q has nanoseconds, the column holds microseconds", v)
		}
		c.i = us
	}
	return nil
}

func (c *column) textUUID(v string) error {
	if parseCanonicalUUID(&c.id, v) {
		return nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return fmt.Errorf("not a UUID: %w", err)
	}
	c.id = id
	return nil
}

// parseCanonicalUUID parses the canonical form of a UUID
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits of either case) into
// id, and reports false, leaving id unchanged, for anything else (other
// forms go to uuid.Parse). It is about four times faster than uuid.Parse.
func parseCanonicalUUID(id *uuid.UUID, v string) bool {
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return false
	}
	var out uuid.UUID
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
		}
		hi, lo := hexValue[v[i]], hexValue[v[i+1]]
		if hi|lo > 0x0f {
			return false
		}
		out[j] = hi<<4 | lo
		j++
		i += 2
	}
	*id = out
	return true
}

// hexValue is the value of a hex digit, 0xff for other bytes.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// checkJSON reports text that is not one JSON value, without copying s,
// with fileset's scanner (it accepts exactly what json.Valid accepts, at a
// fraction of its cost: json.Valid was 8% of the CPU of a SQLite-to-SQLite
// copy of the benchmark table).
func checkJSON(s string) error {
	if !fileset.ValidJSON(unsafe.Slice(unsafe.StringData(s), len(s))) {
		return errors.New("not valid JSON")
	}
	return nil
}
