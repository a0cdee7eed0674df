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

// dkind is how a column is decoded: straight into raw buffers (all kinds
// but dBuilder) or through an Arrow builder (arrays and rare mappings).
type dkind uint8

const (
	dBuilder   dkind = iota // decodeFn into an Arrow builder
	dBool                   // 1 byte into a bitmap
	d2                      // 2 bytes, byte-swapped
	d4                      // 4 bytes, byte-swapped (int4, oid, float4)
	d8                      // 8 bytes, byte-swapped (int8, float8, time)
	dDate                   // int4 days from 2000-01-01
	dTimestamp              // int8 microseconds from 2000-01-01
	dInterval               // microseconds, days, months into month_day_nano
	dFixed16                // 16 bytes copied (uuid)
	dDec128                 // numeric into decimal128
	dDec256                 // numeric into decimal256
	dBytes                  // variable-length bytes copied (text, bytea, json)
	dJSONB                  // jsonb: a version byte, then the text
	dNumText                // numeric as its text
)

// dcol is one column of the batch being decoded. Fixed-width values go
// into vals (width bytes each; a bitmap for bool), variable-length ones
// into data with their end offsets in offs. valid is allocated at the
// column's first null only: a column without nulls has no bitmap.
type dcol struct {
	kind  dkind
	width int // bytes per value in vals (0: bitmap or offsets)
	dt    arrow.DataType
	name  string

	vals, offs, data, valid *memory.Buffer
	vb, ob, db, nb          []byte // their bytes, to capacity
	dlen                    int    // bytes used in data
	nulls                   int
	lastData                int // data bytes of the last batch

	scale int // decimals
	limit decimalLimit
	lim   [2]uint64 // 10^precision as a uint128 (hi, lo), decimal128 only

	// dBuilder
	bld array.Builder
	fn  decodeFn
}

// Decoder decodes a binary COPY stream into Arrow record batches. It is an
// io.Writer: pass it to pgconn.PgConn.CopyTo. Every batchRows rows (and at
// Flush) it hands a finished batch to emit, which takes ownership.
//
// Columns are decoded straight into raw buffers allocated from the
// Decoder's allocator (no per-value builder call), and the arrays are made
// from them at the end of the batch. Each batch reserves room for one the
// size of the last, so buffers seldom grow (and copy) within a batch.
type Decoder struct {
	mem       memory.Allocator
	fixed     memory.Allocator // validity, value and offset buffers (RecycleBuffers)
	schema    *arrow.Schema
	cols      []dcol
	batchRows int
	emit      func(arrow.RecordBatch) error

	buf     []byte
	tmp     []byte
	last    int // rows of the last batch
	header  bool
	trailer bool
	rows    int   // rows in the current batch
	cap     int   // rows the fixed-width buffers have room for
	bytes   int   // wire bytes of the current batch
	Row     int64 // rows decoded so far

	// sizes of the last batch's builder columns, reserved for the next one
	sizers   []sizer
	builders bool // some columns are decoded through builders

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
	if len(cols) < schema.NumFields() {
		return nil, fmt.Errorf("pgcopy: %d columns for %d fields", len(cols), schema.NumFields())
	}
	d := &Decoder{mem: mem, fixed: mem, schema: schema, batchRows: batchRows, emit: emit, BatchBytes: 4 << 20}
	for i, f := range schema.Fields() {
		c, err := newDcol(mem, f, cols[i].OID, ts)
		if err != nil {
			d.Release()
			return nil, fmt.Errorf("pgcopy: column %q (%s): %w", f.Name, cols[i].SourceType, err)
		}
		d.cols = append(d.cols, c)
		if c.bld != nil {
			d.sizers = appendSizers(d.sizers, c.bld)
			d.builders = true
		}
	}
	return d, nil
}

// RecycleBuffers makes the Decoder take the validity, value and offset
// buffers of its columns from a, which may hand out buffers of released
// batches without zeroing them (bufpool): the Decoder writes every byte of
// them it uses. Text and binary data stay with the Decoder's allocator,
// because a string or []byte taken from an array (String.Value) points
// into them and may outlive the batch. Call it before the first Write.
func (d *Decoder) RecycleBuffers(a memory.Allocator) { d.fixed = a }

