package fileset

import (
	"bytes"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/google/uuid"
)

// A Cell holds one column's pending value between parsing a field and
// appending it to the column's builder, typed, so that the common types
// (integers, floats, booleans, text, decimal128, dates, timestamps, UUIDs,
// JSON) are parsed and appended without boxing the value in an interface.
// The values and errors are exactly those of ParseText and ParseJSON; the
// other types go through them. Text a parse aliases (the s of ParseText,
// the raw of ParseJSON) must stay valid until Append, which copies it.
type Cell struct {
	dt   arrow.DataType
	kind cellKind
	bits int
	null bool
	i    int64
	u    uint64
	f    float64
	b    bool
	s    string
	d    decimal128.Num
	id   uuid.UUID
	v    any
	// ts is the timestamp type; utc: its values are read in UTC (no zone,
	// or a zone that is UTC), so fastTimestamp may parse them
	ts  *arrow.TimestampType
	utc bool
}

type cellKind uint8

const (
	cellAny cellKind = iota
	cellInt
	cellUint
	cellFloat
	cellBool
	cellString
	cellDecimal
	cellDate32
	cellTimestamp
	cellUUID
	cellJSON
)

// NewCell returns the Cell of a column of type dt.
func NewCell(dt arrow.DataType) Cell {
	c := Cell{dt: dt}
	switch t := dt.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		c.kind, c.bits = cellInt, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		c.kind, c.bits = cellUint, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.Float32Type, *arrow.Float64Type:
		c.kind, c.bits = cellFloat, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.BooleanType:
		c.kind = cellBool
	case *arrow.StringType, *arrow.LargeStringType:
		c.kind = cellString
	case *arrow.Decimal128Type:
		c.kind = cellDecimal
	case *arrow.Date32Type:
		c.kind = cellDate32
	case *arrow.TimestampType:
		c.kind, c.ts = cellTimestamp, t
		if t.TimeZone == "" {
			c.utc = true
		} else if loc, err := t.GetZone(); err == nil && loc == time.UTC {
			c.utc = true
		}
	case *extensions.UUIDType:
		c.kind = cellUUID
	case *extensions.JSONType:
		switch t.StorageType().ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY:
			c.kind = cellJSON
		}
	}
	return c
}

// SetNull makes the pending value NULL.
func (c *Cell) SetNull() {
	c.null = true
	c.s, c.v = "", nil
}

// ParseText parses s as ParseText(dt, s) does. s may alias a buffer that
// stays valid until Append.
func (c *Cell) ParseText(s string) error {
	c.null = false
	var err error
	switch c.kind {
	case cellInt:
		c.i, err = parseIntValue(s, c.bits)
	case cellUint:
		c.u, err = parseUintValue(s, c.bits)
	case cellFloat:
		c.f, err = parseFloatValue(s, c.bits)
	case cellBool:
		c.b, err = parseBoolValue(s)
	case cellString:
		if !utf8.ValidString(s) {
			return errInvalidUTF8
		}
		c.s = s
	case cellDecimal:
		c.d, err = parseDecimal128(c.dt.(*arrow.Decimal128Type), s)
	case cellDate32:
		var d arrow.Date32
		d, err = parseDate32(s)
		c.i = int64(d)
	case cellTimestamp:
		var ts arrow.Timestamp
		ok := false
		if c.utc {
			// parseTimestampValue's fast path, without looking up the zone
			ts, ok, err = fastTimestamp(c.ts, s)
		}
		if !ok {
			ts, err = parseTimestampValue(c.ts, s)
		}
		c.i = int64(ts)
	case cellUUID:
		c.id, err = parseUUID(s)
	case cellJSON:
		if !validJSONText(s) {
			return errNotJSON
		}
		c.s = s
	default:
		c.v, err = ParseText(c.dt, s)
	}
	return err
}

