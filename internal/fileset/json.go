package fileset

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// AppendJSON appends the JSON form of the value at i of a (null for NULL):
// integers as numbers, finite floats as numbers and NaN/±Inf as the strings
// "NaN", "+Inf", "-Inf", decimals as strings (exact), binary as a base64
// string, dates, times and timestamps as strings in their text form (zoned
// timestamps RFC 3339), UUIDs as strings, JSON values embedded as they are (compacted only when they contain line breaks),
// lists as arrays, intervals as {"months":m,"days":d,"nanoseconds":n}.
func AppendJSON(dst []byte, a arrow.Array, i int) []byte {
	if IsNull(a, i) {
		return append(dst, "null"...)
	}
	switch a := a.(type) {
	case *array.Int8, *array.Int16, *array.Int32, *array.Int64,
		*array.Uint8, *array.Uint16, *array.Uint32, *array.Uint64, *array.Boolean:
		return appendScalar(dst, a, i)
	case *array.Float32:
		return appendJSONFloat(dst, float64(a.Value(i)), 32)
	case *array.Float64:
		return appendJSONFloat(dst, a.Value(i), 64)
	case *array.String:
		return appendJSONString(dst, a.Value(i))
	case *array.LargeString:
		return appendJSONString(dst, a.Value(i))
	case *array.Binary:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, a.Value(i))
		return append(dst, '"')
	case *array.LargeBinary:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, a.Value(i))
		return append(dst, '"')
	case *array.Timestamp:
		dst = append(dst, '"')
		dst = appendTimestamp(dst, a, i, 'T')
		return append(dst, '"')
	case *extensions.JSONArray:
		raw := jsonStorageBytes(a, i)
		if !ValidJSON(raw) {
			return appendJSONString(dst, string(raw))
		}
		if bytes.IndexAny(raw, "\r\n") < 0 {
			return append(dst, raw...) // kept byte for byte
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return append(dst, raw...)
		}
		return append(dst, buf.Bytes()...)
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return fmt.Appendf(dst, `{"months":%d,"days":%d,"nanoseconds":%d}`, v.Months, v.Days, v.Nanoseconds)
	case *extensions.UUIDArray:
		dst = append(dst, '"')
		dst = appendScalar(dst, a, i)
		return append(dst, '"')
	}
	if out, ok := appendNestedJSON(dst, a, i); ok {
		return out
	}
	switch a := a.(type) {
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		dst = append(dst, '[')
		for j := start; j < end; j++ {
			if j > start {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, vals, int(j))
		}
		return append(dst, ']')
	}
	dst = append(dst, '"')
	dst = appendScalar(dst, a, i)
	return append(dst, '"')
}

// IsNull reports whether the value at i of a is NULL (every value of the
// null type is, though its arrays have no validity bitmap).
func IsNull(a arrow.Array, i int) bool {
	return a.IsNull(i) || a.DataType().ID() == arrow.NULL
}

func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, f, 'g', -1, bits)
		return append(dst, '"')
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 bytes become U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = fmt.Appendf(dst, `\u%04x`, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

var errNotString = errors.New("want a JSON string")

func jsonString(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", errNotString
	}
	// fast path: no escapes
	if len(raw) >= 2 && raw[len(raw)-1] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		s := string(raw[1 : len(raw)-1])
		if utf8.ValidString(s) {
			return s, nil
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
}

// ParseJSON parses raw, one JSON value, as a value of dt (see AppendJSON);
// JSON null is nil. Numbers are also accepted as strings and decimals as
// numbers; timestamps, dates and times take their text forms.
func ParseJSON(dt arrow.DataType, raw []byte) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty JSON value")
	}
	if string(raw) == "null" {
		return nil, nil
	}
	if v, ok, err := parseNestedJSON(dt, raw); ok {
		return v, err
	}
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		s, err := jsonString(raw)
		if err != nil {
			return nil, fmt.Errorf("want a JSON string, got %.40s", raw)
		}
		return s, nil
	case *extensions.JSONType:
		if !ValidJSON(raw) {
			return nil, errors.New("not valid JSON")
		}
		return JSONText(raw), nil
	case *arrow.MonthDayNanoIntervalType:
		var v struct {
			Months      *int32 `json:"months"`
			Days        *int32 `json:"days"`
			Nanoseconds *int64 `json:"nanoseconds"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf(`want {"months":m,"days":d,"nanoseconds":n}: %w`, err)
		}
		var iv arrow.MonthDayNanoInterval
		if v.Months != nil {
			iv.Months = *v.Months
		}
		if v.Days != nil {
			iv.Days = *v.Days
		}
		if v.Nanoseconds != nil {
			iv.Nanoseconds = *v.Nanoseconds
		}
		return iv, nil
	case *arrow.ListType, *arrow.FixedSizeListType:
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
			return nil, fmt.Errorf("want a JSON array, got %.40s", raw)
		}
		et := t.(arrow.ListLikeType).Elem()
		if fl, ok := t.(*arrow.FixedSizeListType); ok && int32(len(elems)) != fl.Len() {
			return nil, fmt.Errorf("want %d elements, got %d", fl.Len(), len(elems))
		}
		out := make([]any, len(elems))
		for k, e := range elems {
			v, err := ParseJSON(et, e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", k, err)
			}
			out[k] = v
		}
		return out, nil
	case *arrow.BooleanType:
		switch string(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	case *arrow.Float32Type, *arrow.Float64Type,
		*arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Decimal128Type, *arrow.Decimal256Type:
		if raw[0] != '"' {
			if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
				return parseScalar(dt, string(raw))
			}
			break
		}
	}
	s, err := jsonString(raw)
	if err != nil {
		return nil, fmt.Errorf("want a %s, got %.40s", dt, raw)
	}
	return ParseText(dt, s)
}

var (
	_ = decimal128.Num{}
	_ = decimal256.Num{}
)