// newDcol chooses how the column f of PostgreSQL type oid is decoded.
func newDcol(mem memory.Allocator, f arrow.Field, oid uint32, ts Types) (dcol, error) {
	c := dcol{dt: f.Type, name: f.Name}
	if ts.arrayElem(oid) == 0 {
		base, enum := ts.scalar(oid)
		if enum {
			base = OIDText
		}
		st := f.Type
		if et, ok := st.(arrow.ExtensionType); ok {
			st = et.StorageType()
		}
		switch st.ID() {
		case arrow.BOOL:
			c.kind = dBool
		case arrow.INT16:
			c.kind, c.width = d2, 2
		case arrow.INT32, arrow.UINT32, arrow.FLOAT32:
			c.kind, c.width = d4, 4
		case arrow.INT64, arrow.FLOAT64, arrow.TIME64:
			c.kind, c.width = d8, 8
		case arrow.DATE32:
			c.kind, c.width = dDate, 4
		case arrow.TIMESTAMP:
			c.kind, c.width = dTimestamp, 8
		case arrow.INTERVAL_MONTH_DAY_NANO:
			c.kind, c.width = dInterval, 16
		case arrow.FIXED_SIZE_BINARY:
			if st.(*arrow.FixedSizeBinaryType).ByteWidth == 16 {
				c.kind, c.width = dFixed16, 16
			}
		case arrow.STRING, arrow.BINARY:
			switch base {
			case OIDJSONB:
				c.kind = dJSONB
			case OIDNumeric:
				c.kind = dNumText
			default:
				c.kind = dBytes
			}
		case arrow.DECIMAL128:
			dt := st.(*arrow.Decimal128Type)
			c.kind, c.width = dDec128, 16
			c.scale, c.limit = int(dt.Scale), newDecimalLimit(int(dt.Precision))
			c.lim[0], c.lim[1] = pow10u128(int(dt.Precision))
		case arrow.DECIMAL256:
			dt := st.(*arrow.Decimal256Type)
			c.kind, c.width = dDec256, 32
			c.scale, c.limit = int(dt.Scale), newDecimalLimit(int(dt.Precision))
		}
		if c.kind != dBuilder {
			return c, nil
		}
	}
	c.bld = array.NewBuilder(mem, f.Type)
	fn, err := newDecodeFn(c.bld, f.Type, oid, ts)
	if err != nil {
		c.bld.Release()
		return dcol{}, err
	}
	c.fn = fn
	return c, nil
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

// Release frees the buffers and builders of the batch being decoded.
func (d *Decoder) Release() {
	for i := range d.cols {
		c := &d.cols[i]
		c.free()
		if c.bld != nil {
			c.bld.Release()
			c.bld = nil
		}
	}
	d.cap = 0
}

// free releases the column's raw buffers.
func (c *dcol) free() {
	for _, b := range []**memory.Buffer{&c.vals, &c.offs, &c.data, &c.valid} {
		if *b != nil {
			(*b).Release()
			*b = nil
		}
	}
	c.vb, c.ob, c.db, c.nb = nil, nil, nil, nil
	c.dlen, c.nulls = 0, 0
}

// reserve gives every column room for rows rows (the first row of a
// batch, or when the batch outgrows its reservation).
func (d *Decoder) reserve(rows int) {
	first := d.cap == 0
	for i := range d.cols {
		c := &d.cols[i]
		switch {
		case c.bld != nil:
			if first {
				c.bld.Reserve(rows)
			}
		case c.kind == dBool:
			// false bits are not written: the new bytes start clear (a
			// recycled buffer is not zeroed, see bufpool)
			old := 0
			if !first {
				old = (d.cap + 7) / 8
			}
			c.vb = growBuf(d.fixed, &c.vals, (rows+7)/8)
			clear(c.vb[old:])
		case c.width > 0:
			c.vb = growBuf(d.fixed, &c.vals, rows*c.width)
		default:
			c.ob = growBuf(d.fixed, &c.offs, (rows+1)*4)
			if first {
				n := c.lastData + c.lastData/16
				if n == 0 {
					n = rows * 16
				}
				c.db = growBuf(d.mem, &c.data, n)
				binary.LittleEndian.PutUint32(c.ob, 0)
			}
		}
		if c.valid != nil {
			old := len(c.nb)
			c.nb = growBuf(d.fixed, &c.valid, (rows+7)/8)
			setFF(c.nb[old:])
		}
	}
	if first {
		for _, s := range d.sizers {
			if s.elems != nil {
				s.elems.Reserve(s.n + s.n/16)
			}
			if s.bin != nil {
				s.bin.ReserveData(s.len + s.len/16)
			}
		}
	}
	d.cap = rows
}

// growBuf gives *b (allocated when nil) a capacity of at least n bytes,
// keeping its contents, and returns its bytes to capacity.
func growBuf(mem memory.Allocator, b **memory.Buffer, n int) []byte {
	if *b == nil {
		*b = memory.NewResizableBuffer(mem)
	}
	if n > (*b).Cap() {
		(*b).Reserve(n)
	}
	return (*b).Buf()
}

func setFF(b []byte) {
	for i := range b {
		b[i] = 0xff
	}
}

// grow makes room for more rows than the batch has reserved.
func (d *Decoder) grow() {
	n := max(min(2*d.cap, d.batchRows), d.rows+1, 64)
	d.reserve(n)
}

// growData makes room for n more bytes in c's data.
func (d *Decoder) growData(c *dcol, n int) error {
	need := c.dlen + n
	if need > math.MaxInt32 {
		return errors.New("more than 2 GiB of values in a batch")
	}
	c.db = growBuf(d.mem, &c.data, max(need, 2*len(c.db), 1024))
	return nil
}

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
		if ext < 0 || len(data)-19 < ext {
			return 0, nil
		}
		off = 19 + ext
		d.header = true
	}
	nf := len(d.cols)
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
		if d.builders {
			// a builder cannot take back a value: make sure the whole
			// tuple is here first
			p := off + 2
			for i := 0; i < nf; i++ {
				if len(data)-p < 4 {
					return off, nil
				}
				l := int(int32(binary.BigEndian.Uint32(data[p:])))
				p += 4
				if l > 0 {
					if len(data)-p < l {
						return off, nil
					}
					p += l
				}
			}
		}
		if d.rows >= d.cap {
			if d.cap == 0 {
				r := d.last + d.last/16
				if r == 0 {
					r = min(d.batchRows, 4096)
				}
				d.reserve(min(r, d.batchRows))
			} else {
				d.grow()
			}
		}
		n, err := d.row(data[off+2:])
		if err != nil {
			return 0, err
		}
		if n < 0 { // the rest of the tuple is in the next Write
			return off, nil
		}
		end := off + 2 + n
		d.bytes += end - off
		off = end
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