// ParseJSON parses raw, one JSON value, as ParseJSON(dt, raw) does (JSON
// null is NULL). raw may alias a buffer that stays valid until Append; a
// JSON string must be valid UTF-8 (as in a line checked with utf8.Valid).
func (c *Cell) ParseJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 4 && string(raw) == "null" {
		c.SetNull()
		return nil
	}
	if len(raw) > 0 {
		switch c.kind {
		case cellInt, cellUint, cellFloat, cellDecimal:
			// ParseJSON: a number is parseScalar of its text; a string
			// is ParseText of its contents
			if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
				return c.ParseText(bytesView(raw))
			}
			if s, ok := plainJSONString(raw); ok && raw[0] == '"' {
				return c.ParseText(s)
			}
		case cellString, cellDate32, cellTimestamp, cellUUID:
			if s, ok := plainJSONString(raw); ok {
				return c.ParseText(s)
			}
		case cellBool:
			switch string(raw) {
			case "true":
				c.null, c.b = false, true
				return nil
			case "false":
				c.null, c.b = false, false
				return nil
			}
		}
	}
	v, err := ParseJSON(c.dt, raw)
	if err != nil {
		return err
	}
	return c.set(v)
}

// set makes v (as ParseText and ParseJSON return it) the pending value.
func (c *Cell) set(v any) error {
	if v == nil {
		c.SetNull()
		return nil
	}
	c.null = false
	switch c.kind {
	case cellInt:
		c.i = v.(int64)
	case cellUint:
		c.u = v.(uint64)
	case cellFloat:
		c.f = v.(float64)
	case cellBool:
		c.b = v.(bool)
	case cellString:
		c.s = v.(string)
	case cellDecimal:
		c.d = v.(decimal128.Num)
	case cellDate32:
		c.i = int64(v.(arrow.Date32))
	case cellTimestamp:
		c.i = int64(v.(arrow.Timestamp))
	case cellUUID:
		c.id = v.(uuid.UUID)
	case cellJSON:
		c.s = string(v.(JSONText))
	default:
		c.v = v
	}
	return nil
}

// Append appends the pending value to b, the builder of the column's type,
// and forgets it.
func (c *Cell) Append(b array.Builder) error {
	if c.null {
		b.AppendNull()
		return nil
	}
	switch c.kind {
	case cellInt:
		switch b := b.(type) {
		case *array.Int64Builder:
			b.Append(c.i)
		case *array.Int32Builder:
			b.Append(int32(c.i))
		case *array.Int16Builder:
			b.Append(int16(c.i))
		case *array.Int8Builder:
			b.Append(int8(c.i))
		}
	case cellUint:
		switch b := b.(type) {
		case *array.Uint64Builder:
			b.Append(c.u)
		case *array.Uint32Builder:
			b.Append(uint32(c.u))
		case *array.Uint16Builder:
			b.Append(uint16(c.u))
		case *array.Uint8Builder:
			b.Append(uint8(c.u))
		}
	case cellFloat:
		switch b := b.(type) {
		case *array.Float64Builder:
			b.Append(c.f)
		case *array.Float32Builder:
			b.Append(float32(c.f))
		}
	case cellBool:
		b.(*array.BooleanBuilder).Append(c.b)
	case cellString:
		appendString(b, c.s)
		c.s = ""
	case cellDecimal:
		b.(*array.Decimal128Builder).Append(c.d)
	case cellDate32:
		b.(*array.Date32Builder).Append(arrow.Date32(c.i))
	case cellTimestamp:
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(c.i))
	case cellUUID:
		b.(*extensions.UUIDBuilder).Append(c.id)
	case cellJSON:
		appendString(b.(*array.ExtensionBuilder).StorageBuilder(), c.s)
		c.s = ""
	default:
		err := AppendValue(b, c.v)
		c.v = nil
		return err
	}
	return nil
}

// appendString appends s (copied) to a string or binary builder.
func appendString(b array.Builder, s string) {
	switch b := b.(type) {
	case *array.StringBuilder:
		b.Append(s)
	case *array.LargeStringBuilder:
		b.Append(s)
	case *array.BinaryBuilder:
		b.AppendString(s)
	}
}

// plainJSONString returns the contents of raw, a JSON string without
// escapes, without copying; ok is false for anything else.
func plainJSONString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' || bytes.IndexByte(raw[1:len(raw)-1], '\\') >= 0 {
		return "", false
	}
	return bytesView(raw[1 : len(raw)-1]), true
}

// bytesView returns b as a string without copying.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
