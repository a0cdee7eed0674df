package job

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"

	"github.com/ferrydata/ferry/internal/arrowval"
	"github.com/ferrydata/ferry/transform"
)

// parseConvType parses MapColumn.Type (transform.ParseType's names);
// "" is nil (keep the source type).
func parseConvType(s string) (arrow.DataType, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return transform.ParseType(s)
}

// javaLayout turns a Java date pattern (SimpleDateFormat: yyyy-MM-dd
// HH:mm:ss.SSS) into a Go time layout.
func javaLayout(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", fmt.Errorf("date pattern %q: unclosed quote", p)
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteString(p[i : i+n])
			i += n
			continue
		}
		var s string
		switch {
		case c == 'y' && n == 2:
			s = "06"
		case c == 'y':
			s = "2006"
		case c == 'M' && n == 1:
			s = "1"
		case c == 'M' && n == 2:
			s = "01"
		case c == 'M' && n == 3:
			s = "Jan"
		case c == 'M':
			s = "January"
		case c == 'd' && n == 1:
			s = "2"
		case c == 'd':
			s = "02"
		case c == 'H':
			s = "15"
		case c == 'h' && n == 1:
			s = "3"
		case c == 'h':
			s = "03"
		case c == 'm' && n == 1:
			s = "4"
		case c == 'm':
			s = "04"
		case c == 's' && n == 1:
			s = "5"
		case c == 's':
			s = "05"
		case c == 'S':
			s = strings.Repeat("0", n)
			if b.Len() == 0 || !strings.HasSuffix(b.String(), ".") && !strings.HasSuffix(b.String(), ",") {
				return "", fmt.Errorf("date pattern %q: fractions of a second (S) must follow a '.'", p)
			}
		case c == 'a':
			s = "PM"
		case c == 'E' && n <= 3:
			s = "Mon"
		case c == 'E':
			s = "Monday"
		case c == 'Z':
			s = "-0700"
		case c == 'X' && n == 1:
			s = "-07"
		case c == 'X' && n == 2:
			s = "-0700"
		case c == 'X':
			s = "-07:00"
		case c == 'z':
			s = "MST"
		default:
			return "", fmt.Errorf("date pattern %q: letter %q is not supported", p, string(c))
		}
		b.WriteString(s)
		i += n
	}
	return b.String(), nil
}

// Layouts tried for text without a format (DataX's datetimeFormat,
// dateFormat and extraFormats, and ISO forms).
var defaultLayouts = []string{
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999",
	"2006-01-02", "20060102", "2006/01/02 15:04:05", "2006/01/02", "20060102150405",
}

// textParser parses text into one Arrow type, appending to a builder.
type textParser func(b array.Builder, s string) error