// row decodes the tuple at the start of t (its fields, after the field
// count) as row d.rows of the batch and returns its length, or -1 when t
// ends within the tuple (what it decoded is taken back).
func (d *Decoder) row(t []byte) (int, error) {
	r := d.rows
	p := 0
	for i := range d.cols {
		c := &d.cols[i]
		if len(t)-p < 4 {
			d.undo(i, r)
			return -1, nil
		}
		l := int(int32(binary.BigEndian.Uint32(t[p:])))
		p += 4
		if l < 0 {
			d.null(c, r)
			continue
		}
		if len(t)-p < l {
			d.undo(i, r)
			return -1, nil
		}
		v := t[p : p+l]
		p += l
		var err error
		switch c.kind {
		case d8:
			if l != 8 {
				err = errLen(8, l)
				break
			}
			binary.LittleEndian.PutUint64(c.vb[r*8:], binary.BigEndian.Uint64(v))
		case d4:
			if l != 4 {
				err = errLen(4, l)
				break
			}
			binary.LittleEndian.PutUint32(c.vb[r*4:], binary.BigEndian.Uint32(v))
		case dBytes:
			if c.dlen+l > len(c.db) {
				if err = d.growData(c, l); err != nil {
					break
				}
			}
			c.dlen += copy(c.db[c.dlen:], v)
			binary.LittleEndian.PutUint32(c.ob[(r+1)*4:], uint32(c.dlen))
		case dTimestamp:
			if l != 8 {
				err = errLen(8, l)
				break
			}
			ts := int64(binary.BigEndian.Uint64(v))
			if ts == math.MaxInt64 || ts == math.MinInt64 {
				err = errInfinity(ts > 0)
				break
			}
			binary.LittleEndian.PutUint64(c.vb[r*8:], uint64(ts+pgEpochMicros))
		case dDate:
			if l != 4 {
				err = errLen(4, l)
				break
			}
			dd := int32(binary.BigEndian.Uint32(v))
			if dd == math.MaxInt32 || dd == math.MinInt32 {
				err = errInfinity(dd > 0)
				break
			}
			binary.LittleEndian.PutUint32(c.vb[r*4:], uint32(dd+pgEpochDays))
		case dBool:
			if l != 1 {
				err = errLen(1, l)
				break
			}
			if v[0] != 0 {
				c.vb[r>>3] |= 1 << (r & 7)
			} else {
				c.vb[r>>3] &^= 1 << (r & 7)
			}
		case dFixed16:
			if l != 16 {
				err = errLen(16, l)
				break
			}
			copy(c.vb[r*16:r*16+16], v)
		case dDec128:
			err = c.decimal128(v, r)
		case dJSONB:
			if l < 1 || v[0] != 1 {
				err = errors.New("unknown jsonb version")
				break
			}
			if c.dlen+l-1 > len(c.db) {
				if err = d.growData(c, l-1); err != nil {
					break
				}
			}
			c.dlen += copy(c.db[c.dlen:], v[1:])
			binary.LittleEndian.PutUint32(c.ob[(r+1)*4:], uint32(c.dlen))
		case d2:
			if l != 2 {
				err = errLen(2, l)
				break
			}
			binary.LittleEndian.PutUint16(c.vb[r*2:], binary.BigEndian.Uint16(v))
		case dInterval:
			if l != 16 {
				err = errLen(16, l)
				break
			}
			w := c.vb[r*16 : r*16+16]
			binary.LittleEndian.PutUint32(w, binary.BigEndian.Uint32(v[12:]))    // months
			binary.LittleEndian.PutUint32(w[4:], binary.BigEndian.Uint32(v[8:])) // days
			binary.LittleEndian.PutUint64(w[8:], uint64(int64(binary.BigEndian.Uint64(v))*1000))
		case dNumText:
			var n numeric
			if n, err = parseNumeric(v); err != nil {
				break
			}
			d.tmp = n.text(d.tmp[:0])
			if c.dlen+len(d.tmp) > len(c.db) {
				if err = d.growData(c, len(d.tmp)); err != nil {
					break
				}
			}
			c.dlen += copy(c.db[c.dlen:], d.tmp)
			binary.LittleEndian.PutUint32(c.ob[(r+1)*4:], uint32(c.dlen))
		case dDec256:
			err = c.decimal256(v, r)
		case dBuilder:
			err = c.fn(v)
		}
		if err != nil {
			return 0, fmt.Errorf("pgcopy: row %d column %q: %w", d.Row+1, c.name, err)
		}
	}
	return p, nil
}

