package pgcopy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// EncodeError is a value the encoder cannot put into its destination column
// (out of range, not a valid uuid). It is bad data: the row is dirty.
type EncodeError struct {
	Row    int64 // index in the batch
	Column string
	Err    error
}

// Error names the row and column.
func (e *EncodeError) Error() string {
	return fmt.Sprintf("pgcopy: row %d column %q: %v", e.Row, e.Column, e.Err)
}

// Unwrap returns the cause.
func (e *EncodeError) Unwrap() error { return e.Err }

// encodeFn appends the length-prefixed binary value of row i of arr (not null).
type encodeFn func(dst []byte, arr arrow.Array, i int) ([]byte, error)

// ekind is how a column is encoded: straight from the array's buffers (all
// kinds but eFn) or through an encodeFn (conversions, lists, rare types).
type ekind uint8

const (
	eFn       ekind = iota // encodeFn
	e8                     // 8 bytes byte-swapped (int8 from int64, float8 from float64, time from time64[us])
	e4                     // 4 bytes byte-swapped (int4 from int32, float4 from float32, oid from uint32)
	e2                     // 2 bytes byte-swapped (int2 from int16)
	eBool                  // bool from a bitmap
	eDate                  // date from date32
	eTsMicro               // timestamp(tz) from timestamp[us]
	eBytes                 // text, bytea, json from utf8/binary offsets and data
	eJSONB                 // jsonb: a version byte, then the text
	eFixed16               // uuid from a 16-byte fixed-size binary
	eDec128                // numeric from decimal128
	eTextUUID              // uuid from its text in utf8
)

// ecol is one column of the encoder; the fields after kind and fn are bound
// to the batch being read (Reader) so that a value is an index into them.
type ecol struct {
	kind  ekind
	fn    encodeFn
	scale int // eDec128

	arr   arrow.Array // eFn, and EncodeError's values
	nulls bool        // whether the column has nulls to check
	valid []byte      // validity bitmap, bits from off
	off   int
	vals  []byte  // fixed-width values, from the array's offset
	offs  []int32 // eBytes, eJSONB: offsets, from the array's offset
	data  []byte
}

// Encoder encodes Arrow record batches of one schema into binary COPY
// streams for a table's columns. An Encoder is used by one goroutine.
type Encoder struct {
	names  []string
	cols   []ecol
	buf    []byte
	extra  []byte // constant trailing fields of every row, encoded
	nextra int

	// direct: every column has a direct kind, so a row's size is bounded
	// by fixed (the row's fixed-width parts at their largest, length
	// prefixes included) plus the lengths of its variable-length values,
	// and rows are encoded straight into Read's p
	direct bool
	fixed  int

	format string // PassthroughFormat of the destination columns
}

// AppendInt8 adds a constant bigint v after the batch columns of every row
// (the stage's attempt number, say); the COPY column list must name it last.
func (e *Encoder) AppendInt8(v int64) {
	e.extra = binary.BigEndian.AppendUint64(put32(e.extra, 8), uint64(v))
	e.nextra++
	e.fixed += 12
}

// NewEncoder returns an Encoder writing the fields of schema into the
// destination columns cols (same order), or an error naming the first column
// whose Arrow type cannot be written into the destination type.
func NewEncoder(schema *arrow.Schema, cols []Column, ts Types) (*Encoder, error) {
	e := &Encoder{}
	if len(cols) < schema.NumFields() {
		return nil, fmt.Errorf("pgcopy: %d columns for %d fields", len(cols), schema.NumFields())
	}
	for i, f := range schema.Fields() {
		fn, err := newEncodeFn(f.Type, cols[i].OID, ts)
		if err != nil {
			return nil, fmt.Errorf("pgcopy: column %q: cannot write %s into %s: %w", f.Name, f.Type, cols[i].SourceType, err)
		}
		e.names = append(e.names, f.Name)
		e.cols = append(e.cols, ecol{kind: directKind(f.Type, cols[i].OID, ts), fn: fn, scale: decimalScale(f.Type)})
	}
	e.format = PassthroughFormat(cols[:schema.NumFields()])
	e.direct, e.fixed = true, 2
	for _, c := range e.cols {
		switch c.kind {
		case eFn:
			e.direct = false
		case eBytes, eJSONB:
			e.fixed += 5
		default:
			e.fixed += 4 + maxSize[c.kind]
		}
	}
	return e, nil
}

