package transform

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
)

// Options are the settings every transform of this package shares. The zero
// Options (and a nil *Options) means the defaults.
type Options struct {
	// Allocator allocates the arrays a transform builds; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
}

func (o *Options) mem() memory.Allocator {
	if o == nil || o.Allocator == nil {
		return memory.DefaultAllocator
	}
	return o.Allocator
}

// binding caches what a transform derives from its input schema (the output
// schema, column indexes, compiled programs), so that Transform does not
// rebuild it per batch. Transform may be called from several goroutines; the
// cache is one atomic pointer, and a batch of another schema rebinds.
type binding[P any] struct {
	cur  atomic.Pointer[bound[P]]
	bind func(in *arrow.Schema) (*P, error)
}

type bound[P any] struct {
	in *arrow.Schema
	p  *P
}

// get returns the plan for in, building it on first use.
func (b *binding[P]) get(in *arrow.Schema) (*P, error) {
	if c := b.cur.Load(); c != nil && (c.in == in || c.in.Equal(in)) {
		return c.p, nil
	}
	p, err := b.bind(in)
	if err != nil {
		return nil, err
	}
	b.cur.Store(&bound[P]{in: in, p: p})
	return p, nil
}

// output returns the output schema of the plan for in.
func (b *binding[P]) output(in *arrow.Schema, out func(*P) *arrow.Schema) (*arrow.Schema, error) {
	p, err := b.get(in)
	if err != nil {
		return nil, err
	}
	return out(p), nil
}

// rowErrs collects the dirty rows of one batch, one error per row (the
// first), so that the engine counts each bad row once.
type rowErrs struct {
	bad  []bool
	rows []dirty.RowError
}

func (r *rowErrs) add(n, row int, col string, val any, err error) {
	if r.bad == nil {
		r.bad = make([]bool, n)
	}
	if r.bad[row] {
		return
	}
	r.bad[row] = true
	r.rows = append(r.rows, dirty.RowError{Row: int64(row), Column: col, Value: val, Err: err})
}

func (r *rowErrs) isBad(row int) bool { return r.bad != nil && r.bad[row] }

// err returns the collected rows as a *dirty.RowErrors sorted by row, or nil.
func (r *rowErrs) err() error {
	if len(r.rows) == 0 {
		return nil
	}
	sort.SliceStable(r.rows, func(i, j int) bool { return r.rows[i].Row < r.rows[j].Row })
	return &dirty.RowErrors{Rows: r.rows}
}

// finish assembles the output batch from cols (owned by the caller) and
// drops the dirty rows of errs, returning the batch and errs.err().
func finish(ctx context.Context, mem memory.Allocator, out *arrow.Schema, cols []arrow.Array, n int, errs *rowErrs) (arrow.RecordBatch, error) {
	rec := array.NewRecordBatch(out, cols, int64(n))
	if errs == nil || len(errs.rows) == 0 {
		return rec, nil
	}
	defer rec.Release()
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = !errs.bad[i]
	}
	sel, err := selectRows(ctx, mem, rec, keep)
	if err != nil {
		return nil, err
	}
	return sel, errs.err()
}

// selectRows returns the rows of rec whose keep flag is set, in order. When
// every row is kept it returns rec itself, retained.
func selectRows(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, keep []bool) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	if kept == n {
		rec.Retain()
		return rec, nil
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	if kept == 0 {
		for i, c := range rec.Columns() {
			cols[i] = array.NewSlice(c, 0, 0)
		}
		return array.NewRecordBatch(rec.Schema(), cols, 0), nil
	}
	var mask arrow.Array
	defer func() {
		if mask != nil {
			mask.Release()
		}
	}()
	for i, c := range rec.Columns() {
		var err error
		if cols[i], err = filterArray(ctx, mem, c, keep, kept, &mask); err != nil {
			return nil, fmt.Errorf("transform: select rows of column %s: %w", rec.Schema().Field(i).Name, err)
		}
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(kept)), nil
}

// computeFilters reports whether Arrow's filter kernel handles dt; the
// others (extension types, nested types, decimal256, intervals) are
// selected by slicing runs of kept rows and concatenating them. Booleans
// are not given to the kernel: in arrow-go v18.8.0 it turns every value
// after the first NULL of a boolean array into NULL (TestFiltersKeepEveryType).
func computeFilters(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION,
		arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.DECIMAL128:
		return true
	}
	return false
}

// filterArray returns the kept values of c. mask is the keep flags as a
// boolean array, made on first use.
func filterArray(ctx context.Context, mem memory.Allocator, c arrow.Array, keep []bool, kept int, mask *arrow.Array) (arrow.Array, error) {
	switch a := c.(type) {
	case *array.Boolean:
		return filterBools(mem, a, keep, kept), nil
	case *array.FixedSizeBinary:
		return filterFixed(mem, a, keep, kept), nil
	case *array.String:
		return filterStrings(mem, a, keep, kept), nil
	case array.ExtensionArray:
		st, err := filterArray(ctx, mem, a.Storage(), keep, kept, mask)
		if err != nil {
			return nil, err
		}
		defer st.Release()
		return array.NewExtensionArrayWithStorage(a.ExtensionType(), st), nil
	}
	if computeFilters(c.DataType()) {
		if *mask == nil {
			*mask = boolMask(mem, keep)
		}
		return compute.FilterArray(compute.WithAllocator(ctx, mem), c, *mask, *compute.DefaultFilterOptions())
	}
	return takeRuns(mem, c, keep)
}