// undo takes back what row r of the first n columns holds: their nulls and
// their variable-length values. (Fixed-width values are overwritten.)
func (d *Decoder) undo(n, r int) {
	for i := range d.cols[:n] {
		c := &d.cols[i]
		if c.valid != nil && c.nb[r>>3]&(1<<(r&7)) == 0 {
			c.nb[r>>3] |= 1 << (r & 7)
			c.nulls--
		}
		if c.width == 0 && c.kind != dBool && c.bld == nil {
			c.dlen = int(binary.LittleEndian.Uint32(c.ob[r*4:]))
		}
	}
}

// null sets row r of c to null: the bitmap is made (all valid) at the
// column's first null of the batch.
func (d *Decoder) null(c *dcol, r int) {
	if c.bld != nil {
		c.bld.AppendNull()
		return
	}
	if c.valid == nil {
		c.nb = growBuf(d.fixed, &c.valid, (d.cap+7)/8)
		setFF(c.nb)
	}
	c.nb[r>>3] &^= 1 << (r & 7)
	c.nulls++
	switch {
	case c.kind == dBool:
		c.vb[r>>3] &^= 1 << (r & 7)
	case c.width > 0:
		clear(c.vb[r*c.width : (r+1)*c.width])
	default:
		binary.LittleEndian.PutUint32(c.ob[(r+1)*4:], uint32(c.dlen))
	}
}

