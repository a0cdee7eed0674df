package pgcopy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Passthrough: a binary COPY stream read from one PostgreSQL table can be
// written into another as it is, when every column has the same type on both
// sides. The reader then hands out RawBatch values, which keep the rows in
// their wire form and decode them into Arrow arrays only when something asks
// for a column; the Encoder writes a RawBatch's rows without decoding them.

// firstNonBuiltinOID is PostgreSQL's FirstGenbkiObjectId: every built-in
// type has a smaller OID. Other types (enums, domains, composites,
// extensions such as pgvector) may differ between two databases under the
// same name, or have a binary form that depends on the extension's version.
const firstNonBuiltinOID = 10000

// objectRefOIDs are the reg* types and their arrays: their binary form is
// the referenced object's OID, which names another object (or none) in
// another database, where their text form names the same one.
var objectRefOIDs = map[uint32]bool{
	24: true, 2202: true, 2203: true, 2204: true, 2205: true, 2206: true, 3734: true, 3769: true, 4089: true, 4096: true, 4191: true,
	1008: true, 2207: true, 2208: true, 2209: true, 2210: true, 2211: true, 3735: true, 3770: true, 4090: true, 4097: true, 4192: true,
}

// PassthroughFormat names the wire form of rows whose columns have the types
// cols, or returns "" when some column's type is not built in (or is a
// reference to a database object, such as regclass). Two column
// lists with the same format have byte-identical binary COPY rows: the
// format lists the type OIDs, with text, varchar and char(n) as one (they
// share a binary form). Type modifiers are left out on purpose: the
// receiving server applies its column's modifier (a varchar's length, a
// numeric's scale) to the incoming value exactly as it does for a value
// encoded from Arrow.
func PassthroughFormat(cols []Column) string {
	if len(cols) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("pgcopy-binary:")
	for i, c := range cols {
		if c.OID == 0 || c.OID >= firstNonBuiltinOID || objectRefOIDs[c.OID] {
			return ""
		}
		oid := c.OID
		if oid == OIDVarchar || oid == OIDBPChar {
			oid = OIDText
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(oid), 10))
	}
	return b.String()
}

// RawSource is what the RawBatch values of one reader share: the schema and
// source columns to decode them with, and the allocators of their buffers.
type RawSource struct {
	Mem    memory.Allocator // decoded arrays
	Pool   memory.Allocator // the tuples' buffers (nil: Mem); may recycle without zeroing
	Schema *arrow.Schema
	Cols   []Column
	Types  Types
	Format string // PassthroughFormat(Cols)
}

// RawBatch is an arrow.RecordBatch whose rows are still binary COPY tuples.
// Schema, NumRows, NumCols, ColumnName and NewSlice never decode; Column,
// Columns, SetColumn and MarshalJSON decode the rows once (a value the
// codec cannot carry, such as an infinite timestamp, then decodes as null,
// since an array cannot fail). DataBytes is the rows' wire size.
type RawBatch struct {
	src    *RawSource
	refs   atomic.Int64
	buf    *memory.Buffer // owner only: data and offsets
	obuf   *memory.Buffer
	parent *RawBatch // slices keep their parent's buffers alive
	data   []byte    // the tuples, each with its field count
	offs   []int32   // row i is data[offs[i]:offs[i+1]]

	once sync.Once
	dec  arrow.RecordBatch
}

var _ arrow.RecordBatch = (*RawBatch)(nil)

// Format returns the wire format of the batch's rows.
func (b *RawBatch) Format() string { return b.src.Format }

// DataBytes returns the size of the rows on the wire.
func (b *RawBatch) DataBytes() int64 { return int64(b.offs[len(b.offs)-1] - b.offs[0]) }

// Schema returns the reader's schema.
func (b *RawBatch) Schema() *arrow.Schema { return b.src.Schema }

// NumRows returns the number of rows.
func (b *RawBatch) NumRows() int64 { return int64(len(b.offs) - 1) }

// NumCols returns the number of columns.
func (b *RawBatch) NumCols() int64 { return int64(b.src.Schema.NumFields()) }

// ColumnName returns the name of column i.
func (b *RawBatch) ColumnName(i int) string { return b.src.Schema.Field(i).Name }

// Columns decodes the rows (once) and returns their columns.
func (b *RawBatch) Columns() []arrow.Array { return b.decoded().Columns() }

// Column decodes the rows (once) and returns column i.
func (b *RawBatch) Column(i int) arrow.Array { return b.decoded().Column(i) }

