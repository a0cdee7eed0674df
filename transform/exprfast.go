package transform

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// NULL in equality. expr compares a nil with == in a way that depends on
// the static type (nil == 5 is false, a nil string == "a" fails), so Ferry
// rewrites == and != between two non-nil-literal operands into calls that
// make the expression NULL when either side is NULL, as SQL does; x == nil
// stays the null test. The program that type-checks is compiled without
// the rewrite, so type errors are still reported when the pipeline starts.

var errNullOperand = errors.New("NULL operand")

func nullEqFunctions() []expr.Option {
	eq := func(p ...any) (any, error) {
		if p[0] == nil || p[1] == nil {
			return nil, errNullOperand
		}
		return runtime.Equal(p[0], p[1]), nil
	}
	return []expr.Option{
		expr.Function("__ferry_eq", eq, new(func(any, any) bool)),
		expr.Function("__ferry_ne", func(p ...any) (any, error) {
			v, err := eq(p...)
			if err != nil {
				return nil, err
			}
			return !v.(bool), nil
		}, new(func(any, any) bool)),
	}
}

// nullEqPatch does the rewrite.
type nullEqPatch struct{}

// Visit rewrites one equality.
func (nullEqPatch) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || (b.Operator != "==" && b.Operator != "!=") {
		return
	}
	if isNilNode(b.Left) || isNilNode(b.Right) {
		return
	}
	name := "__ferry_eq"
	if b.Operator == "!=" {
		name = "__ferry_ne"
	}
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: []ast.Node{b.Left, b.Right}})
}

func isNilNode(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.NilNode:
		return true
	case *ast.ConstantNode:
		return x.Value == nil
	}
	return false
}

// The fast path of Filter: expressions made only of comparisons between
// columns (integers, floats, decimals, strings, booleans) and literals,
// null tests, !, && and || are compiled into a tree of typed closures
// evaluated on the arrays, with no boxing and no VM. They mean exactly what
// the VM computes (TestExprFastPathMatchesVM): a comparison meeting a NULL,
// or !, && and || on a NULL, makes the row NULL; && and || short-circuit.

// rowBool evaluates a boolean node at row i; null reports that the row's
// result is NULL.
type rowBool func(i int) (v, null bool)

// fastFilter binds a compiled fast filter to a batch.
type fastFilter func(b arrow.RecordBatch) rowBool

// operand is a typed value source: a column or a literal.
type operand struct {
	kind byte // 'i' int64, 'f' float64, 's' string, 'b' bool, 'n' nil literal
	col  int  // column index, or -1 for a literal
	i    int64
	f    float64
	s    string
	b    bool
	def  *operand // column ?? literal: the literal replacing NULL
}

// boundOperand reads an operand at row i.
type boundOperand struct {
	op   operand
	arr  arrow.Array
	geti func(int) int64
	getf func(int) float64
	gets func(int) string
	getb func(int) bool
}

func (o *boundOperand) null(i int) bool {
	if o.op.col < 0 {
		return o.op.kind == 'n'
	}
	return o.op.def == nil && o.arr.IsNull(i)
}

func compileFast(node ast.Node, in *arrow.Schema) (fastFilter, bool) {
	switch n := node.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(arrow.RecordBatch) rowBool { return func(int) (bool, bool) { return v, false } }, true
	case *ast.ConstantNode:
		v, ok := n.Value.(bool)
		if !ok {
			return nil, false
		}
		return func(arrow.RecordBatch) rowBool { return func(int) (bool, bool) { return v, false } }, true
	case *ast.IdentifierNode, *ast.MemberNode:
		op, ok := fastOperand(node, in)
		if !ok || op.kind != 'b' || op.col < 0 {
			return nil, false
		}
		return func(b arrow.RecordBatch) rowBool {
			a := b.Column(op.col).(*array.Boolean)
			return func(i int) (bool, bool) {
				if a.IsNull(i) {
					return false, true
				}
				return a.Value(i), false
			}
		}, true
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil, false
		}
		sub, ok := compileFast(n.Node, in)
		if !ok {
			return nil, false
		}
		return func(b arrow.RecordBatch) rowBool {
			f := sub(b)
			return func(i int) (bool, bool) {
				v, null := f(i)
				return !v, null
			}
		}, true
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			l, ok1 := compileFast(n.Left, in)
			r, ok2 := compileFast(n.Right, in)
			if !ok1 || !ok2 {
				return nil, false
			}
			and := n.Operator == "&&" || n.Operator == "and"
			return func(b arrow.RecordBatch) rowBool {
				lf, rf := l(b), r(b)
				return func(i int) (bool, bool) {
					v, null := lf(i)
					if null {
						return false, true
					}
					if v != and { // false && ..., true || ...
						return v, false
					}
					return rf(i)
				}
			}, true
		case "==", "!=", "<", "<=", ">", ">=":
			return fastCompare(n, in)
		}
	}
	return nil, false
}

