package job

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
)

// Projection is the Transformer of a job's Mapping: it picks, orders and
// renames the source columns, adds constants, and converts values whose
// type the destination needs differently: text into the destination's
// numbers, dates, timestamps (Java date patterns) and booleans, values into
// text columns, and constants into the destination column's type. A value
// that does not convert makes its row dirty; an empty text converted into a
// non-text column is NULL (DataX's emptyAsNull).
type Projection struct {
	m    Mapping
	dest *arrow.Schema
	mem  memory.Allocator

	out  *arrow.Schema
	cols []projCol
	// Resolved describes each output column, for plan output.
	Resolved []ResolvedColumn
}

var _ ferry.Transformer = (*Projection)(nil)

// ResolvedColumn is one destination column of a resolved mapping.
type ResolvedColumn struct {
	To         string `json:"to"`
	From       string `json:"from"` // the source column, or the constant as text
	SourceType string `json:"sourceType"`
	DestType   string `json:"destType"`
	Conversion string `json:"conversion,omitempty"`
}

type projCol struct {
	src      int // -1 for a constant
	field    arrow.Field
	parse    textParser // text (or the constant) into field.Type
	toText   bool
	constant *string // nil with src < 0: NULL
}

// NewProjection returns the Transformer of m. dest, when known, is the
// destination table's schema: mapped columns must exist in it and values
// are converted to its types. mem nil means memory.DefaultAllocator.
func NewProjection(m Mapping, dest *arrow.Schema, mem memory.Allocator) *Projection {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &Projection{m: m, dest: dest, mem: mem}
}

func (p *Projection) destField(name string) (arrow.Field, bool) {
	if p.dest == nil {
		return arrow.Field{}, false
	}
	for _, f := range p.dest.Fields() {
		if f.Name == name {
			return f, true
		}
	}
	for _, f := range p.dest.Fields() {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return arrow.Field{}, false
}

func fieldNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// OutputSchema resolves the mapping against the source schema in.
func (p *Projection) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	cols := p.m.Columns
	if len(cols) == 0 {
		for _, f := range in.Fields() {
			cols = append(cols, MapColumn{To: f.Name, From: f.Name})
		}
	}
	if p.m.Exact && in.NumFields() != len(cols) {
		return nil, fmt.Errorf("job: mapping by position: the source has %d columns (%s) and the destination list %d", in.NumFields(), fieldNames(in), len(cols))
	}
	p.cols, p.Resolved = nil, nil
	fields := make([]arrow.Field, 0, len(cols))
	for i, c := range cols {
		pc := projCol{src: -1}
		var srcType arrow.DataType
		from := ""
		switch {
		case c.From != "":
			idx := in.FieldIndices(c.From)
			if len(idx) == 0 {
				for k, f := range in.Fields() {
					if strings.EqualFold(f.Name, c.From) {
						idx = []int{k}
						break
					}
				}
			}
			if len(idx) == 0 {
				return nil, fmt.Errorf("job: mapping: the source has no column %q (it has %s)", c.From, fieldNames(in))
			}
			pc.src = idx[0]
		case c.Index != nil:
			if *c.Index >= in.NumFields() {
				return nil, fmt.Errorf("job: mapping: source column index %d, but the source has %d columns (%s)", *c.Index, in.NumFields(), fieldNames(in))
			}
			pc.src = *c.Index
		default:
			pc.constant = c.Value
		}
		to := c.To
		if pc.src >= 0 {
			f := in.Field(pc.src)
			srcType, from = f.Type, f.Name
			if to == "" {
				to = f.Name
			}
		} else {
			srcType = arrow.BinaryTypes.String
			from = "NULL"
			if c.Value != nil {
				from = "'" + *c.Value + "'"
			}
		}
		out := arrow.Field{Name: to, Type: srcType, Nullable: true}
		if pc.src >= 0 {
			out.Metadata = in.Field(pc.src).Metadata
		}
		explicit, err := parseConvType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("job: destination column %q: %w", to, err)
		}
		if explicit != nil {
			out.Type = explicit
			out.Metadata = arrow.Metadata{}
		}
		if df, ok := p.destField(to); ok {
			out.Type = df.Type
			out.Metadata = arrow.Metadata{}
		} else if p.dest != nil {
			return nil, fmt.Errorf("job: mapping: the destination has no column %q (it has %s)", to, fieldNames(p.dest))
		}
		conv := ""
		switch {
		case pc.src < 0:
			if c.Value != nil {
				parse, err := newTextParser(out.Type, c.Format)
				if err != nil && c.Format == "" {
					// A type Ferry does not parse (uuid, json, intervals):
					// the constant goes as text and the writer converts it.
					out.Type = arrow.BinaryTypes.String
					parse, err = newTextParser(out.Type, "")
				}
				if err != nil {
					return nil, fmt.Errorf("job: destination column %q: %w", to, err)
				}
				b := array.NewBuilder(p.mem, out.Type)
				err = parse(b, *c.Value)
				b.Release()
				if err != nil {
					return nil, fmt.Errorf("job: destination column %q: constant %w", to, err)
				}
				pc.parse = parse
				conv = "constant"
			} else {
				conv = "NULL"
			}
		case arrow.TypeEqual(srcType, out.Type):
		case isText(srcType) && srcType.ID() == arrow.STRING:
			parse, err := newTextParser(out.Type, c.Format)
			switch {
			case err != nil && c.Format == "":
				// Text into a type Ferry does not parse (uuid, json,
				// intervals): the writer converts it.
				out.Type, conv = srcType, "by the writer"
			case err != nil:
				return nil, fmt.Errorf("job: destination column %q: %w", to, err)
			default:
				pc.parse = parse
				conv = "parse text"
				if c.Format != "" {
					conv += " (" + c.Format + ")"
				}
			}
		case out.Type.ID() == arrow.STRING:
			pc.toText = true
			conv = "to text"
		case p.dest != nil && !convertible(srcType, out.Type):
			return nil, fmt.Errorf("job: mapping: source column %q is %s, which cannot be written into destination column %q (%s)", from, srcType, to, out.Type)
		default:
			// The writer converts between other types itself (widening
			// integers, zones of timestamps): keep the source value.
			if p.dest != nil {
				conv = "by the writer"
			}
			out.Type = srcType
		}
		pc.field = out
		fields = append(fields, out)
		p.cols = append(p.cols, pc)
		p.Resolved = append(p.Resolved, ResolvedColumn{To: to, From: from, SourceType: srcType.String(), DestType: out.Type.String(), Conversion: conv})
		_ = i
	}
	p.out = arrow.NewSchema(fields, nil)
	return p.out, nil
}