// SetColumn returns the decoded batch with column i replaced.
func (b *RawBatch) SetColumn(i int, col arrow.Array) (arrow.RecordBatch, error) {
	return b.decoded().SetColumn(i, col)
}

// MarshalJSON marshals the decoded rows.
func (b *RawBatch) MarshalJSON() ([]byte, error) { return b.decoded().MarshalJSON() }

// Retain adds a reference.
func (b *RawBatch) Retain() { b.refs.Add(1) }

// Release drops a reference; the last one frees the buffers.
func (b *RawBatch) Release() {
	if b.refs.Add(-1) != 0 {
		return
	}
	if b.dec != nil {
		b.dec.Release()
		b.dec = nil
	}
	if b.parent != nil {
		b.parent.Release()
		b.parent = nil
	}
	if b.buf != nil {
		b.buf.Release()
		b.obuf.Release()
		b.buf, b.obuf = nil, nil
	}
	b.data, b.offs = nil, nil
}

// NewSlice returns rows [i, j) without copying them.
func (b *RawBatch) NewSlice(i, j int64) arrow.RecordBatch {
	if i < 0 || j < i || j > b.NumRows() {
		panic(fmt.Sprintf("pgcopy: slice [%d:%d] of a batch of %d rows", i, j, b.NumRows()))
	}
	owner := b
	if b.parent != nil {
		owner = b.parent
	}
	owner.Retain()
	s := &RawBatch{src: b.src, parent: owner, data: b.data, offs: b.offs[i : j+1]}
	s.refs.Store(1)
	return s
}

// decoded decodes the rows once. The decoder cannot fail on rows the
// splitter accepted except for a value Arrow cannot carry; then the batch
// decodes as all nulls rather than failing a method that has no error.
func (b *RawBatch) decoded() arrow.RecordBatch {
	b.once.Do(func() {
		rec, err := b.decode()
		if err != nil {
			rec = nullBatch(b.src.Mem, b.src.Schema, int(b.NumRows()))
		}
		b.dec = rec
	})
	return b.dec
}

