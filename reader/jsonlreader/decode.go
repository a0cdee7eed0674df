package jsonlreader

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry/internal/fileset"
)

// maxDepth is the deepest nesting of arrays and objects a line may have,
// encoding/json's limit.
const maxDepth = 10000

// lineDecoder decodes one JSON Lines line in a single pass: it validates
// the object as encoding/json would (every value, also of keys not in the
// schema), remembers the raw value of each column's key (the last one
// when a key repeats, as json.Unmarshal into a map does) and parses those
// straight into typed pending values, appended to the builders only once
// every column parsed, so that a dirty row leaves nothing behind.
type lineDecoder struct {
	fields []arrow.Field
	index  map[string]int
	cols   []colDec
	// memberFn is d.member, made once (a method value allocates)
	memberFn func(key []byte, escaped bool, val []byte) error
}

func newLineDecoder(fields []arrow.Field) *lineDecoder {
	d := &lineDecoder{fields: fields, index: make(map[string]int, len(fields)), cols: make([]colDec, len(fields))}
	d.memberFn = d.member
	for i, f := range fields {
		d.index[f.Name] = i
		d.cols[i].dt = f.Type
		switch f.Type.ID() {
		case arrow.INT64:
			d.cols[i].kind = kInt64
		case arrow.FLOAT64:
			d.cols[i].kind = kFloat64
		case arrow.STRING:
			d.cols[i].kind = kString
		case arrow.BOOL:
			d.cols[i].kind = kBool
		case arrow.EXTENSION:
			if _, ok := f.Type.(*extensions.JSONType); ok {
				d.cols[i].kind = kJSON
			} else {
				d.cols[i].kind = kAny
			}
		default:
			d.cols[i].kind = kAny
		}
	}
	return d
}

const (
	kAny = iota
	kInt64
	kFloat64
	kString
	kBool
	kJSON
)

// colDec is one column's raw value and, after parse, its pending value.
type colDec struct {
	dt   arrow.DataType
	kind int
	raw  []byte // nil: key absent
	null bool
	i    int64
	f    float64
	s    string // aliases the line (or a decoded copy)
	b    bool
	v    any
}

// scan validates text as one JSON object and records the raw values of the
// schema's keys. Its error says why the line is not a JSON object.
func (d *lineDecoder) scan(text []byte) error {
	for i := range d.cols {
		d.cols[i].raw = nil
	}
	i := skipWS(text, 0)
	if i >= len(text) {
		return errors.New("unexpected end of JSON input")
	}
	switch text[i] {
	case '{':
	case 'n':
		if _, err := scanValue(text, i, 0); err != nil {
			return err
		}
		if skipWS(text, i+4) == len(text) {
			return errors.New("null")
		}
		return syntaxErr(text, skipWS(text, i+4), "after top-level value")
	default:
		end, err := scanValue(text, i, 0)
		if err != nil {
			return err
		}
		if j := skipWS(text, end); j < len(text) {
			return syntaxErr(text, j, "after top-level value")
		}
		return fmt.Errorf("a JSON %s, not an object", kindName(text[i]))
	}
	end, err := scanMembers(text, i, 1, d.memberFn)
	if err != nil {
		return err
	}
	if j := skipWS(text, end); j < len(text) {
		return syntaxErr(text, j, "after top-level value")
	}
	return nil
}

// member records the raw value of a schema key.
func (d *lineDecoder) member(key []byte, escaped bool, val []byte) error {
	if escaped {
		k, err := unquote(key)
		if err != nil {
			return err
		}
		if c, ok := d.index[k]; ok {
			d.cols[c].raw = val
		}
	} else if c, ok := d.index[string(key[1:len(key)-1])]; ok { // no allocation
		d.cols[c].raw = val
	}
	return nil
}

// parse parses column c's raw value into its pending value.
func (c *colDec) parse() error {
	raw := c.raw
	c.null = false
	if raw == nil || (len(raw) == 4 && string(raw) == "null") {
		c.null = true
		return nil
	}
	switch c.kind {
	case kInt64:
		if plainInt(raw) {
			if v, err := strconv.ParseInt(view(raw), 10, 64); err == nil {
				c.i = v
				return nil
			}
		}
	case kFloat64:
		if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
			if v, err := strconv.ParseFloat(view(raw), 64); err == nil {
				c.f = v
				return nil
			}
		}
	case kString:
		if raw[0] == '"' && noEscape(raw) {
			c.s = view(raw[1 : len(raw)-1]) // the line is valid UTF-8
			return nil
		}
	case kBool:
		switch string(raw) {
		case "true":
			c.b = true
			return nil
		case "false":
			c.b = false
			return nil
		}
	case kJSON:
		// scan validated it as encoding/json would (json.Valid, which
		// ParseJSON runs, is the same check once more)
		c.v = fileset.JSONText(view(raw))
		return nil
	}
	// every other case (and every error, for its message) through the
	// generic codec; its results are what the fast paths above give
	v, err := fileset.ParseJSON(c.dt, raw)
	if err != nil {
		return err
	}
	switch c.kind {
	case kInt64:
		c.i = v.(int64)
	case kFloat64:
		c.f = v.(float64)
	case kString:
		c.s = v.(string)
	case kBool:
		c.b = v.(bool)
	default:
		c.v = v
	}
	if v == nil {
		c.null = true
	}
	return nil
}