// filterLoop appends the kept values of a to bld (put appends value i)
// and returns the new array.
func filterLoop(bld array.Builder, a arrow.Array, keep []bool, kept int, put func(i int)) arrow.Array {
	defer bld.Release()
	bld.Reserve(kept)
	for i, k := range keep {
		switch {
		case !k:
		case a.IsNull(i):
			bld.AppendNull()
		default:
			put(i)
		}
	}
	return bld.NewArray()
}

// filterStrings selects the kept values of a utf8 array, writing the
// offsets, data and validity buffers directly (Arrow's kernel and builders
// grow and clear them value by value).
func filterStrings(mem memory.Allocator, a *array.String, keep []bool, kept int) arrow.Array {
	offs, data := a.ValueOffsets(), a.ValueBytes()
	base := offs[0]
	total := 0
	for i, k := range keep {
		if k && a.IsValid(i) {
			total += int(offs[i+1] - offs[i])
		}
	}
	ob := memory.NewResizableBuffer(mem)
	ob.Resize((kept + 1) * arrow.Int32SizeBytes)
	db := memory.NewResizableBuffer(mem)
	db.Resize(total)
	var vb *memory.Buffer
	var bits []byte
	if a.NullN() > 0 {
		vb = memory.NewResizableBuffer(mem)
		vb.Resize(int(bitutil.BytesForBits(int64(kept))))
		bits = vb.Bytes()
		clear(bits)
	}
	o := arrow.Int32Traits.CastFromBytes(ob.Bytes())
	d := db.Bytes()
	k, pos, nulls := 0, int32(0), 0
	for i, keepIt := range keep {
		if !keepIt {
			continue
		}
		o[k] = pos
		switch {
		case a.IsNull(i):
			nulls++
		default:
			if bits != nil {
				bitutil.SetBit(bits, k)
			}
			pos += int32(copy(d[pos:], data[offs[i]-base:offs[i+1]-base]))
		}
		k++
	}
	o[kept] = pos
	buffers := []*memory.Buffer{vb, ob, db}
	out := array.NewData(arrow.BinaryTypes.String, kept, buffers, nil, nulls, 0)
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	defer out.Release()
	return array.MakeFromData(out)
}

// filterFixed selects the kept values of a fixed-size binary array (UUIDs).
func filterFixed(mem memory.Allocator, a *array.FixedSizeBinary, keep []bool, kept int) arrow.Array {
	b := array.NewFixedSizeBinaryBuilder(mem, a.DataType().(*arrow.FixedSizeBinaryType))
	return filterLoop(b, a, keep, kept, func(i int) { b.Append(a.Value(i)) })
}

// filterBools selects the kept values of a boolean array.
func filterBools(mem memory.Allocator, a *array.Boolean, keep []bool, kept int) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	return filterLoop(b, a, keep, kept, func(i int) { b.UnsafeAppend(a.Value(i)) })
}

func boolMask(mem memory.Allocator, keep []bool) arrow.Array {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(len(keep)))))
	bits := buf.Bytes()
	for i, k := range keep {
		bitutil.SetBitTo(bits, i, k)
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, len(keep), []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// takeRuns selects the kept rows of c by concatenating slices of its runs of
// kept rows; it works for every type.
func takeRuns(mem memory.Allocator, c arrow.Array, keep []bool) (arrow.Array, error) {
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		j := i
		for j < len(keep) && keep[j] {
			j++
		}
		parts = append(parts, array.NewSlice(c, int64(i), int64(j)))
		i = j
	}
	if len(parts) == 1 {
		parts[0].Retain()
		return parts[0], nil
	}
	return array.Concatenate(parts, mem)
}

// columnAt resolves a 0-based DataX columnIndex against in.
func columnAt(in *arrow.Schema, what string, idx int) (int, error) {
	if idx < 0 || idx >= in.NumFields() {
		return 0, fmt.Errorf("transform: %s: columnIndex %d out of range: the source has %d columns (%s)", what, idx, in.NumFields(), names(in))
	}
	return idx, nil
}

// columnNamed resolves a column name against in.
func columnNamed(in *arrow.Schema, what, name string) (int, error) {
	f := in.FieldIndices(name)
	if len(f) == 0 {
		return 0, fmt.Errorf("transform: %s: no column %q in the source (have %s)", what, name, names(in))
	}
	return f[0], nil
}

// replaceColumn returns in with field i replaced by f.
func replaceField(in *arrow.Schema, i int, f arrow.Field) *arrow.Schema {
	fields := in.Fields()
	fields[i] = f
	md := in.Metadata()
	return arrow.NewSchema(fields, &md)
}

// stringField is the utf8 field that replaces f when a transform rewrites
// its values as strings: nullable, without the source's type name, engine
// and length (the new values may not fit them).
func stringField(f arrow.Field) arrow.Field {
	return arrow.Field{Name: f.Name, Type: arrow.BinaryTypes.String, Nullable: true, Metadata: withoutSourceType(f.Metadata)}
}

// withoutSourceType drops the source's type name, engine and length from field
// metadata, for a column whose type a transform changed (a writer creating
// the table must not take the old type); the other keys stay.
func withoutSourceType(md arrow.Metadata) arrow.Metadata {
	var keys, vals []string
	for i, k := range md.Keys() {
		if k == ferry.MetaSourceType || k == ferry.MetaSourceEngine || k == ferry.MetaCharLength {
			continue
		}
		keys = append(keys, k)
		vals = append(vals, md.Values()[i])
	}
	return arrow.NewMetadata(keys, vals)
}