// maxSize is the largest value of a direct fixed-width kind, without its
// length prefix.
var maxSize = [...]int{e8: 8, e4: 4, e2: 2, eBool: 1, eDate: 4, eTsMicro: 8, eFixed16: 16, eDec128: 8 + 2*12, eBytes: 0, eJSONB: 0, eFn: 0, eTextUUID: 16}

// directKind returns the kind that encodes dt into oid straight from the
// array's buffers, or eFn. It only chooses mappings newEncodeFn accepts and
// encodes the same way.
func directKind(dt arrow.DataType, oid uint32, ts Types) ekind {
	if ts.arrayElem(oid) != 0 {
		return eFn
	}
	base, enum := ts.scalar(oid)
	if enum {
		base = OIDText
	}
	if et, ok := dt.(arrow.ExtensionType); ok {
		switch {
		case et.ExtensionName() == "arrow.uuid" && base == OIDUUID:
			if st, ok := et.StorageType().(*arrow.FixedSizeBinaryType); ok && st.ByteWidth == 16 {
				return eFixed16
			}
			return eFn
		case et.ExtensionName() == "arrow.json":
			dt = et.StorageType()
		default:
			return eFn
		}
	}
	switch dt.ID() {
	case arrow.INT64:
		if base == OIDInt8 {
			return e8
		}
	case arrow.INT32:
		if base == OIDInt4 {
			return e4
		}
	case arrow.INT16:
		if base == OIDInt2 {
			return e2
		}
	case arrow.UINT32:
		if base == OIDOID {
			return e4
		}
	case arrow.FLOAT64:
		if base == OIDFloat8 {
			return e8
		}
	case arrow.FLOAT32:
		if base == OIDFloat4 {
			return e4
		}
	case arrow.BOOL:
		if base == OIDBool {
			return eBool
		}
	case arrow.DATE32:
		if base == OIDDate {
			return eDate
		}
	case arrow.TIME64:
		if base == OIDTime && dt.(*arrow.Time64Type).Unit == arrow.Microsecond {
			return e8
		}
	case arrow.TIMESTAMP:
		if (base == OIDTimestamp || base == OIDTimestamptz) && dt.(*arrow.TimestampType).Unit == arrow.Microsecond {
			return eTsMicro
		}
	case arrow.DECIMAL128:
		if base == OIDNumeric {
			return eDec128
		}
	case arrow.STRING, arrow.BINARY:
		isText := dt.ID() == arrow.STRING
		switch {
		case base == OIDBytea && !isText, isText && (base == OIDText || base == OIDVarchar || base == OIDBPChar || base == OIDName || base == OIDJSON || base == OIDXML || base == OIDChar):
			return eBytes
		case isText && base == OIDJSONB:
			return eJSONB
		case isText && base == OIDUUID:
			return eTextUUID
		}
	}
	return eFn
}

func decimalScale(dt arrow.DataType) int {
	if d, ok := dt.(arrow.DecimalType); ok {
		return int(d.GetScale())
	}
	return 0
}