// fastOperand types a leaf: a column of a supported type or a literal.
func fastOperand(node ast.Node, in *arrow.Schema) (operand, bool) {
	name := ""
	switch n := node.(type) {
	case *ast.IdentifierNode:
		name = n.Value
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		s, ok2 := n.Property.(*ast.StringNode)
		if !ok || !ok2 || id.Value != "$env" {
			return operand{}, false
		}
		name = s.Value
	case *ast.IntegerNode:
		return operand{kind: 'i', col: -1, i: int64(n.Value)}, true
	case *ast.FloatNode:
		return operand{kind: 'f', col: -1, f: n.Value}, true
	case *ast.StringNode:
		return operand{kind: 's', col: -1, s: n.Value}, true
	case *ast.BoolNode:
		return operand{kind: 'b', col: -1, b: n.Value}, true
	case *ast.NilNode:
		return operand{kind: 'n', col: -1}, true
	case *ast.BinaryNode:
		// column ?? literal
		if n.Operator != "??" {
			return operand{}, false
		}
		c, ok1 := fastOperand(n.Left, in)
		d, ok2 := fastOperand(n.Right, in)
		if !ok1 || !ok2 || c.col < 0 || c.def != nil || d.col >= 0 || d.kind == 'n' {
			return operand{}, false
		}
		switch {
		case c.kind == d.kind:
		case (c.kind == 'i' || c.kind == 'f') && (d.kind == 'i' || d.kind == 'f'):
			c.kind = 'f' // mixed: compared as numbers, as the VM compares int and float
		default:
			return operand{}, false
		}
		c.def = &d
		return c, true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			return operand{kind: 'i', col: -1, i: int64(v)}, true
		case int64:
			return operand{kind: 'i', col: -1, i: v}, true
		case float64:
			return operand{kind: 'f', col: -1, f: v}, true
		case string:
			return operand{kind: 's', col: -1, s: v}, true
		case bool:
			return operand{kind: 'b', col: -1, b: v}, true
		case nil:
			return operand{kind: 'n', col: -1}, true
		}
		return operand{}, false
	default:
		return operand{}, false
	}
	idx := in.FieldIndices(name)
	if len(idx) == 0 {
		return operand{}, false
	}
	switch in.Field(idx[0]).Type.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return operand{kind: 'i', col: idx[0]}, true
	case arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return operand{kind: 'f', col: idx[0]}, true
	case arrow.STRING, arrow.LARGE_STRING:
		return operand{kind: 's', col: idx[0]}, true
	case arrow.BOOL:
		return operand{kind: 'b', col: idx[0]}, true
	}
	return operand{}, false
}

