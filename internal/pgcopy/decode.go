package pgcopy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Signature is the binary COPY header signature.
var Signature = []byte("PGCOPY\n\377\r\n\x00")

// Microseconds and days between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
const (
	pgEpochMicros = 946684800000000
	pgEpochDays   = 10957
)

type decodeFn func(v []byte) error

// Decoder decodes a binary COPY stream into Arrow record batches. It is an
// io.Writer: pass it to pgconn.PgConn.CopyTo. Every batchRows rows (and at
// Flush) it hands a finished batch to emit, which takes ownership.
type Decoder struct {
	schema    *arrow.Schema
	bld       *array.RecordBuilder
	decs      []decodeFn
	batchRows int
	emit      func(arrow.RecordBatch) error

	buf     []byte
	last    int // rows of the last batch
	header  bool
	trailer bool
	rows    int   // rows in the current batch
	bytes   int   // wire bytes of the current batch
	Row     int64 // rows decoded so far

	// sizes of the last batch, reserved for the next one so that its
	// builders do not grow from empty by doubling (and copying)
	sizers  []sizer
	reserve bool // the builders are empty after a flush: reserve before the next row

	// BatchBytes caps a batch's size on the wire (a proxy for its Arrow size)
	// so that wide rows do not make huge batches (default 4 MiB).
	BatchBytes int
}

// NewDecoder returns a Decoder for rows of schema whose columns have the
// PostgreSQL types cols (same order), resolved through ts.
func NewDecoder(mem memory.Allocator, schema *arrow.Schema, cols []Column, ts Types, batchRows int, emit func(arrow.RecordBatch) error) (*Decoder, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if batchRows <= 0 {
		batchRows = 65536
	}
	d := &Decoder{schema: schema, bld: array.NewRecordBuilder(mem, schema), batchRows: batchRows, emit: emit, BatchBytes: 4 << 20}
	d.bld.Reserve(min(batchRows, 4096))
	for i, f := range schema.Fields() {
		fn, err := newDecodeFn(d.bld.Field(i), f.Type, cols[i].OID, ts)
		if err != nil {
			d.bld.Release()
			return nil, fmt.Errorf("pgcopy: column %q (%s): %w", f.Name, cols[i].SourceType, err)
		}
		d.decs = append(d.decs, fn)
		d.sizers = appendSizers(d.sizers, d.bld.Field(i))
	}
	return d, nil
}

// sizer remembers how much one builder held in the last batch: elements
// (for the value builder of a list) and value bytes (binary and string).
type sizer struct {
	elems  array.Builder // nil for a top-level builder, whose length is the batch's rows
	bin    *array.BinaryBuilder
	n, len int
}

// appendSizers adds the sizers of b: its value bytes when it is a binary
// builder, and the elements and bytes of a list's values.
func appendSizers(ss []sizer, b array.Builder) []sizer {
	var elems array.Builder
	if lb, ok := b.(*array.ListBuilder); ok {
		elems = lb.ValueBuilder()
		b = elems
	}
	if eb, ok := b.(*array.ExtensionBuilder); ok {
		b = eb.StorageBuilder()
	} else if u, ok := b.(interface{ StorageBuilder() array.Builder }); ok {
		b = u.StorageBuilder()
	}
	var bin *array.BinaryBuilder
	switch bb := b.(type) {
	case *array.StringBuilder:
		bin = bb.BinaryBuilder
	case *array.BinaryBuilder:
		bin = bb
	}
	if elems == nil && bin == nil {
		return ss
	}
	return append(ss, sizer{elems: elems, bin: bin})
}

// measure records the sizes of the batch about to be finished.
func (d *Decoder) measure() {
	for i := range d.sizers {
		s := &d.sizers[i]
		if s.elems != nil {
			s.n = s.elems.Len()
		}
		if s.bin != nil {
			s.len = s.bin.DataLen()
		}
	}
}

// reserveLast reserves room for a batch like the last one, plus 1/16.
func (d *Decoder) reserveLast() {
	d.reserve = false
	rows := d.last + d.last/16
	d.bld.Reserve(rows)
	for _, s := range d.sizers {
		if s.elems != nil {
			s.elems.Reserve(s.n + s.n/16)
		}
		if s.bin != nil {
			s.bin.ReserveData(s.len + s.len/16)
		}
	}
}

