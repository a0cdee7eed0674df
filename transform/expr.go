package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/ferrydata/ferry"
)

// Filter returns a Transformer that keeps the rows for which where is true:
// false and NULL drop the row (the engine counts it as filtered).
func Filter(where string, opts *Options) (ferry.Transformer, error) {
	if strings.TrimSpace(where) == "" {
		return nil, fmt.Errorf("transform: filter: empty expression")
	}
	if _, err := parseExpr(where); err != nil {
		return nil, fmt.Errorf("transform: filter: %w", err)
	}
	f := &exprFilter{src: where, opts: opts}
	f.b.bind = f.bind
	return f, nil
}

// ComputeConfig configures Compute.
type ComputeConfig struct {
	// Column is the name of the computed column: an existing column is
	// replaced in place, a new one is appended.
	Column string `json:"column"`
	// ColumnIndex, when Column is "", names an existing column by its
	// 0-based position (DataX's columnIndex).
	ColumnIndex *int `json:"columnIndex"`
	// Expr is the expression (see the package doc).
	Expr string `json:"expr"`
	// Type is the column's type (see ParseType). "" takes the
	// expression's type, which must then be known (not the any of ??):
	// bool, int64, uint64, float64, utf8, or for a time.Time an instant
	// (timestamp[us, UTC]); say "timestamp" for a zone-less wall clock.
	Type string `json:"type"`
}

// Compute returns a Transformer that sets a column to the value of an
// expression over the row. A value that does not fit the column's type
// makes the row dirty.
func Compute(cfg ComputeConfig, opts *Options) (ferry.Transformer, error) {
	if strings.TrimSpace(cfg.Expr) == "" {
		return nil, fmt.Errorf("transform: compute: empty expression")
	}
	if cfg.Column == "" && cfg.ColumnIndex == nil {
		return nil, fmt.Errorf("transform: compute: no column (set column or columnIndex)")
	}
	if _, err := parseExpr(cfg.Expr); err != nil {
		return nil, fmt.Errorf("transform: compute %s: %w", cfg.name(), err)
	}
	var dt arrow.DataType
	if cfg.Type != "" {
		var err error
		if dt, err = ParseType(cfg.Type); err != nil {
			return nil, fmt.Errorf("transform: compute %s: %w", cfg.name(), err)
		}
	}
	c := &exprCompute{cfg: cfg, dt: dt, opts: opts}
	c.b.bind = c.bind
	return c, nil
}

func (c ComputeConfig) name() string {
	if c.Column != "" {
		return fmt.Sprintf("%q", c.Column)
	}
	if c.ColumnIndex != nil {
		return fmt.Sprintf("column %d", *c.ColumnIndex)
	}
	return ""
}

// parseExpr checks the syntax without a schema, so that Build reports it.
func parseExpr(src string) (*vm.Program, error) {
	var perr error
	prog, err := expr.Compile(src, append(exprOptions(), expr.AllowUndefinedVariables(), expr.Patch(colPatch{err: &perr}))...)
	if perr != nil {
		return nil, perr
	}
	return prog, err
}

// exprOptions are the options of every compile: UTC for date() and now(),
// and Ferry's functions.
func exprOptions() []expr.Option {
	return append(nullEqFunctions(),
		expr.Timezone("UTC"),
		expr.Function("substr", func(p ...any) (any, error) {
			if p[0] == nil {
				return nil, nil // NULL in, NULL out
			}
			s, _ := p[0].(string)
			start, _ := p[1].(int)
			n := runeLen(s)
			end := n
			if len(p) > 2 {
				l, _ := p[2].(int)
				if l < 0 {
					return nil, fmt.Errorf("substr: negative length %d", l)
				}
				end = min(n, start+l)
			}
			if start < 0 {
				return nil, fmt.Errorf("substr: negative start %d", start)
			}
			if start >= end {
				return "", nil
			}
			return runeSub(s, start, end), nil
		}, new(func(string, int) string), new(func(string, int, int) string)),
	)
}

// colPatch rewrites col(N) into the name of column N. With a nil schema
// it only checks the syntax of the call.
type colPatch struct {
	in  *arrow.Schema
	err *error
}