// bind points c at arr, the column of the batch being read.
func (c *ecol) bind(arr arrow.Array) {
	c.arr = arr
	c.nulls = arr.NullN() > 0
	d := arr.Data()
	bufs := d.Buffers()
	c.off = d.Offset()
	c.valid = nil
	if c.nulls {
		if len(bufs) > 0 {
			c.valid = bufBytes(bufs[0])
		}
		if c.valid == nil { // a null array: all null, no bitmap
			c.valid = make([]byte, (c.off+arr.Len()+7)/8)
		}
	}
	if c.kind == eFn {
		return
	}
	if ea, ok := arr.(array.ExtensionArray); ok {
		d = ea.Storage().Data()
		bufs = d.Buffers()
	}
	switch c.kind {
	case eBytes, eJSONB, eTextUUID:
		offs := arrow.Int32Traits.CastFromBytes(bufBytes(bufs[1]))
		if len(offs) > 0 {
			offs = offs[c.off : c.off+d.Len()+1]
		}
		c.offs, c.data = offs, bufBytes(bufs[2])
	case eBool:
		c.vals = bufBytes(bufs[1])
	default:
		w := 0
		switch c.kind {
		case e8, eTsMicro:
			w = 8
		case e4, eDate:
			w = 4
		case e2:
			w = 2
		case eFixed16, eDec128:
			w = 16
		}
		c.vals = bufBytes(bufs[1])
		if len(c.vals) > 0 {
			c.vals = c.vals[c.off*w:]
		}
	}
}

func bufBytes(b *memory.Buffer) []byte {
	if b == nil {
		return nil
	}
	return b.Bytes()
}

// Reader returns the binary COPY stream of b (header, rows, trailer). It
// reads b's arrays directly; b must stay valid until the reader is done.
//
// A *RawBatch whose Format is the destination columns' PassthroughFormat is
// written as it is, with no decoding and no encoding.
func (e *Encoder) Reader(b arrow.RecordBatch) io.Reader {
	e.buf = e.buf[:0] // drop what an aborted previous stream left
	if rb, ok := b.(*RawBatch); ok && e.Passes(rb) {
		return &rawReader{e: e, b: rb}
	}
	for c, arr := range b.Columns() {
		e.cols[c].bind(arr)
	}
	return &batchReader{e: e, b: b, n: int(b.NumRows())}
}

// Format returns the PassthroughFormat of the destination columns: the
// format of the RawBatch values the Encoder writes without decoding them.
func (e *Encoder) Format() string { return e.format }

// Passes reports whether the Encoder writes b's rows as they are.
func (e *Encoder) Passes(b *RawBatch) bool { return e.format != "" && b.Format() == e.format }

// rawReader streams a RawBatch's tuples: the header, each tuple (with the
// encoder's constant trailing fields, if any, after it), the trailer. What
// does not fit in Read's p (a p smaller than the header, or than a row with
// trailing fields) is built in the encoder's buffer and served from there.
type rawReader struct {
	e     *Encoder
	b     *RawBatch
	row   int // next row to copy
	pos   int // bytes of the next row copied (contiguous rows only)
	spill int // bytes of e.buf served
	head  bool
	done  bool
}

func (r *rawReader) Read(p []byte) (int, error) {
	e, b := r.e, r.b
	if r.spill < len(e.buf) {
		k := copy(p, e.buf[r.spill:])
		r.spill += k
		return k, nil
	}
	if r.done {
		return 0, io.EOF
	}
	e.buf, r.spill = e.buf[:0], 0
	dst := p[:0]
	if !r.head {
		r.head = true
		if len(p) < len(Signature)+8 {
			e.buf = append(append(e.buf, Signature...), 0, 0, 0, 0, 0, 0, 0, 0)
			return r.Read(p)
		}
		dst = append(append(dst, Signature...), 0, 0, 0, 0, 0, 0, 0, 0)
	}
	n := len(b.offs) - 1
	if e.nextra == 0 {
		// the tuples are contiguous: copy as many bytes as fit
		if r.row < n {
			from, to := int(b.offs[r.row])+r.pos, int(b.offs[n])
			k := copy(p[len(dst):], b.data[from:to])
			dst = p[:len(dst)+k]
			if from += k; from == to {
				r.row, r.pos = n, 0
			} else {
				r.pos = from - int(b.offs[r.row])
			}
		}
	} else {
		nf := uint16(len(e.cols) + e.nextra)
		for ; r.row < n; r.row++ {
			row := b.data[b.offs[r.row]:b.offs[r.row+1]]
			if len(p)-len(dst) >= len(row)+len(e.extra) {
				dst = binary.BigEndian.AppendUint16(dst, nf)
				dst = append(append(dst, row[2:]...), e.extra...)
				continue
			}
			if len(dst) > 0 {
				return len(dst), nil
			}
			// a row larger than p
			e.buf = binary.BigEndian.AppendUint16(e.buf, nf)
			e.buf = append(append(e.buf, row[2:]...), e.extra...)
			r.row++
			return r.Read(p)
		}
	}
	if r.row >= n {
		if len(p)-len(dst) < 2 {
			if len(dst) > 0 {
				return len(dst), nil
			}
			e.buf = append(e.buf, 0xff, 0xff)
			r.done = true
			return r.Read(p)
		}
		dst = append(dst, 0xff, 0xff)
		r.done = true
	}
	return len(dst), nil
}

