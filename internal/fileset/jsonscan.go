package fileset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unsafe"
)

// The JSON scanner of the file readers: it validates exactly as
// encoding/json does (json.Valid; jsonlreader.FuzzScan and FuzzValidJSON
// compare them) without decoding, and hands out the raw values of an
// object's members.

// maxJSONDepth is the deepest nesting of arrays and objects, encoding/json's
// limit.
const maxJSONDepth = 10000

// ValidJSON reports whether b is one JSON value (with surrounding white
// space), as json.Valid does.
func ValidJSON(b []byte) bool {
	end, err := ScanJSONValue(b, SkipJSONSpace(b, 0), 0)
	return err == nil && SkipJSONSpace(b, end) == len(b)
}

// validJSONText is ValidJSON of a string, without copying it.
func validJSONText(s string) bool {
	return ValidJSON(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// JSONSyntaxError describes the byte at b[i] (or the end of input) as
// unexpected in context ctx.
func JSONSyntaxError(b []byte, i int, ctx string) error {
	if i >= len(b) {
		return errors.New("unexpected end of JSON input")
	}
	return fmt.Errorf("invalid character %q %s (offset %d)", b[i], ctx, i)
}

// SkipJSONSpace returns the index of the first byte at or after i that is
// not JSON white space.
func SkipJSONSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// ScanJSONValue returns the end of the JSON value starting at b[i], validating
// it; depth is the nesting depth of the value.
func ScanJSONValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errors.New("unexpected end of JSON input")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanJSONString(b, i)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return scanJSONNumber(b, i)
	case c == 't':
		return scanJSONLiteral(b, i, "true")
	case c == 'f':
		return scanJSONLiteral(b, i, "false")
	case c == 'n':
		return scanJSONLiteral(b, i, "null")
	case c == '[' || c == '{':
		if depth+1 > maxJSONDepth {
			return i, errors.New("exceeded max depth")
		}
		if c == '[' {
			return scanJSONArray(b, i, depth+1)
		}
		return scanJSONObject(b, i, depth+1)
	}
	return i, JSONSyntaxError(b, i, "looking for beginning of value")
}

func scanJSONLiteral(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return i + k, errors.New("unexpected end of JSON input")
		}
		if b[i+k] != lit[k] {
			return i + k, JSONSyntaxError(b, i+k, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

func scanJSONArray(b []byte, i, depth int) (int, error) {
	i = SkipJSONSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := ScanJSONValue(b, i, depth)
		if err != nil {
			return end, err
		}
		i = SkipJSONSpace(b, end)
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		switch b[i] {
		case ',':
			i = SkipJSONSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, JSONSyntaxError(b, i, "after array element")
		}
	}
}

func scanJSONObject(b []byte, i, depth int) (int, error) {
	return ScanJSONObject(b, i, depth, nil)
}

// ScanJSONObject validates the object starting at b[i] (a '{') and returns
// its end; member, when set, is called with each key (quoted, as in b),
// whether it has escapes, and its raw value.
func ScanJSONObject(b []byte, i, depth int, member func(key []byte, escaped bool, val []byte) error) (int, error) {
	i = SkipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		if b[i] != '"' {
			return i, JSONSyntaxError(b, i, "looking for beginning of object key string")
		}
		kend, escaped, err := scanJSONString(b, i)
		if err != nil {
			return kend, err
		}
		key := b[i:kend]
		i = SkipJSONSpace(b, kend)
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		if b[i] != ':' {
			return i, JSONSyntaxError(b, i, "after object key")
		}
		i = SkipJSONSpace(b, i+1)
		vend, err := ScanJSONValue(b, i, depth)
		if err != nil {
			return vend, err
		}
		if member != nil {
			if err := member(key, escaped, b[i:vend]); err != nil {
				return vend, err
			}
		}
		i = SkipJSONSpace(b, vend)
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		switch b[i] {
		case ',':
			i = SkipJSONSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, JSONSyntaxError(b, i, "after object key:value pair")
		}
	}
}

// scanJSONString returns the end (after the closing quote) of the JSON string
// starting at b[i] and whether it has escapes. Other bytes from 0x20 up are
// taken as they are: encoding/json's scanner does not check UTF-8 either.
func scanJSONString(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		// skip plain bytes 8 at a time: none is a quote, a backslash or a
		// control character (the SWAR tests for a zero byte and for a byte
		// below 0x20, whose lowest flag is exact), then to the first byte
		// that is one
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			q, bs := x^0x2222222222222222, x^0x5C5C5C5C5C5C5C5C
			if m := ((q-lsb8)&^q | (bs-lsb8)&^bs | (x-0x2020202020202020)&^x) & msb8; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		if j >= len(b) {
			break
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			j++
			if j >= len(b) {
				return j, escaped, errors.New("unexpected end of JSON input")
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 1; k <= 4; k++ {
					if j+k >= len(b) {
						return j + k, escaped, errors.New("unexpected end of JSON input")
					}
					if !isHexDigit(b[j+k]) {
						return j + k, escaped, JSONSyntaxError(b, j+k, "in \\u hexadecimal character escape")
					}
				}
				j += 4
			default:
				return j, escaped, JSONSyntaxError(b, j, "in string escape code")
			}
		case c < 0x20:
			return j, escaped, JSONSyntaxError(b, j, "in string literal")
		}
	}
	return len(b), escaped, errors.New("unexpected end of JSON input")
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanJSONNumber returns the end of the JSON number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanJSONNumber(b []byte, i int) (int, error) {
	j := i
	if b[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j - k
	}
	if j < len(b) && b[j] == '0' {
		j++
	} else if digits() == 0 {
		return j, JSONSyntaxError(b, j, "in numeric literal")
	}
	if j < len(b) && b[j] == '.' {
		j++
		if digits() == 0 {
			return j, JSONSyntaxError(b, j, "after decimal point in numeric literal")
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if digits() == 0 {
			return j, JSONSyntaxError(b, j, "in exponent of numeric literal")
		}
	}
	return j, nil
}