func (b *RawBatch) decode() (arrow.RecordBatch, error) {
	n := int(b.NumRows())
	var out arrow.RecordBatch
	d, err := NewDecoder(b.src.Mem, b.src.Schema, b.src.Cols, b.src.Types, n+1, func(rec arrow.RecordBatch) error {
		if out != nil {
			rec.Release()
			return errors.New("pgcopy: a raw batch decoded into two batches")
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer d.Release()
	d.BatchBytes = int(^uint(0) >> 1)
	head := append(append([]byte{}, Signature...), 0, 0, 0, 0, 0, 0, 0, 0)
	_, err = d.Write(head)
	if err == nil {
		_, err = d.Write(b.data[b.offs[0]:b.offs[n]])
	}
	if err == nil {
		_, err = d.Write([]byte{0xff, 0xff})
	}
	if err == nil {
		err = d.Flush()
	}
	if err != nil {
		if out != nil {
			out.Release()
		}
		return nil, err
	}
	if out == nil { // no rows
		out = nullBatch(b.src.Mem, b.src.Schema, 0)
	}
	return out, nil
}

func nullBatch(mem memory.Allocator, schema *arrow.Schema, n int) arrow.RecordBatch {
	arrs := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		arrs[i] = array.MakeArrayOfNull(mem, f.Type, n)
	}
	rec := array.NewRecordBatch(schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// Splitter is an io.Writer for pgconn.PgConn.CopyTo that cuts a binary
// COPY stream into RawBatch values of at most BatchRows rows and about
// BatchBytes bytes, checking each tuple's framing (its field count and
// value lengths) but decoding no value.
type Splitter struct {
	src        *RawSource
	emit       func(*RawBatch) error
	batchRows  int
	BatchBytes int // default 4 MiB, like the Decoder's

	buf, obuf *memory.Buffer
	data      []byte  // buf's bytes in use: whole rows, then a partial one
	offs      []int32 // starts of the whole rows in data
	end       int     // end of the last whole row in data
	header    []byte  // the header while it is incomplete
	headDone  bool
	trailer   bool
	Row       int64 // rows split so far
}

// NewSplitter returns a Splitter for rows of src that calls emit with each
// batch (emit owns it).
func NewSplitter(src *RawSource, batchRows int, emit func(*RawBatch) error) *Splitter {
	if batchRows <= 0 {
		batchRows = 65536
	}
	return &Splitter{src: src, emit: emit, batchRows: batchRows, BatchBytes: 4 << 20}
}

// Write takes the next bytes of the stream.
func (s *Splitter) Write(p []byte) (int, error) {
	n := len(p)
	if !s.headDone {
		s.header = append(s.header, p...)
		if len(s.header) < 19 {
			return n, nil
		}
		if string(s.header[:11]) != string(Signature) {
			return 0, errors.New("pgcopy: not a binary COPY stream")
		}
		ext := int(binary.BigEndian.Uint32(s.header[15:19]))
		if ext < 0 || len(s.header)-19 < ext {
			return n, nil
		}
		p, s.header, s.headDone = s.header[19+ext:], nil, true
	}
	if len(p) == 0 {
		return n, nil
	}
	if s.trailer {
		return 0, errors.New("pgcopy: data after the COPY trailer")
	}
	s.append(p)
	if err := s.scan(); err != nil {
		return 0, err
	}
	return n, nil
}

// append adds p to the current buffer, growing it (which copies) when needed.
func (s *Splitter) append(p []byte) {
	if s.buf == nil {
		s.newBuf(len(p))
	}
	if cap(s.data)-len(s.data) < len(p) {
		need := len(s.data) + len(p)
		s.buf.Reserve(max(need, 2*cap(s.data)))
		s.data = s.buf.Buf()[:len(s.data)]
	}
	s.data = append(s.data, p...)
}

func (s *Splitter) newBuf(atLeast int) {
	mem := s.src.Pool
	if mem == nil {
		mem = s.src.Mem
	}
	s.buf = memory.NewResizableBuffer(mem)
	s.buf.Reserve(max(atLeast, s.BatchBytes+s.BatchBytes/8))
	s.data = s.buf.Buf()[:0]
	s.obuf = memory.NewResizableBuffer(mem)
	s.obuf.Reserve(4 * (s.batchRows + 1))
	s.offs = arrow.Int32Traits.CastFromBytes(s.obuf.Buf())[:0]
	s.end = 0
}

// scan finds the whole rows after s.end and emits full batches.
func (s *Splitter) scan() error {
	nf := s.src.Schema.NumFields()
	data := s.data
	for off := s.end; off < len(data); {
		if len(data)-off < 2 {
			return nil
		}
		cnt := int(int16(binary.BigEndian.Uint16(data[off:])))
		if cnt == -1 {
			if off+2 != len(data) {
				return errors.New("pgcopy: data after the COPY trailer")
			}
			s.trailer = true
			s.data = data[:off] // the trailer is not a row
			return nil
		}
		if cnt != nf {
			return fmt.Errorf("pgcopy: row %d has %d fields, want %d", s.Row+1, cnt, nf)
		}
		// each field: a length (-1 for NULL) and that many bytes; p may
		// pass the end only by a value's length, which the next field's
		// check (or the one after the loop) catches
		p, n := off+2, len(data)
		for i := 0; i < nf; i++ {
			if p > n-4 {
				return nil
			}
			l := int32(binary.BigEndian.Uint32(data[p : p+4]))
			p += 4
			if l > 0 {
				p += int(l)
			} else if l < -1 {
				return fmt.Errorf("pgcopy: row %d: field %d has length %d", s.Row+1, i+1, l)
			}
		}
		if p > n {
			return nil
		}
		s.offs = append(s.offs, int32(off))
		s.Row++
		off, s.end = p, p
		if len(s.offs) >= s.batchRows || s.end >= s.BatchBytes {
			if err := s.flush(); err != nil {
				return err
			}
			data, off = s.data, 0
		}
	}
	return nil
}

// flush emits the whole rows and moves a partial row to a new buffer.
func (s *Splitter) flush() error {
	if len(s.offs) == 0 {
		return nil
	}
	rest := s.data[s.end:]
	s.offs = append(s.offs, int32(s.end))
	b := &RawBatch{src: s.src, buf: s.buf, obuf: s.obuf, data: s.data[:s.end], offs: s.offs}
	b.refs.Store(1)
	s.buf = nil
	if len(rest) > 0 || !s.trailer {
		s.newBuf(len(rest))
		s.data = append(s.data, rest...)
	} else {
		s.data, s.offs = nil, nil
	}
	return s.emit(b)
}

// Flush emits the rows not yet emitted and checks the stream ended cleanly.
func (s *Splitter) Flush() error {
	if !s.trailer || s.end != len(s.data) {
		return errors.New("pgcopy: truncated COPY stream")
	}
	return s.flush()
}

// Release frees the buffers of rows not emitted (after a failed stream).
func (s *Splitter) Release() {
	if s.buf != nil {
		s.buf.Release()
		s.obuf.Release()
		s.buf, s.obuf, s.data, s.offs = nil, nil, nil, nil
	}
}