type batchReader struct {
	e    *Encoder
	b    arrow.RecordBatch
	n    int
	row  int
	pos  int
	head bool
	done bool
}

const chunk = 256 << 10

// Read encodes rows straight into p when the encoder is direct and p has
// room for the next row; otherwise (and for a row larger than p) it encodes
// about chunk bytes into the encoder's buffer and copies from there.
func (r *batchReader) Read(p []byte) (int, error) {
	e := r.e
	if r.pos < len(e.buf) {
		n := copy(p, e.buf[r.pos:])
		r.pos += n
		return n, nil
	}
	if r.done {
		return 0, io.EOF
	}
	e.buf, r.pos = e.buf[:0], 0
	if e.direct {
		dst := p[:0]
		if !r.head && len(p) >= len(Signature)+8 {
			dst = append(append(dst, Signature...), 0, 0, 0, 0, 0, 0, 0, 0)
			r.head = true
		}
		if r.head {
			var err error
			if dst, err = e.rows(dst, r, len(p)); err != nil {
				return 0, err
			}
			if r.row >= r.n && len(p)-len(dst) >= 2 {
				dst = append(dst, 0xff, 0xff)
				r.done = true
			}
			if len(dst) > 0 {
				return len(dst), nil
			}
		}
	}
	if !r.head {
		e.buf = append(e.buf, Signature...)
		e.buf = append(e.buf, 0, 0, 0, 0, 0, 0, 0, 0)
		r.head = true
	}
	var err error
	if e.buf, err = e.rows(e.buf, r, -1); err != nil {
		return 0, err
	}
	if r.row >= r.n {
		e.buf = append(e.buf, 0xff, 0xff)
		r.done = true
	}
	n := copy(p, e.buf)
	r.pos = n
	return n, nil
}

