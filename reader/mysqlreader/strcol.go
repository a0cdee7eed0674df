package mysqlreader

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// strCol builds one variable-width column (utf8, binary, or the utf8
// storage of JSON) of a batch straight in its Arrow buffers: offsets and
// bytes, and a validity bitmap from the first NULL on. It does what an
// array.BinaryBuilder does without its per-value checks and indirect calls.
type strCol struct {
	mem memory.Allocator
	typ arrow.DataType      // the storage type: utf8 or binary
	ext arrow.ExtensionType // the column's type when it is an extension (JSON)

	offs, data, valid *memory.Buffer // nil between batches until reserved
	o                 []int32        // offs' capacity as offsets
	d                 []byte         // data's capacity
	v                 []byte         // valid's capacity; nil while there is no NULL
	n, nulls          int
}

func newStrCol(mem memory.Allocator, t arrow.DataType) *strCol {
	c := &strCol{mem: mem, typ: t}
	if et, ok := t.(arrow.ExtensionType); ok {
		c.ext, c.typ = et, et.StorageType()
	}
	return c
}

// reserve makes room for rows values of bytes bytes in all.
func (c *strCol) reserve(rows, bytes int) {
	if c.offs == nil {
		c.offs = memory.NewResizableBuffer(c.mem)
		c.data = memory.NewResizableBuffer(c.mem)
	}
	c.offs.Reserve((rows + 1) * 4)
	c.o = arrow.Int32Traits.CastFromBytes(c.offs.Buf())
	c.o[0] = 0
	c.data.Reserve(max(bytes, 64))
	c.d = c.data.Buf()
	if c.v != nil {
		c.valid.Reserve(int(bitutil.BytesForBits(int64(len(c.o)))))
		c.v = c.valid.Buf()
	}
}

// growOffsets makes room for one more offset.
func (c *strCol) growOffsets() {
	if c.offs == nil {
		c.reserve(64, 4096)
		return
	}
	c.reserve(len(c.o)*2, len(c.d))
}

// growData makes room for end bytes.
func (c *strCol) growData(end int) error {
	if end > math.MaxInt32 {
		return fmt.Errorf("the batch's values of this column pass 2 GiB (set a smaller batchRows)")
	}
	c.data.Reserve(max(end, 2*len(c.d)))
	c.d = c.data.Buf()
	return nil
}

// append appends one non-NULL value.
func (c *strCol) append(b []byte) error {
	if c.n+2 > len(c.o) {
		c.growOffsets()
	}
	start := int(c.o[c.n])
	end := start + len(b)
	if end > len(c.d) {
		if err := c.growData(end); err != nil {
			return err
		}
	}
	copy(c.d[start:], b)
	if c.v != nil {
		bitutil.SetBit(c.v, c.n)
	}
	c.n++
	c.o[c.n] = int32(end)
	return nil
}

// appendNull appends a NULL.
func (c *strCol) appendNull() {
	if c.n+2 > len(c.o) {
		c.growOffsets()
	}
	if c.v == nil {
		// The first NULL of the batch: the values so far are valid.
		if c.valid == nil {
			c.valid = memory.NewResizableBuffer(c.mem)
		}
		c.valid.Reserve(int(bitutil.BytesForBits(int64(len(c.o)))))
		c.v = c.valid.Buf()
		bitutil.SetBitsTo(c.v, 0, int64(c.n), true)
	}
	bitutil.ClearBit(c.v, c.n)
	c.nulls++
	c.n++
	c.o[c.n] = c.o[c.n-1]
}

// len returns the values appended to the batch.
func (c *strCol) len() int { return c.n }

// newArray returns the batch's values as an array and starts the next
// batch (reserve it first).
func (c *strCol) newArray() arrow.Array {
	if c.offs == nil {
		c.reserve(0, 0)
	}
	c.offs.ResizeNoShrink((c.n + 1) * 4)
	c.data.ResizeNoShrink(int(c.o[c.n]))
	var valid *memory.Buffer
	if c.v != nil {
		c.valid.ResizeNoShrink(int(bitutil.BytesForBits(int64(c.n))))
		valid = c.valid
	}
	data := array.NewData(c.typ, c.n, []*memory.Buffer{valid, c.offs, c.data}, nil, c.nulls, 0)
	c.release()
	arr := array.MakeFromData(data)
	data.Release()
	if c.ext == nil {
		return arr
	}
	ea := array.NewExtensionArrayWithStorage(c.ext, arr)
	arr.Release()
	return ea
}

// release drops the batch's buffers (NewData holds its own references).
func (c *strCol) release() {
	for _, b := range []*memory.Buffer{c.offs, c.data, c.valid} {
		if b != nil {
			b.Release()
		}
	}
	c.offs, c.data, c.valid = nil, nil, nil
	c.o, c.d, c.v = nil, nil, nil
	c.n, c.nulls = 0, 0
}
