package csvreader

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry/internal/fileset"
)

// A decoder parses one column's field into a pending value, which commit
// appends once every field of the record parsed. parse's s aliases the
// parser's buffer: it stays valid until commit, not after.
type decoder interface {
	parse(s string) error
	setNull()
	commit(b array.Builder)
}

// view returns b as a string without copying.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func newDecoder(dt arrow.DataType) decoder {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return &intDec{bits: dt.(arrow.FixedWidthDataType).BitWidth()}
	case arrow.FLOAT64:
		return &floatDec{}
	case arrow.STRING, arrow.LARGE_STRING:
		return &strDec{}
	case arrow.BOOL:
		return &boolDec{}
	}
	return &anyDec{dt: dt}
}

type intDec struct {
	bits int
	v    int64
	null bool
}

func (d *intDec) parse(s string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, d.bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return fmt.Errorf("%q out of range for int%d", s, d.bits)
		}
		return fmt.Errorf("not an integer: %q", s)
	}
	d.v, d.null = v, false
	return nil
}

func (d *intDec) setNull() { d.null = true }

func (d *intDec) commit(b array.Builder) {
	if d.null {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(d.v)
	case *array.Int32Builder:
		b.Append(int32(d.v))
	case *array.Int16Builder:
		b.Append(int16(d.v))
	case *array.Int8Builder:
		b.Append(int8(d.v))
	}
}

type floatDec struct {
	v    float64
	null bool
}

func (d *floatDec) parse(s string) error {
	v, err := fileset.ParseText(arrow.PrimitiveTypes.Float64, s)
	if err != nil {
		return err
	}
	d.v, d.null = v.(float64), false
	return nil
}

func (d *floatDec) setNull() { d.null = true }

func (d *floatDec) commit(b array.Builder) {
	if d.null {
		b.AppendNull()
		return
	}
	b.(*array.Float64Builder).Append(d.v)
}

type strDec struct {
	v    string
	null bool
}

func (d *strDec) parse(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	d.v, d.null = s, false
	return nil
}

func (d *strDec) setNull() { d.null = true }

func (d *strDec) commit(b array.Builder) {
	switch b := b.(type) {
	case *array.StringBuilder:
		if d.null {
			b.AppendNull()
		} else {
			b.Append(d.v) // copies
		}
	case *array.LargeStringBuilder:
		if d.null {
			b.AppendNull()
		} else {
			b.Append(d.v)
		}
	}
	d.v = ""
}

type boolDec struct {
	v    bool
	null bool
}

func (d *boolDec) parse(s string) error {
	v, err := fileset.ParseText(arrow.FixedWidthTypes.Boolean, s)
	if err != nil {
		return err
	}
	d.v, d.null = v.(bool), false
	return nil
}

func (d *boolDec) setNull() { d.null = true }

func (d *boolDec) commit(b array.Builder) {
	if d.null {
		b.AppendNull()
		return
	}
	b.(*array.BooleanBuilder).Append(d.v)
}

// anyDec handles every other type through fileset's generic codec.
type anyDec struct {
	dt arrow.DataType
	v  any
}

func (d *anyDec) parse(s string) error {
	v, err := fileset.ParseText(d.dt, s)
	if err != nil {
		return err
	}
	d.v = v
	return nil
}

func (d *anyDec) setNull() { d.v = nil }

func (d *anyDec) commit(b array.Builder) {
	// the types are the schema's, so AppendValue cannot fail here
	_ = fileset.AppendValue(b, d.v)
	d.v = nil
}
