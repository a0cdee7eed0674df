package shardreader

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
)

// recordReader adds the source columns to a shard's batches.
type recordReader struct {
	r    *Reader
	sh   Shard
	in   array.RecordReader
	sem  chan struct{}
	cur  arrow.RecordBatch
	refs atomic.Int64
	done bool
}

var (
	_ array.RecordReader  = (*recordReader)(nil)
	_ ferry.DirtyReporter = (*recordReader)(nil)
)

func newRecordReader(r *Reader, sh Shard, in array.RecordReader, sem chan struct{}) *recordReader {
	rr := &recordReader{r: r, sh: sh, in: in, sem: sem}
	rr.refs.Store(1)
	return rr
}

func (rr *recordReader) Schema() *arrow.Schema { return rr.r.schema }

func (rr *recordReader) Next() bool {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if !rr.in.Next() {
		return false
	}
	b := rr.in.RecordBatch()
	if len(rr.r.opts.SourceColumns) == 0 {
		b.Retain()
		rr.cur = array.NewRecordBatch(rr.r.schema, b.Columns(), b.NumRows())
		b.Release()
		return true
	}
	n := int(b.NumRows())
	cols := append([]arrow.Array(nil), b.Columns()...)
	var extra []arrow.Array
	for _, c := range rr.r.opts.SourceColumns {
		a := constant(rr.r, rr.sh.Values[c], n)
		extra = append(extra, a)
		cols = append(cols, a)
	}
	rr.cur = array.NewRecordBatch(rr.r.schema, cols, b.NumRows())
	for _, a := range extra {
		a.Release()
	}
	return true
}

// constant returns a utf8 array of n copies of v.
func constant(r *Reader, v string, n int) arrow.Array {
	bld := array.NewStringBuilder(r.opts.Allocator)
	defer bld.Release()
	bld.Reserve(n)
	bld.ReserveData(n * len(v))
	for range n {
		bld.Append(v)
	}
	return bld.NewArray()
}

func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (rr *recordReader) Record() arrow.RecordBatch { return rr.cur }

func (rr *recordReader) Err() error {
	if err := rr.in.Err(); err != nil {
		return err
	}
	return nil
}

// TakeDirty passes on the shard reader's dirty rows.
func (rr *recordReader) TakeDirty() []dirty.RowError {
	if dr, ok := rr.in.(ferry.DirtyReporter); ok {
		return dr.TakeDirty()
	}
	return nil
}

func (rr *recordReader) Retain() { rr.refs.Add(1) }

func (rr *recordReader) Release() {
	if rr.refs.Add(-1) != 0 || rr.done {
		return
	}
	rr.done = true
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	rr.in.Release()
	if rr.sem != nil {
		<-rr.sem
	}
}
