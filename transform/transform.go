package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// columnSet is a transform that only chooses, orders and renames columns:
// the output shares the input's arrays (zero-copy) and the output schema
// and the column indexes are computed once per input schema.
type columnSet struct {
	what string
	plan func(in *arrow.Schema) (idx []int, names []string, err error)
	b    binding[columnSetPlan]
}

type columnSetPlan struct {
	out *arrow.Schema
	idx []int
}

func newColumnSet(what string, plan func(in *arrow.Schema) ([]int, []string, error)) *columnSet {
	c := &columnSet{what: what, plan: plan}
	c.b.bind = c.bind
	return c
}

func (c *columnSet) bind(in *arrow.Schema) (*columnSetPlan, error) {
	idx, nm, err := c.plan(in)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(idx))
	seen := map[string]bool{}
	for i, j := range idx {
		fields[i] = in.Field(j)
		if nm != nil {
			fields[i].Name = nm[i]
		}
		if seen[fields[i].Name] {
			return nil, fmt.Errorf("transform: %s: two columns would be named %q", c.what, fields[i].Name)
		}
		seen[fields[i].Name] = true
	}
	md := in.Metadata()
	return &columnSetPlan{out: arrow.NewSchema(fields, &md), idx: idx}, nil
}

// OutputSchema returns the chosen columns, in order, with their new names.
func (c *columnSet) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	return c.b.output(in, func(p *columnSetPlan) *arrow.Schema { return p.out })
}

// Transform returns the chosen columns of b, sharing b's arrays.
func (c *columnSet) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := c.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(p.idx))
	for i, j := range p.idx {
		cols[i] = b.Column(j)
	}
	return array.NewRecordBatch(p.out, cols, b.NumRows()), nil
}

// Select returns a Transformer that keeps the named columns, in the given
// order (mapping by name). Naming a column the input does not have, or a
// column twice, is an error when the pipeline starts.
func Select(columns ...string) ferry.Transformer {
	return newColumnSet("select", func(in *arrow.Schema) ([]int, []string, error) {
		idx := make([]int, len(columns))
		seen := map[string]bool{}
		for i, c := range columns {
			if seen[c] {
				return nil, nil, fmt.Errorf("transform: select: column %q named twice", c)
			}
			seen[c] = true
			j, err := columnNamed(in, "select", c)
			if err != nil {
				return nil, nil, err
			}
			idx[i] = j
		}
		return idx, nil, nil
	})
}

// SelectPositions returns a Transformer that keeps the columns at the given
// 0-based positions, in the given order.
func SelectPositions(positions ...int) ferry.Transformer {
	return newColumnSet("select", func(in *arrow.Schema) ([]int, []string, error) {
		seen := map[int]bool{}
		for _, p := range positions {
			if _, err := columnAt(in, "select", p); err != nil {
				return nil, nil, err
			}
			if seen[p] {
				return nil, nil, fmt.Errorf("transform: select: column %d named twice", p)
			}
			seen[p] = true
		}
		return append([]int(nil), positions...), nil, nil
	})
}

// Rename returns a Transformer that renames columns (old name → new name)
// and keeps the others. Renaming a column the input does not have, or into
// a name another column has, is an error when the pipeline starts.
func Rename(names map[string]string) ferry.Transformer {
	return newColumnSet("rename", func(in *arrow.Schema) ([]int, []string, error) {
		olds := make([]string, 0, len(names))
		for old := range names {
			olds = append(olds, old)
		}
		sort.Strings(olds)
		for _, old := range olds {
			if _, err := columnNamed(in, "rename", old); err != nil {
				return nil, nil, err
			}
		}
		idx := make([]int, in.NumFields())
		nm := make([]string, in.NumFields())
		for i, f := range in.Fields() {
			idx[i] = i
			nm[i] = f.Name
			if n, ok := names[f.Name]; ok {
				nm[i] = n
			}
		}
		return idx, nm, nil
	})
}

// ByPosition returns a Transformer that maps the source's columns by
// position (DataWorks' "same row" mapping): source column i becomes column
// names[i]. The source must have exactly len(names) columns.
func ByPosition(names ...string) ferry.Transformer {
	return newColumnSet("by position", func(in *arrow.Schema) ([]int, []string, error) {
		if in.NumFields() != len(names) {
			return nil, nil, fmt.Errorf("transform: by position: the source has %d columns (%s), the destination names %d", in.NumFields(), schemaNames(in), len(names))
		}
		idx := make([]int, len(names))
		for i := range idx {
			idx[i] = i
		}
		return idx, append([]string(nil), names...), nil
	})
}

// A Pair maps one source column, by name (From) or by 0-based position
// (FromIndex, when From is ""), to the destination column To ("" keeps the
// source name).
type Pair struct {
	From      string `json:"from,omitempty"`
	FromIndex int    `json:"fromIndex,omitempty"`
	To        string `json:"to,omitempty"`
}