// newTextParser returns the parser of text into dt; format is a Java date
// pattern for dates and timestamps ("" tries the default layouts).
func newTextParser(dt arrow.DataType, format string) (textParser, error) {
	var layouts []string
	if format != "" {
		l, err := javaLayout(format)
		if err != nil {
			return nil, err
		}
		layouts = []string{l}
	} else {
		layouts = defaultLayouts
	}
	parseTime := func(s string) (time.Time, error) {
		var first error
		for _, l := range layouts {
			t, err := time.ParseInLocation(l, s, time.UTC)
			if err == nil {
				return t, nil
			}
			if first == nil {
				first = err
			}
		}
		if format != "" {
			return time.Time{}, fmt.Errorf("%q does not match the date pattern %q", s, format)
		}
		return time.Time{}, fmt.Errorf("%q is not a date or time (give a format)", s)
	}
	switch t := dt.(type) {
	case *arrow.StringType:
		return func(b array.Builder, s string) error { b.(*array.StringBuilder).Append(s); return nil }, nil
	case *arrow.LargeStringType:
		return func(b array.Builder, s string) error { b.(*array.LargeStringBuilder).Append(s); return nil }, nil
	case *arrow.BinaryType:
		return func(b array.Builder, s string) error { b.(*array.BinaryBuilder).Append([]byte(s)); return nil }, nil
	case *arrow.BooleanType:
		return func(b array.Builder, s string) error {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true", "1", "t", "yes", "y":
				b.(*array.BooleanBuilder).Append(true)
			case "false", "0", "f", "no", "n":
				b.(*array.BooleanBuilder).Append(false)
			default:
				return fmt.Errorf("%q is not a boolean", s)
			}
			return nil
		}, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		bits := t.(arrow.FixedWidthDataType).BitWidth()
		return func(b array.Builder, s string) error {
			v, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
			if err != nil {
				return fmt.Errorf("%q is not a %d-bit integer", s, bits)
			}
			switch bb := b.(type) {
			case *array.Int8Builder:
				bb.Append(int8(v))
			case *array.Int16Builder:
				bb.Append(int16(v))
			case *array.Int32Builder:
				bb.Append(int32(v))
			case *array.Int64Builder:
				bb.Append(v)
			}
			return nil
		}, nil
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		bits := t.(arrow.FixedWidthDataType).BitWidth()
		return func(b array.Builder, s string) error {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, bits)
			if err != nil {
				return fmt.Errorf("%q is not an unsigned %d-bit integer", s, bits)
			}
			switch bb := b.(type) {
			case *array.Uint8Builder:
				bb.Append(uint8(v))
			case *array.Uint16Builder:
				bb.Append(uint16(v))
			case *array.Uint32Builder:
				bb.Append(uint32(v))
			case *array.Uint64Builder:
				bb.Append(v)
			}
			return nil
		}, nil
	case *arrow.Float32Type:
		return func(b array.Builder, s string) error {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil {
				return fmt.Errorf("%q is not a number", s)
			}
			b.(*array.Float32Builder).Append(float32(v))
			return nil
		}, nil
	case *arrow.Float64Type:
		return func(b array.Builder, s string) error {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", s)
			}
			b.(*array.Float64Builder).Append(v)
			return nil
		}, nil
	case *arrow.Decimal128Type:
		return func(b array.Builder, s string) error {
			v, err := decimal128.FromString(strings.TrimSpace(s), t.Precision, t.Scale)
			if err != nil {
				return fmt.Errorf("%q is not a decimal(%d,%d): %v", s, t.Precision, t.Scale, err)
			}
			b.(*array.Decimal128Builder).Append(v)
			return nil
		}, nil
	case *arrow.Decimal256Type:
		return func(b array.Builder, s string) error {
			v, err := decimal256.FromString(strings.TrimSpace(s), t.Precision, t.Scale)
			if err != nil {
				return fmt.Errorf("%q is not a decimal(%d,%d): %v", s, t.Precision, t.Scale, err)
			}
			b.(*array.Decimal256Builder).Append(v)
			return nil
		}, nil
	case *arrow.Date32Type:
		return func(b array.Builder, s string) error {
			tm, err := parseTime(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(tm))
			return nil
		}, nil
	case *arrow.TimestampType:
		return func(b array.Builder, s string) error {
			tm, err := parseTime(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			v, err := arrow.TimestampFromTime(tm, t.Unit)
			if err != nil {
				return err
			}
			b.(*array.TimestampBuilder).Append(v)
			return nil
		}, nil
	}
	return nil, fmt.Errorf("text cannot be converted to %s", dt)
}

// formatText returns the text of the value at i of a (for a text
// destination column): DataX's Column.asString.
func formatText(a arrow.Array, i int) string {
	switch v := arrowval.Value(a, i).(type) {
	case string:
		return v
	case []byte:
		if _, ok := a.DataType().(*arrow.BinaryType); ok {
			return string(v)
		}
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		switch a.DataType().ID() {
		case arrow.DATE32, arrow.DATE64:
			return v.Format("2006-01-02")
		}
		if ts, ok := a.DataType().(*arrow.TimestampType); ok && ts.TimeZone != "" {
			return v.Format("2006-01-02 15:04:05.999999Z07:00")
		}
		return v.Format("2006-01-02 15:04:05.999999")
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// isText reports whether dt holds text.
func isText(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}
