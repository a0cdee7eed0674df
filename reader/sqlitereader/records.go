package sqlitereader

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/sqlitelib"
)

// maxPendingDirty is how many dirty rows Next collects before it returns
// (a batch that may be empty), so that the caller drains them.
const maxPendingDirty = 1024

// maxBatchBytes ends a batch early once its estimated Arrow size (the
// fixed-width values plus the text and blob data) reaches it: with wide
// rows, BatchRows rows would make batches of tens of MB, and the Pipeline
// keeps Concurrency × (InFlight + 2) of them alive, which was most of the
// Go heap of a SQLite copy.
const maxBatchBytes = 8 << 20

// firstBatchRows caps the first batch of a split; each next batch may have
// four times as many rows, up to BatchRows. The writer of a run waits for
// the first batch: a full one (~30,000 rows of the bench table, 8 MiB)
// took ~40 ms to read, 4096 rows take a few.
const firstBatchRows = 4096

// recordReader turns the rows of one split into batches. Values that do not
// fit their column's declared type make the row dirty: it is skipped and
// reported through TakeDirty.
type recordReader struct {
	refs    atomic.Int64
	ctx     context.Context
	r       *Reader
	split   string
	conn    *sqlitelib.Conn
	rows    *sqlitelib.Rows
	withKey bool

	bld   *array.RecordBuilder
	cols  []*column
	cur   arrow.RecordBatch
	err   error
	done  bool
	pos   int64
	dirty []dirty.RowError
	// limit caps the rows of the next batch (firstBatchRows, growing to
	// BatchRows).
	limit int
	// rows, estimated size (batchBytes) and dataBytes of the previous
	// batch, to size the builders.
	lastRows  int
	lastBytes int
	dataBytes []int
	// rowBytes is the fixed-width size of a row (validity bits aside), for
	// maxBatchBytes; data is the builder of each text or blob column's
	// bytes (nil for the others).
	rowBytes int
	data     []dataBuilder
}

// dataBuilder is what StringBuilder and BinaryBuilder have for their data
// buffer.
type dataBuilder interface {
	DataLen() int
	ReserveData(int)
}

var (
	_ array.RecordReader  = (*recordReader)(nil)
	_ ferry.DirtyReporter = (*recordReader)(nil)
)

func newRecordReader(ctx context.Context, r *Reader, split string, conn *sqlitelib.Conn, rows *sqlitelib.Rows, withKey bool) *recordReader {
	rr := &recordReader{ctx: ctx, r: r, split: split, conn: conn, rows: rows, withKey: withKey}
	rr.refs.Store(1)
	rr.limit = min(r.cfg.BatchRows, firstBatchRows)
	rr.bld = array.NewRecordBuilder(r.mem, r.schema)
	rr.dataBytes = make([]int, len(r.cols))
	rr.data = make([]dataBuilder, len(r.cols))
	rr.cols = make([]*column, len(r.cols))
	for i, c := range r.cols {
		rr.cols[i] = newColumn(c.name, c.typ, c.kind)
		rr.cols[i].bld = rr.bld.Field(i)
		rr.rowBytes += fixedWidth(c.typ)
		b := rr.bld.Field(i)
		if eb, ok := b.(*array.ExtensionBuilder); ok {
			b = eb.Builder // JSON: a StringBuilder
		}
		if db, ok := b.(dataBuilder); ok {
			rr.data[i] = db
		}
	}
	return rr
}

// fixedWidth is the bytes per value of t in Arrow's buffers, not counting
// the data of text and blobs (their offsets count) or list elements.
func fixedWidth(t arrow.DataType) int {
	switch t := t.(type) {
	case arrow.FixedWidthDataType:
		return max(t.BitWidth()/8, 1)
	case arrow.ExtensionType:
		return fixedWidth(t.StorageType())
	case *arrow.FixedSizeListType:
		return int(t.Len()) * fixedWidth(t.Elem())
	}
	return 4 // offsets
}

// batchBytes is the estimated size of the n rows in the builders.
func (rr *recordReader) batchBytes(n int) int {
	b := n * rr.rowBytes
	for _, d := range rr.data {
		if d != nil {
			b += d.DataLen()
		}
	}
	return b
}

// Schema returns the reader's schema.
func (rr *recordReader) Schema() *arrow.Schema { return rr.r.schema }

// Retain adds a reference.
func (rr *recordReader) Retain() { rr.refs.Add(1) }

// Release drops a reference; the last one releases the current batch and
// closes the split's rows and connection.
func (rr *recordReader) Release() {
	if rr.refs.Add(-1) != 0 {
		return
	}
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	rr.bld.Release()
	rr.closeRows()
}

func (rr *recordReader) closeRows() {
	if rr.rows != nil {
		rr.rows.Close()
		rr.rows = nil
	}
	if rr.conn != nil {
		rr.conn.Close()
		rr.conn = nil
	}
}