// rows appends rows from r.row on to dst: with limit < 0 until dst holds
// chunk bytes, else (direct) as long as the next row fits in limit bytes.
// A direct row is started when its fixed-width parts fit; budget is what is
// left for its variable-length values, and a value beyond it takes the row
// back.
func (e *Encoder) rows(dst []byte, r *batchReader, limit int) ([]byte, error) {
	nf := uint16(len(e.cols) + e.nextra)
	cols := e.cols
rows:
	for ; r.row < r.n; r.row++ {
		i := r.row
		start := len(dst)
		budget := math.MaxInt
		if limit < 0 {
			if start >= chunk {
				break
			}
		} else if budget = limit - start - e.fixed; budget < 0 {
			break
		}
		dst = binary.BigEndian.AppendUint16(dst, nf)
		for k := range cols {
			c := &cols[k]
			if c.nulls {
				if j := c.off + i; c.valid[j>>3]&(1<<(j&7)) == 0 {
					dst = append(dst, 0xff, 0xff, 0xff, 0xff)
					continue
				}
			}
			switch c.kind {
			case e8:
				dst = binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 8), binary.LittleEndian.Uint64(c.vals[i*8:]))
			case e4:
				dst = binary.BigEndian.AppendUint32(append(dst, 0, 0, 0, 4), binary.LittleEndian.Uint32(c.vals[i*4:]))
			case eBytes:
				v := c.data[c.offs[i]:c.offs[i+1]]
				if budget -= len(v); budget < 0 {
					dst = dst[:start]
					break rows
				}
				dst = append(binary.BigEndian.AppendUint32(dst, uint32(len(v))), v...)
			case eTsMicro:
				v := int64(binary.LittleEndian.Uint64(c.vals[i*8:]))
				dst = binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 8), uint64(v-pgEpochMicros))
			case eDate:
				v := int32(binary.LittleEndian.Uint32(c.vals[i*4:]))
				dst = binary.BigEndian.AppendUint32(append(dst, 0, 0, 0, 4), uint32(v-pgEpochDays))
			case eBool:
				j := c.off + i
				dst = append(dst, 0, 0, 0, 1, c.vals[j>>3]>>(j&7)&1)
			case eFixed16:
				dst = append(append(dst, 0, 0, 0, 16), c.vals[i*16:i*16+16]...)
			case eDec128:
				dst = appendNumeric128(dst, binary.LittleEndian.Uint64(c.vals[i*16:]), binary.LittleEndian.Uint64(c.vals[i*16+8:]), c.scale)
			case eJSONB:
				v := c.data[c.offs[i]:c.offs[i+1]]
				if budget -= len(v); budget < 0 {
					dst = dst[:start]
					break rows
				}
				dst = append(append(binary.BigEndian.AppendUint32(dst, uint32(len(v)+1)), 1), v...)
			case e2:
				dst = binary.BigEndian.AppendUint16(append(dst, 0, 0, 0, 2), binary.LittleEndian.Uint16(c.vals[i*2:]))
			case eTextUUID:
				v := c.data[c.offs[i]:c.offs[i+1]]
				if u, ok := parseUUID(v); ok {
					dst = append(append(dst, 0, 0, 0, 16), u[:]...)
					break
				}
				var err error
				if dst, err = c.fn(dst, c.arr, i); err != nil {
					return dst, &EncodeError{Row: int64(i), Column: e.names[k], Err: err}
				}
			default:
				var err error
				if dst, err = c.fn(dst, c.arr, i); err != nil {
					return dst, &EncodeError{Row: int64(i), Column: e.names[k], Err: err}
				}
			}
		}
		dst = append(dst, e.extra...)
	}
	return dst, nil
}

func put32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