// decimal128 decodes the numeric v into row r of a decimal128 column.
func (c *dcol) decimal128(v []byte, r int) error {
	// the common case: up to 16 digits that, scaled, fit a uint64
	if len(v) >= 8 && len(v) <= 16 {
		nd := int(binary.BigEndian.Uint16(v))
		sign := binary.BigEndian.Uint16(v[4:])
		if len(v) == 8+2*nd && (sign == numPos || sign == numNeg) {
			var acc uint64
			for k := 8; k < len(v); k += 2 {
				acc = acc*10000 + uint64(binary.BigEndian.Uint16(v[k:]))
			}
			e := 4*(int(int16(binary.BigEndian.Uint16(v[2:])))-nd+1) + c.scale
			ok := true
			switch {
			case acc == 0:
			case e == 0:
			case e == -1:
				ok = acc%10 == 0
				acc /= 10
			case e == -2:
				ok = acc%100 == 0
				acc /= 100
			case e == -3:
				ok = acc%1000 == 0
				acc /= 1000
			case e > 0 && e < 20 && acc <= math.MaxUint64/pow10u64[e]:
				acc *= pow10u64[e]
			default:
				ok = false
			}
			if ok && (c.limit.small == 0 || acc < c.limit.small) {
				w := c.vb[r*16 : r*16+16]
				hi := uint64(0)
				if sign == numNeg && acc != 0 {
					acc, hi = -acc, math.MaxUint64
				}
				binary.LittleEndian.PutUint64(w, acc)
				binary.LittleEndian.PutUint64(w[8:], hi)
				return nil
			}
		}
	}
	n, err := parseNumeric(v)
	if err != nil {
		return err
	}
	neg, hi, lo, ok, err := n.unscaled128(c.scale)
	if err != nil {
		return err
	}
	var x decimal128.Num
	if ok {
		if hi > c.lim[0] || hi == c.lim[0] && lo >= c.lim[1] {
			return fmt.Errorf("numeric value has more than %d digits", c.limit.p)
		}
		x = decimal128.New(int64(hi), lo)
	} else {
		neg2, small, bigv, err := n.unscaled(c.scale)
		if err != nil {
			return err
		}
		if !c.limit.fits(small, bigv) {
			return fmt.Errorf("numeric value has more than %d digits", c.limit.p)
		}
		neg = neg2
		if bigv == nil {
			x = decimal128.FromU64(small)
		} else {
			x = decimal128.FromBigInt(bigv)
		}
	}
	if neg {
		x = x.Negate()
	}
	w := c.vb[r*16 : r*16+16]
	binary.LittleEndian.PutUint64(w, x.LowBits())
	binary.LittleEndian.PutUint64(w[8:], uint64(x.HighBits()))
	return nil
}

// decimal256 decodes the numeric v into row r of a decimal256 column.
func (c *dcol) decimal256(v []byte, r int) error {
	n, err := parseNumeric(v)
	if err != nil {
		return err
	}
	neg, small, bigv, err := n.unscaled(c.scale)
	if err != nil {
		return err
	}
	if !c.limit.fits(small, bigv) {
		return fmt.Errorf("numeric value has more than %d digits", c.limit.p)
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
	w := c.vb[r*32 : r*32+32]
	for k, u := range x.Array() {
		binary.LittleEndian.PutUint64(w[8*k:], u)
	}
	return nil
}

// pow10u128 returns 10^p (p <= 38) as a uint128.
func pow10u128(p int) (hi, lo uint64) {
	lo = 1
	for i := 0; i < p; i++ {
		hi, lo, _ = mul128(hi, lo, 10)
	}
	return hi, lo
}

func (d *Decoder) flush() error {
	if d.rows == 0 {
		return nil
	}
	n := d.rows
	for i := range d.sizers {
		s := &d.sizers[i]
		if s.elems != nil {
			s.n = s.elems.Len()
		}
		if s.bin != nil {
			s.len = s.bin.DataLen()
		}
	}
	arrs := make([]arrow.Array, len(d.cols))
	for i := range d.cols {
		arrs[i] = d.cols[i].array(n)
	}
	rec := array.NewRecordBatch(d.schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	d.last = n
	d.rows, d.bytes, d.cap = 0, 0, 0
	return d.emit(rec)
}

// array finishes the column's n values as an array and leaves the column
// empty (its buffers now belong to the array).
func (c *dcol) array(n int) arrow.Array {
	if c.bld != nil {
		return c.bld.NewArray()
	}
	var valid *memory.Buffer
	if c.nulls > 0 {
		valid = c.valid
		valid.ResizeNoShrink((n + 7) / 8)
		if n%8 != 0 {
			c.nb[n/8] &= byte(1)<<(n%8) - 1 // padding bits are zero
		}
	}
	var bufs []*memory.Buffer
	switch {
	case c.kind == dBool:
		c.vals.ResizeNoShrink((n + 7) / 8)
		bufs = []*memory.Buffer{valid, c.vals}
	case c.width > 0:
		c.vals.ResizeNoShrink(n * c.width)
		bufs = []*memory.Buffer{valid, c.vals}
	default:
		c.offs.ResizeNoShrink((n + 1) * 4)
		c.data.ResizeNoShrink(c.dlen)
		bufs = []*memory.Buffer{valid, c.offs, c.data}
		c.lastData = c.dlen
	}
	data := array.NewData(c.dt, n, bufs, nil, c.nulls, 0)
	a := array.MakeFromData(data)
	data.Release()
	c.free()
	return a
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