func bindOperand(op operand, b arrow.RecordBatch) *boundOperand {
	o := &boundOperand{op: op}
	if op.col < 0 {
		o.geti = func(int) int64 { return op.i }
		o.getf = func(int) float64 {
			if op.kind == 'i' {
				return float64(op.i)
			}
			return op.f
		}
		o.gets = func(int) string { return op.s }
		o.getb = func(int) bool { return op.b }
		return o
	}
	a := b.Column(op.col)
	o.arr = a
	if op.def != nil {
		col := op
		col.def = nil
		v, d := bindOperand(col, b), bindOperand(*op.def, b)
		o.geti = func(i int) int64 {
			if a.IsNull(i) {
				return d.geti(i)
			}
			return v.geti(i)
		}
		o.getf = func(i int) float64 {
			if a.IsNull(i) {
				return d.getf(i)
			}
			return v.getf(i)
		}
		o.gets = func(i int) string {
			if a.IsNull(i) {
				return d.gets(i)
			}
			return v.gets(i)
		}
		o.getb = func(i int) bool {
			if a.IsNull(i) {
				return d.getb(i)
			}
			return v.getb(i)
		}
		return o
	}
	dt := a.DataType()
	kind := op.kind
	if kind == 'f' && arrow.IsInteger(dt.ID()) {
		kind = 'i' // an integer column compared as a number (column ?? 1.5)
	}
	switch kind {
	case 'i':
		var gi func(arrow.Array, int) int64
		if dt.ID() == arrow.UINT8 || dt.ID() == arrow.UINT16 || dt.ID() == arrow.UINT32 {
			gu := uint64Getter(dt)
			gi = func(a arrow.Array, i int) int64 { return int64(gu(a, i)) }
		} else {
			gi = int64Getter(dt)
		}
		o.geti = func(i int) int64 { return gi(a, i) }
		o.getf = func(i int) float64 { return float64(gi(a, i)) }
	case 'f':
		g := float64Getter(dt)
		o.getf = func(i int) float64 { return g(a, i) }
	case 's':
		if s, ok := a.(*array.String); ok {
			o.gets = s.Value
		} else {
			l := a.(*array.LargeString)
			o.gets = l.Value
		}
	case 'b':
		o.getb = a.(*array.Boolean).Value
	}
	return o
}

func fastCompare(n *ast.BinaryNode, in *arrow.Schema) (fastFilter, bool) {
	l, ok1 := fastOperand(n.Left, in)
	r, ok2 := fastOperand(n.Right, in)
	if !ok1 || !ok2 {
		return nil, false
	}
	op := n.Operator
	eq := op == "==" || op == "!="
	// the null tests x == nil, x != nil
	if l.kind == 'n' || r.kind == 'n' {
		if !eq {
			return nil, false
		}
		return func(b arrow.RecordBatch) rowBool {
			lo, ro := bindOperand(l, b), bindOperand(r, b)
			return func(i int) (bool, bool) {
				return (lo.null(i) == ro.null(i)) == (op == "=="), false
			}
		}, true
	}
	var kind byte
	switch {
	case (l.kind == 'i' || l.kind == 'f') && (r.kind == 'i' || r.kind == 'f'):
		kind = 'f'
		if l.kind == 'i' && r.kind == 'i' {
			kind = 'i'
		}
	case l.kind == 's' && r.kind == 's':
		kind = 's'
	case l.kind == 'b' && r.kind == 'b' && eq:
		kind = 'b'
	default:
		return nil, false
	}
	return func(b arrow.RecordBatch) rowBool {
		lo, ro := bindOperand(l, b), bindOperand(r, b)
		return func(i int) (bool, bool) {
			if lo.null(i) || ro.null(i) {
				return false, true
			}
			var c int
			switch kind {
			case 'i':
				c = cmpInt(lo.geti(i), ro.geti(i))
			case 'f':
				x, y := lo.getf(i), ro.getf(i)
				if x != x || y != y { // NaN: only != holds
					return op == "!=", false
				}
				c, _ = cmpFloat(x, y)
			case 's':
				x, y := lo.gets(i), ro.gets(i)
				switch {
				case x < y:
					c = -1
				case x > y:
					c = 1
				}
			case 'b':
				if lo.getb(i) != ro.getb(i) {
					c = 1
				}
			}
			switch op {
			case "==":
				return c == 0, false
			case "!=":
				return c != 0, false
			case "<":
				return c < 0, false
			case "<=":
				return c <= 0, false
			case ">":
				return c > 0, false
			}
			return c >= 0, false
		}
	}, true
}