// commit appends the pending value to b (the column's builder).
func (c *colDec) commit(b array.Builder) error {
	if c.null {
		b.AppendNull()
		return nil
	}
	switch c.kind {
	case kInt64:
		b.(*array.Int64Builder).Append(c.i)
	case kFloat64:
		b.(*array.Float64Builder).Append(c.f)
	case kString:
		b.(*array.StringBuilder).Append(c.s) // copies
		c.s = ""
	case kBool:
		b.(*array.BooleanBuilder).Append(c.b)
	default:
		err := fileset.AppendValue(b, c.v)
		c.v = nil
		return err
	}
	return nil
}

// view returns b as a string without copying.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// plainInt reports whether raw (a valid JSON number) has no fraction or
// exponent.
func plainInt(raw []byte) bool {
	for _, c := range raw {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// noEscape reports whether the JSON string raw has no backslash.
func noEscape(raw []byte) bool {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' {
			return false
		}
	}
	return true
}

func unquote(raw []byte) (string, error) {
	// rare (a key with escapes): the standard library's exact decoding
	var s string
	err := jsonUnmarshal(raw, &s)
	return s, err
}

func kindName(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

func syntaxErr(b []byte, i int, ctx string) error {
	if i >= len(b) {
		return errors.New("unexpected end of JSON input")
	}
	return fmt.Errorf("invalid character %q %s (offset %d)", b[i], ctx, i)
}

func skipWS(b []byte, i int) int {
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

// scanValue returns the end of the JSON value starting at b[i], validating
// it; depth is the nesting depth of the value.
func scanValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errors.New("unexpected end of JSON input")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '[' || c == '{':
		if depth+1 > maxDepth {
			return i, errors.New("exceeded max depth")
		}
		if c == '[' {
			return scanArray(b, i, depth+1)
		}
		return scanObject(b, i, depth+1)
	}
	return i, syntaxErr(b, i, "looking for beginning of value")
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return i + k, errors.New("unexpected end of JSON input")
		}
		if b[i+k] != lit[k] {
			return i + k, syntaxErr(b, i+k, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

func scanArray(b []byte, i, depth int) (int, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := scanValue(b, i, depth)
		if err != nil {
			return end, err
		}
		i = skipWS(b, end)
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, syntaxErr(b, i, "after array element")
		}
	}
}

func scanObject(b []byte, i, depth int) (int, error) {
	return scanMembers(b, i, depth, nil)
}

// scanMembers validates the object starting at b[i] (a '{') and returns
// its end; member, when set, is called with each key (quoted, as in b),
// whether it has escapes, and its raw value.
func scanMembers(b []byte, i, depth int, member func(key []byte, escaped bool, val []byte) error) (int, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		if b[i] != '"' {
			return i, syntaxErr(b, i, "looking for beginning of object key string")
		}
		kend, escaped, err := scanString(b, i)
		if err != nil {
			return kend, err
		}
		key := b[i:kend]
		i = skipWS(b, kend)
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		if b[i] != ':' {
			return i, syntaxErr(b, i, "after object key")
		}
		i = skipWS(b, i+1)
		vend, err := scanValue(b, i, depth)
		if err != nil {
			return vend, err
		}
		if member != nil {
			if err := member(key, escaped, b[i:vend]); err != nil {
				return vend, err
			}
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return i, errors.New("unexpected end of JSON input")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, syntaxErr(b, i, "after object key:value pair")
		}
	}
}

// scanString returns the end (after the closing quote) of the JSON string
// starting at b[i] and whether it has escapes. The caller has checked that
// b is valid UTF-8.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
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
					if !isHex(b[j+k]) {
						return j + k, escaped, syntaxErr(b, j+k, "in \\u hexadecimal character escape")
					}
				}
				j += 4
			default:
				return j, escaped, syntaxErr(b, j, "in string escape code")
			}
		case c < 0x20:
			return j, escaped, syntaxErr(b, j, "in string literal")
		}
	}
	return len(b), escaped, errors.New("unexpected end of JSON input")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanNumber returns the end of the JSON number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
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
		return j, syntaxErr(b, j, "in numeric literal")
	}
	if j < len(b) && b[j] == '.' {
		j++
		if digits() == 0 {
			return j, syntaxErr(b, j, "after decimal point in numeric literal")
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if digits() == 0 {
			return j, syntaxErr(b, j, "in exponent of numeric literal")
		}
	}
	return j, nil
}

var jsonUnmarshal = json.Unmarshal