func intOf(arr arrow.Array, i int) (int64, bool) {
	switch a := arr.(type) {
	case *array.Int8:
		return int64(a.Value(i)), true
	case *array.Int16:
		return int64(a.Value(i)), true
	case *array.Int32:
		return int64(a.Value(i)), true
	case *array.Int64:
		return a.Value(i), true
	case *array.Uint8:
		return int64(a.Value(i)), true
	case *array.Uint16:
		return int64(a.Value(i)), true
	case *array.Uint32:
		return int64(a.Value(i)), true
	case *array.Uint64:
		v := a.Value(i)
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

func errRange(v any, t string) error { return fmt.Errorf("value %v out of range for %s", v, t) }

func newEncodeFn(dt arrow.DataType, oid uint32, ts Types) (encodeFn, error) {
	if elem := ts.arrayElem(oid); elem != 0 {
		var vt arrow.DataType
		switch lt := dt.(type) {
		case *arrow.ListType:
			vt = lt.Elem()
		case *arrow.LargeListType:
			vt = lt.Elem()
		case *arrow.FixedSizeListType:
			vt = lt.Elem()
		default:
			return nil, errors.New("only lists can be written into arrays")
		}
		ef, err := newEncodeFn(vt, elem, ts)
		if err != nil {
			return nil, err
		}
		elemOID, _ := ts.scalar(elem)
		return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
			var lo, hi int64
			var vals arrow.Array
			switch a := arr.(type) {
			case *array.List:
				lo, hi = a.ValueOffsets(i)
				vals = a.ListValues()
			case *array.LargeList:
				lo, hi = a.ValueOffsets(i)
				vals = a.ListValues()
			case *array.FixedSizeList:
				n := int64(a.DataType().(*arrow.FixedSizeListType).Len())
				lo = (int64(a.Offset()) + int64(i)) * n
				hi = lo + n
				vals = a.ListValues()
			}
			start := len(dst)
			dst = append(dst, 0, 0, 0, 0) // length, filled below
			if hi == lo {
				dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
				dst = put32(dst, elemOID)
			} else {
				hasNull := uint32(0)
				for k := lo; k < hi; k++ {
					if vals.IsNull(int(k)) {
						hasNull = 1
						break
					}
				}
				dst = put32(dst, 1)
				dst = put32(dst, hasNull)
				dst = put32(dst, elemOID)
				dst = put32(dst, uint32(hi-lo))
				dst = put32(dst, 1)
				for k := lo; k < hi; k++ {
					if vals.IsNull(int(k)) {
						dst = append(dst, 0xff, 0xff, 0xff, 0xff)
						continue
					}
					var err error
					if dst, err = ef(dst, vals, int(k)); err != nil {
						return dst, fmt.Errorf("element %d: %w", k-lo+1, err)
					}
				}
			}
			binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
			return dst, nil
		}, nil
	}
	base, enum := ts.scalar(oid)
	if enum {
		base = OIDText
	}
	if et, ok := dt.(arrow.ExtensionType); ok {
		switch et.ExtensionName() {
		case "arrow.uuid":
			switch base {
			case OIDUUID:
				return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
					v := arr.(array.ExtensionArray).Storage().(*array.FixedSizeBinary).Value(i)
					return append(put32(dst, 16), v...), nil
				}, nil
			case OIDText, OIDVarchar, OIDBPChar, OIDName:
				return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
					var u uuid.UUID
					copy(u[:], arr.(array.ExtensionArray).Storage().(*array.FixedSizeBinary).Value(i))
					return append(put32(dst, 36), u.String()...), nil
				}, nil
			}
			return nil, errors.New("uuid goes into uuid or text columns")
		case "arrow.json":
			fn, err := newEncodeFn(et.StorageType(), oid, ts)
			if err != nil {
				return nil, err
			}
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				return fn(dst, arr.(array.ExtensionArray).Storage(), i)
			}, nil
		}
		return nil, fmt.Errorf("extension type %s is not supported", et.ExtensionName())
	}
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		switch base {
		case OIDInt2:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v, ok := intOf(arr, i)
				if !ok || v < math.MinInt16 || v > math.MaxInt16 {
					return dst, errRange(arr.ValueStr(i), "smallint")
				}
				return binary.BigEndian.AppendUint16(put32(dst, 2), uint16(v)), nil
			}, nil
		case OIDInt4:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v, ok := intOf(arr, i)
				if !ok || v < math.MinInt32 || v > math.MaxInt32 {
					return dst, errRange(arr.ValueStr(i), "integer")
				}
				return put32(put32(dst, 4), uint32(v)), nil
			}, nil
		case OIDInt8:
			if dt.ID() == arrow.INT64 {
				return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
					return binary.BigEndian.AppendUint64(put32(dst, 8), uint64(arr.(*array.Int64).Value(i))), nil
				}, nil
			}
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v, ok := intOf(arr, i)
				if !ok {
					return dst, errRange(arr.ValueStr(i), "bigint")
				}
				return binary.BigEndian.AppendUint64(put32(dst, 8), uint64(v)), nil
			}, nil
		case OIDNumeric:
			var tmp []byte
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				var neg bool
				if a, ok := arr.(*array.Uint64); ok {
					tmp = strconv.AppendUint(tmp[:0], a.Value(i), 10)
				} else {
					v, _ := intOf(arr, i)
					if v < 0 {
						neg, v = true, -v
					}
					tmp = strconv.AppendUint(tmp[:0], uint64(v), 10)
				}
				return appendNumeric(dst, neg, tmp, 0), nil
			}, nil
		case OIDOID:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v, ok := intOf(arr, i)
				if !ok || v < 0 || v > math.MaxUint32 {
					return dst, errRange(arr.ValueStr(i), "oid")
				}
				return put32(put32(dst, 4), uint32(v)), nil
			}, nil
		}
	case arrow.FLOAT32:
		switch base {
		case OIDFloat4:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				return put32(put32(dst, 4), math.Float32bits(arr.(*array.Float32).Value(i))), nil
			}, nil
		case OIDFloat8:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				return binary.BigEndian.AppendUint64(put32(dst, 8), math.Float64bits(float64(arr.(*array.Float32).Value(i)))), nil
			}, nil
		}
	case arrow.FLOAT64:
		switch base {
		case OIDFloat8:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				return binary.BigEndian.AppendUint64(put32(dst, 8), math.Float64bits(arr.(*array.Float64).Value(i))), nil
			}, nil
		case OIDFloat4:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := arr.(*array.Float64).Value(i)
				f := float32(v)
				if float64(f) != v && !math.IsNaN(v) {
					return dst, fmt.Errorf("value %v does not fit a real exactly", v)
				}
				return put32(put32(dst, 4), math.Float32bits(f)), nil
			}, nil
		}
	case arrow.DECIMAL128, arrow.DECIMAL256:
		if base == OIDNumeric {
			var scale int
			if d, ok := dt.(arrow.DecimalType); ok {
				scale = int(d.GetScale())
			}
			var tmp []byte
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				var neg bool
				switch a := arr.(type) {
				case *array.Decimal128:
					v := a.Value(i)
					if v.Sign() < 0 {
						neg, v = true, v.Negate()
					}
					if v.HighBits() == 0 {
						tmp = strconv.AppendUint(tmp[:0], v.LowBits(), 10)
					} else {
						tmp = v.BigInt().Append(tmp[:0], 10)
					}
				case *array.Decimal256:
					v := a.Value(i)
					if v.Sign() < 0 {
						neg, v = true, v.Negate()
					}
					w := v.Array()
					if w[1] == 0 && w[2] == 0 && w[3] == 0 {
						tmp = strconv.AppendUint(tmp[:0], w[0], 10)
					} else {
						tmp = v.BigInt().Append(tmp[:0], 10)
					}
				}
				return appendNumeric(dst, neg, tmp, scale), nil
			}, nil
		}
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		isText := dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING
		raw := func(arr arrow.Array, i int) []byte {
			switch a := arr.(type) {
			case *array.String:
				return unsafeBytes(a.Value(i))
			case *array.LargeString:
				return unsafeBytes(a.Value(i))
			case *array.Binary:
				return a.Value(i)
			case *array.LargeBinary:
				return a.Value(i)
			}
			return nil
		}
		switch {
		case base == OIDBytea && !isText, isText && (base == OIDText || base == OIDVarchar || base == OIDBPChar || base == OIDName || base == OIDJSON || base == OIDXML || base == OIDChar):
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := raw(arr, i)
				return append(put32(dst, uint32(len(v))), v...), nil
			}, nil
		case isText && base == OIDJSONB:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := raw(arr, i)
				return append(append(put32(dst, uint32(len(v)+1)), 1), v...), nil
			}, nil
		case isText && base == OIDUUID:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				u, err := uuid.ParseBytes(raw(arr, i))
				if err != nil {
					return dst, fmt.Errorf("not a uuid: %w", err)
				}
				return append(put32(dst, 16), u[:]...), nil
			}, nil
		case isText && base == OIDNumeric:
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				return appendNumericText(dst, string(raw(arr, i)))
			}, nil
		}
	case arrow.BOOL:
		if base == OIDBool {
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				b := byte(0)
				if arr.(*array.Boolean).Value(i) {
					b = 1
				}
				return append(put32(dst, 1), b), nil
			}, nil
		}
	case arrow.DATE32:
		if base == OIDDate {
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				return put32(put32(dst, 4), uint32(int32(arr.(*array.Date32).Value(i))-pgEpochDays)), nil
			}, nil
		}
	case arrow.TIME64:
		if base == OIDTime {
			div := int64(1)
			if dt.(*arrow.Time64Type).Unit == arrow.Nanosecond {
				div = 1000
			}
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := int64(arr.(*array.Time64).Value(i))
				if v%div != 0 {
					return dst, fmt.Errorf("time %d ns has sub-microsecond digits", v)
				}
				return binary.BigEndian.AppendUint64(put32(dst, 8), uint64(v/div)), nil
			}, nil
		}
	case arrow.TIMESTAMP:
		if base == OIDTimestamp || base == OIDTimestamptz {
			mul, div := toMicros(dt.(*arrow.TimestampType).Unit)
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := int64(arr.(*array.Timestamp).Value(i))
				if v%div != 0 {
					return dst, fmt.Errorf("timestamp %d ns has sub-microsecond digits", v)
				}
				return binary.BigEndian.AppendUint64(put32(dst, 8), uint64(v/div*mul-pgEpochMicros)), nil
			}, nil
		}
	case arrow.DURATION:
		if base == OIDInterval {
			mul, div := toMicros(dt.(*arrow.DurationType).Unit)
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := int64(arr.(*array.Duration).Value(i))
				if v%div != 0 {
					return dst, fmt.Errorf("duration %d ns has sub-microsecond digits", v)
				}
				us := v / div
				if mul > 1 && (us > math.MaxInt64/mul || us < math.MinInt64/mul) {
					return dst, errRange(arr.ValueStr(i), "interval")
				}
				dst = binary.BigEndian.AppendUint64(put32(dst, 16), uint64(us*mul))
				return put32(put32(dst, 0), 0), nil
			}, nil
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		if base == OIDInterval {
			return func(dst []byte, arr arrow.Array, i int) ([]byte, error) {
				v := arr.(*array.MonthDayNanoInterval).Value(i)
				if v.Nanoseconds%1000 != 0 {
					return dst, fmt.Errorf("interval has sub-microsecond digits")
				}
				dst = binary.BigEndian.AppendUint64(put32(dst, 16), uint64(v.Nanoseconds/1000))
				return put32(put32(dst, uint32(v.Days)), uint32(v.Months)), nil
			}, nil
		}
	}
	return nil, errors.New("no conversion")
}

// parseUUID parses the canonical text form of a uuid
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, either case); other forms are for
// uuid.ParseBytes.
func parseUUID(s []byte) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for k := 0; k < 36; k += 2 {
		if k == 8 || k == 13 || k == 18 || k == 23 {
			k++
		}
		h, l := unhex[s[k]], unhex[s[k+1]]
		if h|l == 0xff {
			return u, false
		}
		u[j] = h<<4 | l
		j++
	}
	return u, true
}

// unhex maps hex digits to their value and other bytes to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return
}()

// toMicros returns what a value of unit is multiplied by, or divided by, to
// make microseconds.
func toMicros(unit arrow.TimeUnit) (mul, div int64) {
	switch unit {
	case arrow.Second:
		return 1e6, 1
	case arrow.Millisecond:
		return 1e3, 1
	case arrow.Nanosecond:
		return 1, 1e3
	}
	return 1, 1
}

// unsafeBytes views s as bytes without copying; the bytes are only read.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
