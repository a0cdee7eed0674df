// Package transform holds Ferry's built-in Transformers for field mapping:
// choosing and ordering columns by name (Select), renaming them (Rename) and
// adding constant columns (Constant) — for example a business date resolved
// by package schedparam. Each keeps the batches it does not change
// zero-copy: columns are shared with the input batch, not copied.
package transform

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// Select returns a Transformer that keeps the named columns, in the given
// order. Naming a column the input does not have is an error when the
// pipeline starts.
func Select(columns ...string) ferry.Transformer {
	return &selectT{cols: columns}
}

type selectT struct {
	cols []string
}

func (s *selectT) indexes(in *arrow.Schema) ([]int, error) {
	idx := make([]int, len(s.cols))
	seen := map[string]bool{}
	for i, c := range s.cols {
		if seen[c] {
			return nil, fmt.Errorf("transform: select: column %q named twice", c)
		}
		seen[c] = true
		f := in.FieldIndices(c)
		if len(f) == 0 {
			return nil, fmt.Errorf("transform: select: no column %q in the source (have %s)", c, names(in))
		}
		idx[i] = f[0]
	}
	return idx, nil
}

func (s *selectT) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	idx, err := s.indexes(in)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(idx))
	for i, j := range idx {
		fields[i] = in.Field(j)
	}
	md := in.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

func (s *selectT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, err := s.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	idx, _ := s.indexes(b.Schema())
	cols := make([]arrow.Array, len(idx))
	for i, j := range idx {
		cols[i] = b.Column(j)
	}
	return array.NewRecordBatch(out, cols, b.NumRows()), nil
}

// Rename returns a Transformer that renames columns (old name → new name).
// Renaming a column the input does not have, or into a name another column
// has, is an error when the pipeline starts.
func Rename(names map[string]string) ferry.Transformer {
	return &renameT{names: names}
}

type renameT struct {
	names map[string]string
}

func (r *renameT) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	for old := range r.names {
		if len(in.FieldIndices(old)) == 0 {
			return nil, fmt.Errorf("transform: rename: no column %q in the source (have %s)", old, names(in))
		}
	}
	fields := in.Fields()
	seen := map[string]bool{}
	for i, f := range fields {
		if n, ok := r.names[f.Name]; ok {
			fields[i].Name = n
		}
		if seen[fields[i].Name] {
			return nil, fmt.Errorf("transform: rename: two columns would be named %q", fields[i].Name)
		}
		seen[fields[i].Name] = true
	}
	md := in.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

func (r *renameT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, err := r.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	return array.NewRecordBatch(out, b.Columns(), b.NumRows()), nil
}

// Constant returns a Transformer that sets column name to value in every
// row: a new utf8 column at the end, or the replacement of an existing
// column of that name (which then becomes utf8). mem may be nil.
func Constant(name, value string, mem memory.Allocator) ferry.Transformer {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &constantT{name: name, value: value, mem: mem}
}

type constantT struct {
	name, value string
	mem         memory.Allocator
}

func (c *constantT) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	if c.name == "" {
		return nil, fmt.Errorf("transform: constant: empty column name")
	}
	f := arrow.Field{Name: c.name, Type: arrow.BinaryTypes.String}
	fields := in.Fields()
	if idx := in.FieldIndices(c.name); len(idx) > 0 {
		fields[idx[0]] = f
	} else {
		fields = append(fields, f)
	}
	md := in.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

func (c *constantT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, err := c.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	n := int(b.NumRows())
	sb := array.NewStringBuilder(c.mem)
	defer sb.Release()
	sb.Reserve(n)
	sb.ReserveData(n * len(c.value))
	for range n {
		sb.Append(c.value)
	}
	col := sb.NewArray()
	defer col.Release()
	cols := b.Columns()
	if idx := b.Schema().FieldIndices(c.name); len(idx) > 0 {
		cols = append([]arrow.Array(nil), cols...)
		cols[idx[0]] = col
	} else {
		cols = append(append([]arrow.Array(nil), cols...), col)
	}
	return array.NewRecordBatch(out, cols, b.NumRows()), nil
}

func names(s *arrow.Schema) string {
	var out []byte
	for i, f := range s.Fields() {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, f.Name...)
	}
	return string(out)
}
