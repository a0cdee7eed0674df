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
	cols := refs(cfg.Columns, cfg.ColumnIndexes)
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
	idx, err := resolveAll(in, "cast", c.cols)
	if err != nil {
		return nil, err
	}
	p := &castPlan{out: in, idx: idx}
	for _, i := range idx {
		f := in.Field(i)
		get, err := castGetter(f.Type, c.dt)
		if err != nil {
			return nil, fmt.Errorf("transform: cast: column %q from %s to %s: %w", f.Name, f.Type, c.dt, err)
		}
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
	return c.b.output(in, func(p *castPlan) *arrow.Schema { return p.out })
}

// Transform converts the columns.
func (c *castT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := c.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	mem := c.opts.mem()
	n := int(b.NumRows())
	return rewrite(ctx, mem, b, p.out, p.idx, func(k int, src arrow.Array, name string, errs *rowErrs) (arrow.Array, error) {
		bld := array.NewBuilder(mem, c.dt)
		defer bld.Release()
		bld.Reserve(n)
		for i := 0; i < n; i++ {
			if src.IsNull(i) {
				bld.AppendNull()
				continue
			}
			if err := c.put(bld, p.gets[k](src, i)); err != nil {
				if !c.toNull {
					errs.add(n, i, name, goValue(src, i), fmt.Errorf("transform: cast %s to %s: %w", name, c.dt, err))
				}
				bld.AppendNull()
			}
		}
		return bld.NewArray(), nil
	})
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
