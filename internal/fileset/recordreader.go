package fileset

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/dirty"
)

// FillFunc appends up to max rows to b. It returns how many rows it
// appended, the rows it skipped as dirty, and done when the source has no
// more rows. An error ends the reading.
type FillFunc func(ctx context.Context, b *array.RecordBuilder, max int) (n int, bad []dirty.RowError, done bool, err error)

// RecordReader is an array.RecordReader over a FillFunc that also
// implements ferry.DirtyReporter. Each batch is valid until the next Next.
type RecordReader struct {
	refs    atomic.Int64
	schema  *arrow.Schema
	ctx     context.Context
	b       *array.RecordBuilder
	fill    FillFunc
	max     int
	closeFn func() error
	prefix  string

	cur   arrow.RecordBatch
	dirty []dirty.RowError
	done  bool
	err   error
}

// NewRecordReader returns a RecordReader of batches of at most batchRows
// rows of schema filled by fill. closeFn (may be nil) is called once at the
// last Release or at the end. prefix (the package name and file) prefixes errors.
func NewRecordReader(ctx context.Context, mem memory.Allocator, schema *arrow.Schema, batchRows int, fill FillFunc, closeFn func() error, prefix string) *RecordReader {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	r := &RecordReader{schema: schema, ctx: ctx, b: array.NewRecordBuilder(mem, schema), fill: fill, max: batchRows, closeFn: closeFn, prefix: prefix}
	r.refs.Store(1)
	return r
}

// Schema returns the schema of the batches.
func (r *RecordReader) Schema() *arrow.Schema { return r.schema }

// Next makes the next batch current; it returns false at the end or on error.
func (r *RecordReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for !r.done && r.err == nil {
		if err := r.ctx.Err(); err != nil {
			r.fail(fmt.Errorf("%s: %w", r.prefix, err))
			return false
		}
		n, bad, done, err := r.fill(r.ctx, r.b, r.max)
		r.dirty = append(r.dirty, bad...)
		if err != nil {
			r.fail(err)
			return false
		}
		r.done = done
		if n > 0 {
			r.cur = r.b.NewRecordBatch()
			if r.done {
				r.close()
			} else {
				reserveLike(r.b, r.cur, r.max)
			}
			return true
		}
	}
	r.close()
	return false
}

func (r *RecordReader) fail(err error) {
	r.err = err
	r.done = true
	r.close()
}

func (r *RecordReader) close() {
	if r.closeFn != nil {
		if err := r.closeFn(); err != nil && r.err == nil {
			r.err = fmt.Errorf("%s: close: %w", r.prefix, err)
		}
		r.closeFn = nil
	}
}

// RecordBatch returns the current batch.
func (r *RecordReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current batch (deprecated alias of RecordBatch).
func (r *RecordReader) Record() arrow.RecordBatch { return r.cur }

// Err returns the error that ended the reading, if any.
func (r *RecordReader) Err() error { return r.err }

// TakeDirty returns the rows skipped since the last call.
func (r *RecordReader) TakeDirty() []dirty.RowError {
	d := r.dirty
	r.dirty = nil
	return d
}

// Retain adds a reference.
func (r *RecordReader) Retain() { r.refs.Add(1) }

// Release drops a reference; the last one frees everything.
func (r *RecordReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.b.Release()
	r.close()
}

var _ array.RecordReader = (*RecordReader)(nil)

// reserveLike reserves in b's (emptied) builders the rows and value bytes
// of the batch just built, so that the next batch, most likely of the same
// size, does not grow its buffers from empty by doubling and copying.
//
// An eighth more is reserved (rows: up to most): batches cut at a byte limit vary a little,
// and a batch only slightly larger than the last would otherwise grow a
// buffer by doubling (a copy, and twice the memory) near its end.
func reserveLike(b *array.RecordBuilder, last arrow.RecordBatch, most int) {
	n := int(last.NumRows())
	n = min(n+n/8, max(most, n))
	for i, col := range last.Columns() {
		fb := b.Field(i)
		fb.Reserve(n)
		if eb, ok := fb.(*array.ExtensionBuilder); ok {
			fb = eb.StorageBuilder()
			if ea, ok := col.(array.ExtensionArray); ok {
				col = ea.Storage()
			}
		}
		switch fb := fb.(type) {
		case *array.StringBuilder:
			if c, ok := col.(*array.String); ok {
				fb.ReserveData(len(c.ValueBytes()) + len(c.ValueBytes())/8)
			}
		case *array.BinaryBuilder:
			if c, ok := col.(*array.Binary); ok {
				fb.ReserveData(len(c.ValueBytes()) + len(c.ValueBytes())/8)
			}
		case *array.LargeStringBuilder:
			if c, ok := col.(*array.LargeString); ok {
				fb.ReserveData(len(c.ValueBytes()) + len(c.ValueBytes())/8)
			}
		}
	}
}

// ReserveAhead reserves in b, which holds the first rows (> 0) of a
// batch, room for more rows like them: more values in every column, and
// in text and binary columns more/rows times the bytes they hold. A
// FillFunc calls it early in a reader's first batch (later ones are
// reserved like the batch before them), so that the batch does not grow
// its buffers by doubling and copying from empty.
func ReserveAhead(b *array.RecordBuilder, rows, more int) {
	if rows <= 0 || more <= 0 {
		return
	}
	for _, fb := range b.Fields() {
		fb.Reserve(more)
		if eb, ok := fb.(*array.ExtensionBuilder); ok {
			fb = eb.StorageBuilder()
		}
		if tb, ok := fb.(interface {
			DataLen() int
			ReserveData(int)
		}); ok {
			tb.ReserveData(int(int64(tb.DataLen()) * int64(more) / int64(rows)))
		}
	}
}