// Next reads the next batch of at most BatchRows good rows (fewer for the
// first batches, see firstBatchRows), ended early at about maxBatchBytes.
func (rr *recordReader) Next() bool {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if rr.done {
		return false
	}
	off := 0
	if rr.withKey {
		off = 1
	}
	rr.reserve()
	n := 0
	limit := rr.limit
	rr.limit = min(rr.r.cfg.BatchRows, 4*rr.limit)
	for n < limit {
		if rr.pos&1023 == 0 {
			if err := rr.ctx.Err(); err != nil {
				rr.fail(fmt.Errorf("sqlitereader: read %s: %w", rr.split, err))
				break
			}
		}
		more, err := rr.rows.Step()
		if err == nil && !more {
			rr.done = true
			rr.closeRows()
			break
		}
		if err != nil {
			if cerr := rr.ctx.Err(); cerr != nil {
				err = fmt.Errorf("%w (%v)", cerr, err)
			}
			rr.fail(fmt.Errorf("sqlitereader: %s: read %s: %w", rr.r.cfg.Path, rr.split, err))
			break
		}
		rr.pos++
		if rr.decode(off) {
			n++
			if n&255 == 0 && rr.batchBytes(n) >= maxBatchBytes {
				break
			}
		} else if len(rr.dirty) >= maxPendingDirty {
			// Hand the dirty rows over (with the rows so far, maybe none)
			// rather than piling them up: the policy may stop the run.
			break
		}
	}
	if n == 0 && len(rr.dirty) < maxPendingDirty {
		return false
	}
	rr.lastRows, rr.lastBytes = n, rr.batchBytes(n)
	for i, d := range rr.data {
		if d != nil {
			rr.dataBytes[i] = d.DataLen()
		}
	}
	rr.cur = rr.bld.NewRecordBatch()
	return true
}

// reserve sizes the builders for the rows the batch may have (its row cap,
// or as many as fit maxBatchBytes at the previous batch's bytes per row,
// plus the 256 rows a batch may run past it; 1024 rows for the first), and
// each text or blob column's data for as many rows at the previous batch's
// bytes per row, so that they do not grow value by value (a builder
// outgrowing its reservation doubles, copying and zeroing).
func (rr *recordReader) reserve() {
	if rr.lastRows == 0 {
		rr.bld.Reserve(min(rr.limit, 1024))
		return
	}
	rows := rr.limit
	if rr.lastBytes > 0 {
		rows = min(rows, int(int64(rr.lastRows)*maxBatchBytes/int64(rr.lastBytes))+256)
	}
	rr.bld.Reserve(rows)
	for i, d := range rr.data {
		if d != nil && rr.dataBytes[i] > 0 {
			n := int(int64(rr.dataBytes[i]) * int64(rows) / int64(rr.lastRows))
			d.ReserveData(n + n/8)
		}
	}
}

func (rr *recordReader) fail(err error) {
	rr.err = err
	rr.done = true
	rr.closeRows()
}

// decode appends the current row, or records it as dirty. Values are read
// by their storage class, without boxing; text and blobs are views into
// SQLite's memory until add copies them into the builders.
func (rr *recordReader) decode(off int) bool {
	rows := rr.rows
	for i, c := range rr.cols {
		var err error
		switch v := rows.Column(off + i); v.Type() {
		case sqlitelib.Null:
			c.null = true
		case sqlitelib.Integer:
			err = c.fromInt64(v.Int64())
		case sqlitelib.Float:
			err = c.fromFloat(v.Double())
		case sqlitelib.Text:
			err = c.fromText(v.TextView())
		default:
			err = c.fromBlob(v.BlobView())
		}
		if err != nil {
			c.s, c.bs = "", nil // views into SQLite's memory
			v := rr.value(off + i)
			row := rr.pos - 1
			if rr.withKey && rows.Type(0) == sqlitelib.Integer {
				row = rows.Int64(0)
			}
			ci := rr.r.cols[i]
			rr.dirty = append(rr.dirty, dirty.RowError{
				Row:    row,
				Column: c.name,
				Value:  v,
				Err:    fmt.Errorf("sqlitereader: %s column %s declared %q: %w", rr.r.name, c.name, ci.decl, err),
			})
			return false
		}
	}
	for _, c := range rr.cols {
		c.add()
	}
	return true
}

// value is a copy of column j of the current row, for a dirty-row report.
func (rr *recordReader) value(j int) any {
	switch rr.rows.Type(j) {
	case sqlitelib.Integer:
		return rr.rows.Int64(j)
	case sqlitelib.Float:
		return rr.rows.Double(j)
	case sqlitelib.Text:
		return strings.Clone(rr.rows.TextView(j))
	case sqlitelib.Blob:
		return bytes.Clone(rr.rows.BlobView(j))
	}
	return nil
}

// RecordBatch returns the current batch, valid until the next call to Next.
func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (rr *recordReader) Record() arrow.RecordBatch { return rr.cur }

// Err returns the error that stopped the reader, if any.
func (rr *recordReader) Err() error { return rr.err }

// TakeDirty returns the rows skipped since the last call: values that do not
// fit their column's declared type. Row is the row's rowid (or its split
// key), or its position in the split when the split has no key.
func (rr *recordReader) TakeDirty() []dirty.RowError {
	d := rr.dirty
	rr.dirty = nil
	return d
}