// Release frees the builder.
func (d *Decoder) Release() { d.bld.Release() }

// Write consumes part of the stream.
func (d *Decoder) Write(p []byte) (int, error) {
	n := len(p)
	data := p
	if len(d.buf) > 0 {
		d.buf = append(d.buf, p...)
		data = d.buf
	}
	used, err := d.parse(data)
	if err != nil {
		return 0, err
	}
	rest := data[used:]
	if len(d.buf) > 0 {
		d.buf = append(d.buf[:0], rest...)
	} else {
		d.buf = append(d.buf, rest...)
	}
	return n, nil
}

func (d *Decoder) parse(data []byte) (int, error) {
	off := 0
	if !d.header {
		if len(data) < 19 {
			return 0, nil
		}
		if !bytes.Equal(data[:11], Signature) {
			return 0, errors.New("pgcopy: not a binary COPY stream")
		}
		ext := int(binary.BigEndian.Uint32(data[15:19]))
		if len(data) < 19+ext {
			return 0, nil
		}
		off = 19 + ext
		d.header = true
	}
	nf := len(d.decs)
	for off < len(data) {
		if d.trailer {
			return 0, errors.New("pgcopy: data after the COPY trailer")
		}
		if len(data)-off < 2 {
			return off, nil
		}
		cnt := int(int16(binary.BigEndian.Uint16(data[off:])))
		if cnt == -1 {
			d.trailer = true
			off += 2
			continue
		}
		if cnt != nf {
			return 0, fmt.Errorf("pgcopy: row %d has %d fields, want %d", d.Row+1, cnt, nf)
		}
		// make sure the whole tuple is here
		p := off + 2
		complete := true
		for i := 0; i < nf; i++ {
			if len(data)-p < 4 {
				complete = false
				break
			}
			l := int(int32(binary.BigEndian.Uint32(data[p:])))
			p += 4
			if l > 0 {
				if len(data)-p < l {
					complete = false
					break
				}
				p += l
			}
		}
		if !complete {
			return off, nil
		}
		if d.reserve {
			d.reserveLast()
		}
		p = off + 2
		for i, dec := range d.decs {
			l := int(int32(binary.BigEndian.Uint32(data[p:])))
			p += 4
			if l < 0 {
				d.bld.Field(i).AppendNull()
				continue
			}
			if err := dec(data[p : p+l]); err != nil {
				return 0, fmt.Errorf("pgcopy: row %d column %q: %w", d.Row+1, d.schema.Field(i).Name, err)
			}
			p += l
		}
		d.bytes += p - off
		off = p
		d.Row++
		d.rows++
		if d.rows >= d.batchRows || d.bytes >= d.BatchBytes {
			if err := d.flush(); err != nil {
				return 0, err
			}
		}
	}
	return off, nil
}

func (d *Decoder) flush() error {
	if d.rows == 0 {
		return nil
	}
	d.measure()
	rec := d.bld.NewRecordBatch()
	d.last, d.reserve = d.rows, true
	d.rows, d.bytes = 0, 0
	return d.emit(rec)
}

// Flush emits the rows not yet emitted and checks the stream ended cleanly.
func (d *Decoder) Flush() error {
	if len(d.buf) > 0 || (d.header && !d.trailer) {
		return errors.New("pgcopy: truncated COPY stream")
	}
	return d.flush()
}

func errLen(want, got int) error { return fmt.Errorf("value of %d bytes, want %d", got, want) }

