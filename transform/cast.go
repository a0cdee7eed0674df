package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
)

// CastConfig configures Cast.
type CastConfig struct {
	// Columns names the columns to cast; ColumnIndexes names them by
	// 0-based position.
	Columns       []string `json:"columns,omitempty"`
	ColumnIndexes []int    `json:"columnIndexes,omitempty"`
	// Type is the new type (see ParseType).
	Type string `json:"type"`
	// OnError is the policy for a value that does not convert (a string
	// that is not a number, an integer out of range, a fraction into an
	// integer, a decimal with too many places): "dirty" (the default) makes
	// the row dirty, naming the column and the value; "null" stores NULL.
	OnError string `json:"onError,omitempty"`
}

// Cast returns a Transformer that converts columns to another type. The
// conversions are exact or fail (by OnError): integers and floats between
// each other when the value fits (a float must be integral to become an
// integer), text to anything by parsing it (numbers, booleans true/false,
// t/f, 1/0, yes/no, on/off, dates 2006-01-02, timestamps 2006-01-02
// 15:04:05[.ffffff] or RFC 3339, times 15:04:05), anything with a text
// form to text, decimals through their exact text, timestamps to dates
// (the date in the timestamp's zone) and zone-less timestamps to instants
// read as UTC. Use the time-zone transforms to move between zones.
func Cast(cfg CastConfig, opts *Options) (ferry.Transformer, error) {
	var cols []colRef
	for _, c := range cfg.Columns {
		cols = append(cols, colRef{name: c})
	}
	for _, i := range cfg.ColumnIndexes {
		cols = append(cols, colRef{index: i})
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("transform: cast: no columns")
	}
	dt, err := ParseType(cfg.Type)
	if err != nil {
		return nil, fmt.Errorf("transform: cast: %w", err)
	}
	var toNull bool
	switch strings.ToLower(cfg.OnError) {
	case "", "dirty":
	case "null":
		toNull = true
	default:
		return nil, fmt.Errorf("transform: cast: onError %q: want dirty or null", cfg.OnError)
	}
	put, err := appenderFor(dt)
	if err != nil {
		return nil, fmt.Errorf("transform: cast: %w", err)
	}
	c := &castT{cols: cols, dt: dt, toNull: toNull, put: put, opts: opts}
	c.b.bind = c.bind
	return c, nil
}

type castT struct {
	cols   []colRef
	dt     arrow.DataType
	toNull bool
	put    appender
	opts   *Options
	b      binding[castPlan]
}

type castPlan struct {
	out  *arrow.Schema
	idx  []int
	gets []func(a arrow.Array, i int) any
}

var _ ferry.Transformer = (*castT)(nil)

func (c *castT) bind(in *arrow.Schema) (*castPlan, error) {
	p := &castPlan{out: in}
	seen := map[int]bool{}
	for _, r := range c.cols {
		i, err := r.resolve(in, "cast")
		if err != nil {
			return nil, err
		}
		if seen[i] {
			return nil, fmt.Errorf("transform: cast: column %q named twice", in.Field(i).Name)
		}
		seen[i] = true
		f := in.Field(i)
		get, err := castGetter(f.Type, c.dt)
		if err != nil {
			return nil, fmt.Errorf("transform: cast: column %q from %s to %s: %w", f.Name, f.Type, c.dt, err)
		}
		p.idx = append(p.idx, i)
		p.gets = append(p.gets, get)
		nf := arrow.Field{Name: f.Name, Type: c.dt, Nullable: f.Nullable || c.toNull}
		p.out = replaceField(p.out, i, nf)
	}
	return p, nil
}

// castGetter returns how a source value of type from enters the
// conversion: decimals as their exact text, other values as the Go value
// expressions see, and values of types without one as their text.
func castGetter(from, to arrow.DataType) (func(a arrow.Array, i int) any, error) {
	switch from.ID() {
	case arrow.DECIMAL128, arrow.DECIMAL256:
		s, err := stringerFor(from)
		if err != nil {
			return nil, err
		}
		if to.ID() == arrow.FLOAT32 || to.ID() == arrow.FLOAT64 {
			g := float64Getter(from)
			return func(a arrow.Array, i int) any { return g(a, i) }, nil
		}
		return func(a arrow.Array, i int) any { return s(a, i) }, nil
	}
	if to.ID() == arrow.STRING {
		s, err := stringerFor(from)
		if err != nil {
			return nil, err
		}
		return func(a arrow.Array, i int) any { return s(a, i) }, nil
	}
	if _, get, ok := exprValue(from); ok {
		return get, nil
	}
	s, err := stringerFor(from)
	if err != nil {
		return nil, err
	}
	return func(a arrow.Array, i int) any { return s(a, i) }, nil
}

// OutputSchema returns in with the cast columns' new type.
func (c *castT) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	p, err := c.b.get(in)
	if err != nil {
		return nil, err
	}
	return p.out, nil
}

// Transform converts the columns.
func (c *castT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := c.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	mem := c.opts.mem()
	n := int(b.NumRows())
	cols := append([]arrow.Array(nil), b.Columns()...)
	var built []arrow.Array
	defer func() {
		for _, a := range built {
			a.Release()
		}
	}()
	var errs rowErrs
	for k, ci := range p.idx {
		src := b.Column(ci)
		name := b.Schema().Field(ci).Name
		bld := array.NewBuilder(mem, c.dt)
		bld.Reserve(n)
		for i := 0; i < n; i++ {
			if src.IsNull(i) {
				bld.AppendNull()
				continue
			}
			v := p.gets[k](src, i)
			if err := c.put(bld, v); err != nil {
				if !c.toNull {
					errs.add(n, i, name, goValue(src, i), fmt.Errorf("transform: cast %s to %s: %w", name, c.dt, err))
				}
				bld.AppendNull()
			}
		}
		a := bld.NewArray()
		bld.Release()
		built = append(built, a)
		cols[ci] = a
	}
	return finish(ctx, mem, p.out, cols, n, &errs)
}

func init() {
	builders["cast"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p CastConfig
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: cast: parameter: %w", err)
		}
		return Cast(p, o)
	}
}