// Visit patches one node.
func (p colPatch) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "col" {
		return
	}
	if len(call.Arguments) != 1 {
		*p.err = fmt.Errorf("col() takes one integer, the column's 0-based position")
		return
	}
	n, ok := call.Arguments[0].(*ast.IntegerNode)
	if !ok {
		*p.err = fmt.Errorf("col() takes an integer literal, the column's 0-based position")
		return
	}
	if p.in == nil {
		ast.Patch(node, &ast.IdentifierNode{Value: fmt.Sprintf("col_%d", n.Value)})
		return
	}
	if n.Value < 0 || n.Value >= p.in.NumFields() {
		*p.err = fmt.Errorf("col(%d): the source has %d columns (%s)", n.Value, p.in.NumFields(), names(p.in))
		return
	}
	ast.Patch(node, &ast.MemberNode{Node: &ast.IdentifierNode{Value: "$env"}, Property: &ast.StringNode{Value: p.in.Field(n.Value).Name}})
}

// exprCol is one column an expression reads.
type exprCol struct {
	name string
	idx  int
	get  func(a arrow.Array, i int) any
}

// compiled is an expression bound to a schema.
type compiled struct {
	prog *vm.Program
	cols []exprCol
	out  reflect.Type
	// fast, when set, evaluates the (boolean) expression without the VM.
	fast fastFilter
}

// compileExpr type-checks src against the columns of in.
func compileExpr(src string, in *arrow.Schema, opts ...expr.Option) (*compiled, error) {
	env := map[string]any{}
	getters := map[string]exprCol{}
	for i, f := range in.Fields() {
		zero, get, ok := exprValue(f.Type)
		if !ok {
			continue
		}
		if _, dup := env[f.Name]; dup {
			continue
		}
		env[f.Name] = zero
		getters[f.Name] = exprCol{name: f.Name, idx: i, get: get}
	}
	var perr error
	all := append(exprOptions(), expr.Env(env), expr.Patch(colPatch{in: in, err: &perr}))
	prog, err := expr.Compile(src, append(all, opts...)...)
	if perr != nil {
		return nil, perr
	}
	if err != nil {
		var unknown []string
		for _, f := range in.Fields() {
			if _, ok := env[f.Name]; !ok {
				unknown = append(unknown, f.Name+" ("+f.Type.String()+")")
			}
		}
		if len(unknown) > 0 {
			return nil, fmt.Errorf("%w (columns of types expressions cannot use: %s)", err, strings.Join(unknown, ", "))
		}
		return nil, err
	}
	c := &compiled{prog: prog, out: prog.Node().Type()}
	if c.out != nil && c.out.Kind() == reflect.Bool {
		c.fast, _ = compileFast(prog.Node(), in)
	}
	// The program that runs has NULL-aware equality (see nullEqPatch).
	run, err := expr.Compile(src, append(append(all, expr.Patch(nullEqPatch{})), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("transform: internal: recompiling with NULL-aware equality: %w", err)
	}
	c.prog = run
	used := map[string]bool{}
	node := prog.Node()
	ast.Walk(&node, usedNames{used: used, env: env})
	if used["$env"] {
		// $env used as a whole: load every column.
		for n := range env {
			used[n] = true
		}
	}
	for _, f := range in.Fields() {
		if g, ok := getters[f.Name]; ok && used[f.Name] {
			c.cols = append(c.cols, g)
			delete(used, f.Name)
		}
	}
	return c, nil
}

// usedNames collects the columns an expression reads.
type usedNames struct {
	used map[string]bool
	env  map[string]any
}

// Visit records the columns a node reads.
func (u usedNames) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if _, ok := u.env[n.Value]; ok {
			u.used[n.Value] = true
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				u.used[s.Value] = true
				return
			}
			u.used["$env"] = true
		}
	}
}