// Map returns a Transformer that outputs one column per pair, in order:
// explicit source → destination pairs. A source column may feed several
// destination columns.
func Map(pairs ...Pair) ferry.Transformer {
	return newColumnSet("map", func(in *arrow.Schema) ([]int, []string, error) {
		idx := make([]int, len(pairs))
		nm := make([]string, len(pairs))
		for i, p := range pairs {
			var err error
			if p.From != "" {
				idx[i], err = columnNamed(in, "map", p.From)
			} else {
				idx[i], err = columnAt(in, "map", p.FromIndex)
			}
			if err != nil {
				return nil, nil, err
			}
			nm[i] = p.To
			if nm[i] == "" {
				nm[i] = in.Field(idx[i]).Name
			}
		}
		return idx, nm, nil
	})
}

// Constant returns a Transformer that sets column name to value in every
// row: a new utf8 column at the end, or the replacement of an existing
// column of that name (which then becomes utf8). mem may be nil.
func Constant(name, value string, mem memory.Allocator) ferry.Transformer {
	c := &constantT{name: name, value: value, opts: &Options{Allocator: mem}}
	c.b.bind = c.bind
	return c
}

type constantT struct {
	name, value string
	opts        *Options
	b           binding[constantPlan]
}

type constantPlan struct {
	out *arrow.Schema
	idx int // the replaced column, or -1 to append
}

func (c *constantT) bind(in *arrow.Schema) (*constantPlan, error) {
	if c.name == "" {
		return nil, fmt.Errorf("transform: constant: empty column name")
	}
	f := arrow.Field{Name: c.name, Type: arrow.BinaryTypes.String}
	fields := in.Fields()
	p := &constantPlan{idx: -1}
	if idx := in.FieldIndices(c.name); len(idx) > 0 {
		p.idx = idx[0]
		fields[idx[0]] = f
	} else {
		fields = append(fields, f)
	}
	md := in.Metadata()
	p.out = arrow.NewSchema(fields, &md)
	return p, nil
}

// OutputSchema returns in with the constant column.
func (c *constantT) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	return c.b.output(in, func(p *constantPlan) *arrow.Schema { return p.out })
}

// Transform adds or replaces the constant column.
func (c *constantT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := c.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	n := int(b.NumRows())
	sb := array.NewStringBuilder(c.opts.mem())
	defer sb.Release()
	sb.Reserve(n)
	sb.ReserveData(n * len(c.value))
	for range n {
		sb.Append(c.value)
	}
	col := sb.NewArray()
	defer col.Release()
	cols := append([]arrow.Array(nil), b.Columns()...)
	if p.idx >= 0 {
		cols[p.idx] = col
	} else {
		cols = append(cols, col)
	}
	return array.NewRecordBatch(p.out, cols, b.NumRows()), nil
}

func names(s *arrow.Schema) string { return schemaNames(s) }

func schemaNames(s *arrow.Schema) string {
	var out []byte
	for i, f := range s.Fields() {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, f.Name...)
	}
	return string(out)
}

// The parameters of the mapping transforms in job files.
type (
	selectParams struct {
		Columns   []string `json:"columns"`
		Positions []int    `json:"positions"`
	}
	renameParams struct {
		Columns map[string]string `json:"columns"`
	}
	byPositionParams struct {
		Columns []string `json:"columns"`
	}
	mapParams struct {
		Pairs []Pair `json:"pairs"`
	}
	constantParams struct {
		Column string `json:"column"`
		Value  string `json:"value"`
	}
)

func init() {
	builders["select"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p selectParams
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: select: parameter: %w", err)
		}
		switch {
		case len(p.Columns) > 0 && len(p.Positions) > 0:
			return nil, fmt.Errorf("transform: select: parameter: columns and positions are exclusive")
		case len(p.Positions) > 0:
			return SelectPositions(p.Positions...), nil
		case len(p.Columns) == 0:
			return nil, fmt.Errorf("transform: select: parameter: no columns")
		}
		return Select(p.Columns...), nil
	}
	builders["rename"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p renameParams
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: rename: parameter: %w", err)
		}
		return Rename(p.Columns), nil
	}
	builders["by_position"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p byPositionParams
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: by_position: parameter: %w", err)
		}
		return ByPosition(p.Columns...), nil
	}
	builders["map"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p mapParams
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: map: parameter: %w", err)
		}
		if len(p.Pairs) == 0 {
			return nil, fmt.Errorf("transform: map: parameter: no pairs")
		}
		return Map(p.Pairs...), nil
	}
	builders["constant"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p constantParams
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: constant: parameter: %w", err)
		}
		return Constant(p.Column, p.Value, o.mem()), nil
	}
}