// Transform maps one batch.
func (p *Projection) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	if p.out == nil {
		if _, err := p.OutputSchema(b.Schema()); err != nil {
			return nil, err
		}
	}
	n := int(b.NumRows())
	arrs := make([]arrow.Array, len(p.cols))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	bad := map[int]dirty.RowError{}
	for k, c := range p.cols {
		switch {
		case c.src < 0:
			bld := array.NewBuilder(p.mem, c.field.Type)
			if c.constant == nil || c.parse == nil {
				bld.AppendNulls(n)
			} else {
				bld.Reserve(n)
				for i := 0; i < n; i++ {
					_ = c.parse(bld, *c.constant)
				}
			}
			arrs[k] = bld.NewArray()
			bld.Release()
		case c.parse != nil:
			col := b.Column(c.src).(*array.String)
			bld := array.NewBuilder(p.mem, c.field.Type)
			bld.Reserve(n)
			for i := 0; i < n; i++ {
				if col.IsNull(i) {
					bld.AppendNull()
					continue
				}
				s := col.Value(i)
				if s == "" && !isText(c.field.Type) {
					bld.AppendNull()
					continue
				}
				if err := c.parse(bld, s); err != nil {
					bld.AppendNull()
					if _, seen := bad[i]; !seen {
						bad[i] = dirty.RowError{Row: int64(i), Column: c.field.Name, Value: s, Err: fmt.Errorf("job: %w", err)}
					}
				}
			}
			arrs[k] = bld.NewArray()
			bld.Release()
		case c.toText:
			col := b.Column(c.src)
			bld := array.NewStringBuilder(p.mem)
			bld.Reserve(n)
			for i := 0; i < n; i++ {
				if col.IsNull(i) {
					bld.AppendNull()
				} else {
					bld.Append(formatText(col, i))
				}
			}
			arrs[k] = bld.NewArray()
			bld.Release()
		default:
			a := b.Column(c.src)
			a.Retain()
			arrs[k] = a
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	rec := array.NewRecordBatch(p.out, arrs, int64(n))
	if len(bad) == 0 {
		return rec, nil
	}
	defer rec.Release()
	keep := array.NewBooleanBuilder(p.mem)
	defer keep.Release()
	errs := &dirty.RowErrors{}
	for i := 0; i < n; i++ {
		e, isBad := bad[i]
		keep.Append(!isBad)
		if isBad {
			errs.Rows = append(errs.Rows, e)
		}
	}
	mask := keep.NewArray()
	defer mask.Release()
	filtered, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, p.mem), rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("job: drop dirty rows: %w", err)
	}
	return filtered, errs
}

// kind groups Arrow types whose values a writer converts between.
func kind(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return "number"
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return "time"
	case arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return "clock"
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return "text"
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY, arrow.BINARY_VIEW:
		return "binary"
	case arrow.BOOL:
		return "bool"
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST:
		return "list"
	case arrow.EXTENSION:
		return "ext:" + dt.(arrow.ExtensionType).ExtensionName()
	}
	return dt.ID().String()
}

// convertible reports whether a value of type src can be written into a
// destination column of type dst by the writer (same kind of value), so
// that check rejects a mapping no run could write.
func convertible(src, dst arrow.DataType) bool {
	ks, kd := kind(src), kind(dst)
	switch {
	case ks == kd:
		return true
	case kd == "text":
		return true
	case ks == "bool" && kd == "number", ks == "number" && kd == "bool":
		return true
	case ks == "binary" && strings.HasPrefix(kd, "ext:"), strings.HasPrefix(ks, "ext:") && kd == "binary":
		return true // UUIDs as 16 bytes
	case ks == "ext:arrow.json" || kd == "ext:arrow.json":
		return ks == "text" || kd == "text"
	}
	return false
}