// exprValue returns the zero value that types a column of dt in an
// expression and the getter of its values; ok is false for types
// expressions cannot use.
func exprValue(dt arrow.DataType) (zero any, get func(a arrow.Array, i int) any, ok bool) {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return false, func(a arrow.Array, i int) any { return a.(*array.Boolean).Value(i) }, true
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		g := int64Getter(dt)
		return int64(0), func(a arrow.Array, i int) any { return g(a, i) }, true
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type:
		g := uint64Getter(dt)
		return int64(0), func(a arrow.Array, i int) any { return int64(g(a, i)) }, true
	case *arrow.Uint64Type:
		return uint64(0), func(a arrow.Array, i int) any { return a.(*array.Uint64).Value(i) }, true
	case *arrow.Float32Type, *arrow.Float64Type, *arrow.Decimal128Type, *arrow.Decimal256Type:
		g := float64Getter(dt)
		return float64(0), func(a arrow.Array, i int) any { return g(a, i) }, true
	case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType, *extensions.UUIDType, *extensions.JSONType:
		s, err := stringerFor(dt)
		if err != nil {
			return nil, nil, false
		}
		return "", func(a arrow.Array, i int) any { return s(a, i) }, true
	case *arrow.Date32Type:
		return time.Time{}, func(a arrow.Array, i int) any { return a.(*array.Date32).Value(i).ToTime() }, true
	case *arrow.Date64Type:
		return time.Time{}, func(a arrow.Array, i int) any { return a.(*array.Date64).Value(i).ToTime() }, true
	case *arrow.TimestampType:
		loc, err := zoneOf(t)
		if err != nil {
			return nil, nil, false
		}
		return time.Time{}, func(a arrow.Array, i int) any {
			return a.(*array.Timestamp).Value(i).ToTime(t.Unit).In(loc)
		}, true
	case *arrow.Time64Type:
		mul := time.Duration(t.Unit.Multiplier())
		return time.Duration(0), func(a arrow.Array, i int) any { return time.Duration(a.(*array.Time64).Value(i)) * mul }, true
	case *arrow.Time32Type:
		mul := time.Duration(t.Unit.Multiplier())
		return time.Duration(0), func(a arrow.Array, i int) any { return time.Duration(a.(*array.Time32).Value(i)) * mul }, true
	}
	return nil, nil, false
}

// arrowTypeOf maps the Go type of an expression's result to an Arrow type.
func arrowTypeOf(t reflect.Type) (arrow.DataType, bool) {
	if t == nil {
		return nil, false
	}
	switch t {
	case reflect.TypeOf(time.Time{}):
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, true
	case reflect.TypeOf(time.Duration(0)):
		return nil, false
	}
	switch t.Kind() {
	case reflect.Bool:
		return arrow.FixedWidthTypes.Boolean, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return arrow.PrimitiveTypes.Int64, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return arrow.PrimitiveTypes.Uint64, true
	case reflect.Float32, reflect.Float64:
		return arrow.PrimitiveTypes.Float64, true
	case reflect.String:
		return arrow.BinaryTypes.String, true
	}
	return nil, false
}

// rowEval evaluates a compiled expression row by row.
type rowEval struct {
	c    *compiled
	cols []arrow.Array
	env  map[string]any
	vm   vm.VM
}

func newRowEval(c *compiled, b arrow.RecordBatch) *rowEval {
	e := &rowEval{c: c, env: make(map[string]any, len(c.cols)), cols: make([]arrow.Array, len(c.cols))}
	for k, col := range c.cols {
		e.cols[k] = b.Column(col.idx)
	}
	return e
}

// eval returns the value at row i; null reports a NULL result (an
// operation met a NULL); err is a failure on non-NULL values, with the
// column the error is attributed to (the first column read).
func (e *rowEval) eval(i int) (v any, null bool, err error) {
	anyNull := false
	for k, col := range e.c.cols {
		a := e.cols[k]
		if a.IsNull(i) {
			e.env[col.name] = nil
			anyNull = true
		} else {
			e.env[col.name] = col.get(a, i)
		}
	}
	v, err = e.vm.Run(e.c.prog, e.env)
	if err != nil {
		if anyNull {
			return nil, true, nil
		}
		return nil, false, err
	}
	return v, v == nil, nil
}

// blame returns the column and value a failed row is reported with.
func (e *rowEval) blame(i int) (string, any) {
	if len(e.c.cols) == 0 {
		return "", nil
	}
	return e.c.cols[0].name, goValue(e.cols[0], i)
}

type exprFilter struct {
	src    string
	opts   *Options
	b      binding[compiled]
	noFast bool // tests: always use the VM
}

var _ ferry.Transformer = (*exprFilter)(nil)

func (f *exprFilter) bind(in *arrow.Schema) (*compiled, error) {
	c, err := compileExpr(f.src, in, expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("transform: filter %q: %w", f.src, err)
	}
	return c, nil
}

// OutputSchema returns in after type-checking the expression against it.
func (f *exprFilter) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	if _, err := f.b.get(in); err != nil {
		return nil, err
	}
	return in, nil
}