func newDecodeFn(b array.Builder, dt arrow.DataType, oid uint32, ts Types) (decodeFn, error) {
	if elem := ts.arrayElem(oid); elem != 0 {
		lb, ok := b.(*array.ListBuilder)
		if !ok {
			return nil, fmt.Errorf("array into %s", dt)
		}
		vb := lb.ValueBuilder()
		ed, err := newDecodeFn(vb, dt.(*arrow.ListType).Elem(), elem, ts)
		if err != nil {
			return nil, err
		}
		return func(v []byte) error {
			if len(v) < 12 {
				return errors.New("short array")
			}
			ndim := int(binary.BigEndian.Uint32(v))
			lb.Append(true)
			if ndim == 0 {
				return nil
			}
			if ndim != 1 {
				return fmt.Errorf("%d-dimensional arrays are not supported", ndim)
			}
			if len(v) < 20 {
				return errors.New("short array")
			}
			n := int(int32(binary.BigEndian.Uint32(v[12:])))
			p := 20
			for k := 0; k < n; k++ {
				if len(v)-p < 4 {
					return errors.New("short array")
				}
				l := int(int32(binary.BigEndian.Uint32(v[p:])))
				p += 4
				if l < 0 {
					vb.AppendNull()
					continue
				}
				if len(v)-p < l {
					return errors.New("short array")
				}
				if err := ed(v[p : p+l]); err != nil {
					return fmt.Errorf("element %d: %w", k+1, err)
				}
				p += l
			}
			return nil
		}, nil
	}
	base, enum := ts.scalar(oid)
	if enum {
		base = OIDText
	}
	if eb, ok := b.(*array.ExtensionBuilder); ok {
		b = eb.StorageBuilder()
	} else if u, ok := b.(interface{ StorageBuilder() array.Builder }); ok {
		b = u.StorageBuilder()
	}
	if sb, ok := b.(*array.StringBuilder); ok {
		b = sb.BinaryBuilder
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		return func(v []byte) error {
			if len(v) != 1 {
				return errLen(1, len(v))
			}
			bb.Append(v[0] != 0)
			return nil
		}, nil
	case *array.Int16Builder:
		return func(v []byte) error {
			if len(v) != 2 {
				return errLen(2, len(v))
			}
			bb.Append(int16(binary.BigEndian.Uint16(v)))
			return nil
		}, nil
	case *array.Int32Builder:
		return func(v []byte) error {
			if len(v) != 4 {
				return errLen(4, len(v))
			}
			bb.Append(int32(binary.BigEndian.Uint32(v)))
			return nil
		}, nil
	case *array.Uint32Builder:
		return func(v []byte) error {
			if len(v) != 4 {
				return errLen(4, len(v))
			}
			bb.Append(binary.BigEndian.Uint32(v))
			return nil
		}, nil
	case *array.Int64Builder:
		return func(v []byte) error {
			if len(v) != 8 {
				return errLen(8, len(v))
			}
			bb.Append(int64(binary.BigEndian.Uint64(v)))
			return nil
		}, nil
	case *array.Float32Builder:
		return func(v []byte) error {
			if len(v) != 4 {
				return errLen(4, len(v))
			}
			bb.Append(math.Float32frombits(binary.BigEndian.Uint32(v)))
			return nil
		}, nil
	case *array.Float64Builder:
		return func(v []byte) error {
			if len(v) != 8 {
				return errLen(8, len(v))
			}
			bb.Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
			return nil
		}, nil
	case *array.BinaryBuilder: // utf8, binary, json
		if base == OIDJSONB {
			return func(v []byte) error {
				if len(v) < 1 || v[0] != 1 {
					return errors.New("unknown jsonb version")
				}
				bb.Append(v[1:])
				return nil
			}, nil
		}
		if base == OIDNumeric {
			var tmp []byte
			return func(v []byte) error {
				n, err := parseNumeric(v)
				if err != nil {
					return err
				}
				tmp = n.text(tmp[:0])
				bb.Append(tmp)
				return nil
			}, nil
		}
		return func(v []byte) error { bb.Append(v); return nil }, nil
	case *array.Date32Builder:
		return func(v []byte) error {
			if len(v) != 4 {
				return errLen(4, len(v))
			}
			d := int32(binary.BigEndian.Uint32(v))
			if d == math.MaxInt32 || d == math.MinInt32 {
				return errInfinity(d > 0)
			}
			bb.Append(arrow.Date32(d + pgEpochDays))
			return nil
		}, nil
	case *array.Time64Builder:
		return func(v []byte) error {
			if len(v) != 8 {
				return errLen(8, len(v))
			}
			bb.Append(arrow.Time64(binary.BigEndian.Uint64(v)))
			return nil
		}, nil
	case *array.TimestampBuilder:
		return func(v []byte) error {
			if len(v) != 8 {
				return errLen(8, len(v))
			}
			t := int64(binary.BigEndian.Uint64(v))
			if t == math.MaxInt64 || t == math.MinInt64 {
				return errInfinity(t > 0)
			}
			bb.Append(arrow.Timestamp(t + pgEpochMicros))
			return nil
		}, nil
	case *array.MonthDayNanoIntervalBuilder:
		return func(v []byte) error {
			if len(v) != 16 {
				return errLen(16, len(v))
			}
			us := int64(binary.BigEndian.Uint64(v))
			bb.Append(arrow.MonthDayNanoInterval{
				Nanoseconds: us * 1000,
				Days:        int32(binary.BigEndian.Uint32(v[8:])),
				Months:      int32(binary.BigEndian.Uint32(v[12:])),
			})
			return nil
		}, nil
	case *array.FixedSizeBinaryBuilder: // uuid
		return func(v []byte) error {
			if len(v) != 16 {
				return errLen(16, len(v))
			}
			bb.Append(v)
			return nil
		}, nil
	case *array.Decimal128Builder:
		scale := int(dt.(*arrow.Decimal128Type).Scale)
		limit := newDecimalLimit(int(dt.(*arrow.Decimal128Type).Precision))
		return func(v []byte) error {
			n, err := parseNumeric(v)
			if err != nil {
				return err
			}
			neg, small, bigv, err := n.unscaled(scale)
			if err != nil {
				return err
			}
			if !limit.fits(small, bigv) {
				return fmt.Errorf("numeric value has more than %d digits", limit.p)
			}
			var x decimal128.Num
			if bigv == nil {
				x = decimal128.FromU64(small)
			} else {
				x = decimal128.FromBigInt(bigv)
			}
			if neg {
				x = x.Negate()
			}
			bb.Append(x)
			return nil
		}, nil
	case *array.Decimal256Builder:
		scale := int(dt.(*arrow.Decimal256Type).Scale)
		limit := newDecimalLimit(int(dt.(*arrow.Decimal256Type).Precision))
		return func(v []byte) error {
			n, err := parseNumeric(v)
			if err != nil {
				return err
			}
			neg, small, bigv, err := n.unscaled(scale)
			if err != nil {
				return err
			}
			if !limit.fits(small, bigv) {
				return fmt.Errorf("numeric value has more than %d digits", limit.p)
			}
			var x decimal256.Num
			if bigv == nil {
				x = decimal256.FromU64(small)
			} else {
				x = decimal256.FromBigInt(bigv)
			}
			if neg {
				x = x.Negate()
			}
			bb.Append(x)
			return nil
		}, nil
	}
	return nil, fmt.Errorf("no decoder into %s", dt)
}

// decimalLimit is 10^p, the bound of a decimal of precision p.
type decimalLimit struct {
	p     int
	small uint64 // 10^p when p < 20, else 0
	big   *big.Int
}

func newDecimalLimit(p int) decimalLimit {
	l := decimalLimit{p: p, big: new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)}
	if p < 20 {
		l.small = pow10u64[p]
	}
	return l
}

// fits reports whether the unscaled value (small, or big when not nil) is
// below 10^p.
func (l decimalLimit) fits(small uint64, b *big.Int) bool {
	if b != nil {
		return b.CmpAbs(l.big) < 0
	}
	return l.small == 0 || small < l.small
}

// ErrInfinity is returned for PostgreSQL's infinite dates and timestamps,
// which Arrow's date32 and timestamp types cannot represent: Ferry fails
// with a clear error naming the column and row instead of mapping them to a
// made-up sentinel. Filter or cast them in where/querySql.
var ErrInfinity = errors.New("infinite date/timestamp cannot be carried (filter or cast it in where/querySql)")

func errInfinity(pos bool) error {
	if pos {
		return fmt.Errorf("'infinity': %w", ErrInfinity)
	}
	return fmt.Errorf("'-infinity': %w", ErrInfinity)
}
