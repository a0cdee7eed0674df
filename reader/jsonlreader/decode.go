package jsonlreader

import (
	"bytes"
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
	// next is the column whose key is expected next (the one after the
	// last key found); unique says the names are (else only the map,
	// which keeps the last column of a name, is asked)
	next   int
	unique bool
	// memberFn is d.member, made once (a method value allocates)
	memberFn func(key []byte, escaped bool, val []byte) error
}

func newLineDecoder(fields []arrow.Field) *lineDecoder {
	d := &lineDecoder{fields: fields, index: make(map[string]int, len(fields)), cols: make([]colDec, len(fields)), unique: true}
	d.memberFn = d.member
	for i, f := range fields {
		if _, dup := d.index[f.Name]; dup {
			d.unique = false
		}
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
		if d.cols[i].kind == kAny {
			d.cols[i].cell = fileset.NewCell(f.Type)
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
	s    string // aliases the line, buf, or a decoded copy
	buf  []byte // kString: the last value with escapes, unescaped
	b    bool
	v    any
	cell fileset.Cell // kAny: the other types, typed where fileset can
}

// scan validates text as one JSON object and records the raw values of the
// schema's keys. Its error says why the line is not a JSON object.
func (d *lineDecoder) scan(text []byte) error {
	for i := range d.cols {
		d.cols[i].raw = nil
	}
	d.next = 0
	i := fileset.SkipJSONSpace(text, 0)
	if i >= len(text) {
		return errors.New("unexpected end of JSON input")
	}
	switch text[i] {
	case '{':
	case 'n':
		if _, err := fileset.ScanJSONValue(text, i, 0); err != nil {
			return err
		}
		if fileset.SkipJSONSpace(text, i+4) == len(text) {
			return errors.New("null")
		}
		return fileset.JSONSyntaxError(text, fileset.SkipJSONSpace(text, i+4), "after top-level value")
	default:
		end, err := fileset.ScanJSONValue(text, i, 0)
		if err != nil {
			return err
		}
		if j := fileset.SkipJSONSpace(text, end); j < len(text) {
			return fileset.JSONSyntaxError(text, j, "after top-level value")
		}
		return fmt.Errorf("a JSON %s, not an object", kindName(text[i]))
	}
	end, err := fileset.ScanJSONObject(text, i, 1, d.memberFn)
	if err != nil {
		return err
	}
	if j := fileset.SkipJSONSpace(text, end); j < len(text) {
		return fileset.JSONSyntaxError(text, j, "after top-level value")
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
	} else {
		k := key[1 : len(key)-1]
		// lines usually list the keys in the same order: try the column
		// after the last one found before the map
		if c := d.next; d.unique && c < len(d.fields) && d.fields[c].Name == string(k) {
			d.cols[c].raw = val
			d.next = c + 1
		} else if c, ok := d.index[string(k)]; ok { // no allocation
			d.cols[c].raw = val
			d.next = c + 1
		}
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
		if raw[0] == '"' {
			body := raw[1 : len(raw)-1]
			if bytes.IndexByte(body, '\\') < 0 {
				c.s = view(body) // the line is valid UTF-8
				return nil
			}
			if u, ok := unescape(c.buf[:0], body); ok {
				c.buf = u
				c.s = view(u) // commit copies it before the next line
				return nil
			}
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
		c.s = view(raw)
		return nil
	case kAny:
		// ParseJSON's values, typed (no boxing) for the common types
		return c.cell.ParseJSON(raw)
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
	case kJSON:
		switch sb := b.(*array.ExtensionBuilder).StorageBuilder().(type) {
		case *array.StringBuilder:
			sb.Append(c.s) // copies
		case *array.LargeStringBuilder:
			sb.Append(c.s)
		case *array.BinaryBuilder:
			sb.AppendString(c.s)
		}
		c.s = ""
	case kAny:
		return c.cell.Append(b)
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

// unescape appends the JSON string body (valid, between its quotes, of a
// valid UTF-8 line) to dst with its escapes decoded. It handles the
// one-letter escapes and reports false at a \u escape, which the caller
// leaves to encoding/json (surrogate pairs, lone surrogates as U+FFFD).
func unescape(dst, body []byte) ([]byte, bool) {
	for {
		i := bytes.IndexByte(body, '\\')
		if i < 0 {
			return append(dst, body...), true
		}
		dst = append(dst, body[:i]...)
		if i+1 >= len(body) {
			return dst, false
		}
		switch body[i+1] {
		case '"', '\\', '/':
			dst = append(dst, body[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		default:
			return dst, false
		}
		body = body[i+2:]
	}
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

var jsonUnmarshal = json.Unmarshal