// Transform keeps the rows for which the expression is true.
func (f *exprFilter) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	c, err := f.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	n := int(b.NumRows())
	keep := make([]bool, n)
	if c.fast != nil && !f.noFast {
		row := c.fast(b)
		for i := range keep {
			v, null := row(i)
			keep[i] = v && !null
		}
		return selectRows(ctx, f.opts.mem(), b, keep)
	}
	e := newRowEval(c, b)
	var errs rowErrs
	for i := 0; i < n; i++ {
		v, null, err := e.eval(i)
		switch {
		case err != nil:
			col, val := e.blame(i)
			errs.add(n, i, col, val, fmt.Errorf("transform: filter %q: %w", f.src, err))
		case !null:
			keep[i] = v.(bool)
		}
	}
	out, err := selectRows(ctx, f.opts.mem(), b, keep)
	if err != nil {
		return nil, err
	}
	return out, errs.err()
}

type exprCompute struct {
	cfg  ComputeConfig
	dt   arrow.DataType
	opts *Options
	b    binding[computePlan]
}

type computePlan struct {
	c      *compiled
	out    *arrow.Schema
	idx    int // replaced column, or -1 to append
	dt     arrow.DataType
	append appender
}

var _ ferry.Transformer = (*exprCompute)(nil)

func (c *exprCompute) bind(in *arrow.Schema) (*computePlan, error) {
	fail := func(err error) (*computePlan, error) {
		return nil, fmt.Errorf("transform: compute %s = %q: %w", c.cfg.name(), c.cfg.Expr, err)
	}
	p := &computePlan{idx: -1}
	name := c.cfg.Column
	if name == "" {
		i, err := columnAt(in, "compute", *c.cfg.ColumnIndex)
		if err != nil {
			return nil, err
		}
		name = in.Field(i).Name
	}
	if f := in.FieldIndices(name); len(f) > 0 {
		p.idx = f[0]
	}
	comp, err := compileExpr(c.cfg.Expr, in)
	if err != nil {
		return fail(err)
	}
	p.c = comp
	p.dt = c.dt
	if p.dt == nil {
		dt, ok := arrowTypeOf(comp.out)
		if !ok {
			return fail(fmt.Errorf("the expression's type is %v: set \"type\"", typeName(comp.out)))
		}
		p.dt = dt
	}
	if p.append, err = appenderFor(p.dt); err != nil {
		return fail(err)
	}
	f := arrow.Field{Name: name, Type: p.dt, Nullable: true}
	if p.idx >= 0 {
		p.out = replaceField(in, p.idx, f)
	} else {
		fields := append(in.Fields(), f)
		md := in.Metadata()
		p.out = arrow.NewSchema(fields, &md)
	}
	return p, nil
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "unknown"
	}
	return t.String()
}

// OutputSchema returns in with the computed column.
func (c *exprCompute) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	return c.b.output(in, func(p *computePlan) *arrow.Schema { return p.out })
}

// Transform computes the column.
func (c *exprCompute) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := c.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	mem := c.opts.mem()
	n := int(b.NumRows())
	bld := array.NewBuilder(mem, p.dt)
	defer bld.Release()
	bld.Reserve(n)
	e := newRowEval(p.c, b)
	var errs rowErrs
	name := p.out.Field(p.out.NumFields() - 1).Name
	if p.idx >= 0 {
		name = p.out.Field(p.idx).Name
	}
	for i := 0; i < n; i++ {
		v, null, err := e.eval(i)
		if err == nil && !null {
			if err = p.append(bld, v); err != nil {
				err = fmt.Errorf("the value does not fit %s: %w", p.dt, err)
				col, _ := e.blame(i)
				errs.add(n, i, name, v, fmt.Errorf("transform: compute %s (from %s): %w", name, col, err))
				bld.AppendNull()
				continue
			}
		}
		if err != nil {
			col, val := e.blame(i)
			errs.add(n, i, col, val, fmt.Errorf("transform: compute %s = %q: %w", name, c.cfg.Expr, err))
			bld.AppendNull()
			continue
		}
		if null {
			bld.AppendNull()
		}
	}
	col := bld.NewArray()
	defer col.Release()
	cols := append([]arrow.Array(nil), b.Columns()...)
	if p.idx >= 0 {
		cols[p.idx] = col
	} else {
		cols = append(cols, col)
	}
	return finish(ctx, mem, p.out, cols, n, &errs)
}

type filterParams struct {
	Where string `json:"where"`
}

func init() {
	builders["filter"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p filterParams
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: filter: parameter: %w", err)
		}
		return Filter(p.Where, o)
	}
	builders["compute"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p ComputeConfig
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: compute: parameter: %w", err)
		}
		return Compute(p, o)
	}
}
