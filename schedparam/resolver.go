package schedparam

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// DefaultMaxOutput is the default limit, in bytes, on any resolved text or
// custom parameter value.
const DefaultMaxOutput = 16 << 20

// Resolver resolves texts against a fixed set of custom parameters. Custom
// parameter expressions are parsed once, in NewResolver. A Resolver is safe
// for concurrent use as long as MaxOutput is not changed meanwhile. The zero
// value, and a nil *Resolver, resolve texts without custom parameters.
type Resolver struct {
	// MaxOutput limits the length in bytes of any resolved text or custom
	// parameter value; 0 means DefaultMaxOutput.
	MaxOutput int

	params map[string]*Template
	errs   map[string]error
}

// NewResolver returns a Resolver for the custom parameters params (name →
// expression). An expression that fails to parse is reported only when it
// is referenced, or by ResolveAll.
func NewResolver(params map[string]string) *Resolver {
	r := &Resolver{params: make(map[string]*Template, len(params)), errs: map[string]error{}}
	for name, expr := range params {
		t, err := Parse(expr)
		if err != nil {
			if e, ok := err.(*Error); ok {
				cp := *e
				cp.Param = name
				err = &cp
			}
			r.errs[name] = err
			continue
		}
		r.params[name] = t
	}
	return r
}

// Resolve replaces every scheduling parameter in text by its value for a
// run scheduled at cyc, with the custom parameters params. See the package
// documentation for the syntax.
func Resolve(text string, cyc time.Time, params map[string]string) (string, error) {
	return NewResolver(params).Resolve(text, cyc)
}

// ResolveAll resolves every custom parameter in params for a run scheduled
// at cyc and returns their values by name.
func ResolveAll(params map[string]string, cyc time.Time) (map[string]string, error) {
	return NewResolver(params).ResolveAll(cyc)
}

// Resolve parses and resolves text for a run scheduled at cyc.
func (r *Resolver) Resolve(text string, cyc time.Time) (string, error) {
	t, err := Parse(text)
	if err != nil {
		return "", err
	}
	return r.Execute(t, cyc)
}

// Execute resolves a parsed template for a run scheduled at cyc. A nil
// template resolves to the empty string.
func (r *Resolver) Execute(t *Template, cyc time.Time) (string, error) {
	if t == nil {
		return "", nil
	}
	return r.newEval(cyc).exec(t, "")
}

// ResolveAll resolves every custom parameter for a run scheduled at cyc.
// When several fail, the error of the first name in sorted order is
// returned.
func (r *Resolver) ResolveAll(cyc time.Time) (map[string]string, error) {
	if r == nil {
		return map[string]string{}, nil
	}
	names := make([]string, 0, len(r.params)+len(r.errs))
	for name := range r.params {
		names = append(names, name)
	}
	for name := range r.errs {
		names = append(names, name)
	}
	sort.Strings(names)
	e := r.newEval(cyc)
	out := make(map[string]string, len(names))
	for _, name := range names {
		v, err := e.param(name)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func (r *Resolver) maxOutput() int {
	if r != nil && r.MaxOutput > 0 {
		return r.MaxOutput
	}
	return DefaultMaxOutput
}

// eval holds the state of one resolution: memoized custom parameter values
// (so shared references cost nothing) and the chain of parameters being
// resolved (for cycle detection).
type eval struct {
	r     *Resolver
	cyc   time.Time
	memo  map[string]string
	stack []string
}

func (r *Resolver) newEval(cyc time.Time) *eval {
	if r == nil {
		r = &Resolver{} // a nil Resolver has no custom parameters
	}
	return &eval{r: r, cyc: cyc, memo: map[string]string{}}
}

// exec resolves t, which is the expression of custom parameter param, or
// the text itself when param is "".
func (e *eval) exec(t *Template, param string) (string, error) {
	if len(t.segs) == 1 && t.segs[0].node == nil {
		return t.segs[0].lit, nil
	}
	var b strings.Builder
	limit := e.r.maxOutput()
	pos := 0 // byte offset of the segment in t's text
	for _, s := range t.segs {
		if s.node == nil {
			b.WriteString(s.lit)
		} else {
			v, err := e.node(s.node)
			if err != nil {
				if pe, ok := err.(*Error); ok && pe.Param == "" && param != "" {
					cp := *pe
					cp.Param = param
					err = &cp
				}
				return "", err
			}
			b.WriteString(v)
		}
		expr := s.lit
		if s.node != nil {
			expr = s.node.expr
		}
		if b.Len() > limit {
			return "", &Error{Param: param, Pos: pos, Expr: quoteStart(expr), Kind: ErrRange,
				Detail: fmt.Sprintf("output exceeds %d bytes", limit)}
		}
		pos += len(expr)
	}
	return b.String(), nil
}

// param resolves the custom parameter name; the caller has checked that it
// is not already being resolved.
func (e *eval) param(name string) (string, error) {
	if v, ok := e.memo[name]; ok {
		return v, nil
	}
	if err := e.r.errs[name]; err != nil {
		return "", err
	}
	e.stack = append(e.stack, name)
	v, err := e.exec(e.r.params[name], name)
	e.stack = e.stack[:len(e.stack)-1]
	if err != nil {
		return "", err
	}
	e.memo[name] = v
	return v, nil
}

func (r *Resolver) has(name string) bool {
	if _, ok := r.params[name]; ok {
		return true
	}
	_, ok := r.errs[name]
	return ok
}

// node resolves one expression. Errors are returned with an empty Param;
// exec fills it in.
func (e *eval) node(n *node) (string, error) {
	switch n.kind {
	case nodeBiz:
		return e.bizFormat(n, n.offset)
	case nodeCyc:
		return e.cycFormat(n)
	}
	if v, ok, err := e.builtin(n); ok {
		return v, err
	}
	if e.r.has(n.name) {
		for i, s := range e.stack {
			if s == n.name {
				chain := append(append([]string(nil), e.stack[i:]...), n.name)
				return "", &Error{Pos: n.pos, Expr: n.expr, Kind: ErrCycle,
					Detail: strings.Join(chain, " -> ")}
			}
		}
		return e.param(n.name)
	}
	switch {
	case n.braced && n.hasFmt:
		return e.bizFormat(n, 0)
	case !n.braced && n.name[0] == '_':
		return n.expr, nil // $_x that names no custom parameter is left alone
	}
	err := &Error{Pos: n.pos, Expr: n.expr, Kind: ErrUnknownParameter}
	if _, lerr := parseLayout(n.name, true); lerr == nil {
		if n.braced {
			err.Detail = "hh24, mi and ss format the cycle time: use $[...]"
		} else {
			err.Detail = "write date formats as ${...} or $[...]"
		}
	}
	return "", err
}

// Built-in parameter names. They are reserved: a custom parameter with one
// of these names can be resolved by ResolveAll but is never referenced.
const (
	// BuiltinBizdate is the business date, yyyymmdd.
	BuiltinBizdate = "bizdate"
	// BuiltinCyctime is the cycle time, yyyymmddhh24miss.
	BuiltinCyctime = "cyctime"
	// BuiltinGmtdate is the scheduled date, yyyymmdd.
	BuiltinGmtdate = "gmtdate"
	// BuiltinBizmonth is the business month, yyyymm: the business date's
	// month, or the month before it when that is the scheduled date's month.
	BuiltinBizmonth = "bizmonth"
)

var (
	layoutDate     = layout{parts: []part{{tok: tokYYYY}, {tok: tokMM}, {tok: tokDD}}, unit: unitDay}
	layoutMonth    = layout{parts: []part{{tok: tokYYYY}, {tok: tokMM}}, unit: unitMonth}
	layoutDateTime = layout{parts: []part{{tok: tokYYYY}, {tok: tokMM}, {tok: tokDD},
		{tok: tokHH24}, {tok: tokMI}, {tok: tokSS}}, unit: unitTime}
)

func (e *eval) builtin(n *node) (string, bool, error) {
	var t time.Time
	var l layout
	switch n.name {
	case BuiltinBizdate:
		t, l = civilBizDate(e.cyc), layoutDate
	case BuiltinCyctime:
		t, l = e.cyc, layoutDateTime
	case BuiltinGmtdate:
		t, l = e.cyc, layoutDate
	case BuiltinBizmonth:
		biz := civilBizDate(e.cyc)
		t, l = biz, layoutMonth
		if biz.Month() == e.cyc.Month() {
			t = addMonths(biz, -1)
		}
	default:
		return "", false, nil
	}
	v, err := e.render(n, t, l)
	return v, true, err
}

func (e *eval) render(n *node, t time.Time, l layout) (string, error) {
	if !inRange(e.cyc) || !inRange(t) {
		return "", &Error{Pos: n.pos, Expr: n.expr, Kind: ErrRange,
			Detail: fmt.Sprintf("date outside years %d..%d", minYear, maxYear)}
	}
	return l.format(t), nil
}

// bizFormat formats the business date moved by off units of the format's
// smallest unit.
func (e *eval) bizFormat(n *node, off int64) (string, error) {
	t := civilBizDate(e.cyc)
	if inRange(e.cyc) {
		switch n.layout.unit {
		case unitYear:
			t = addMonths(t, int(off)*12)
		case unitMonth:
			t = addMonths(t, int(off))
		default:
			t = t.AddDate(0, 0, int(off))
		}
	}
	return e.render(n, t, n.layout)
}

// cycFormat formats the cycle time after add_months, then whole calendar
// days, then the remaining seconds as an absolute duration.
func (e *eval) cycFormat(n *node) (string, error) {
	t := e.cyc
	if inRange(t) {
		t = addMonths(t, int(n.months))
		if n.days != 0 {
			t = t.AddDate(0, 0, int(n.days))
		}
		t = t.Add(time.Duration(n.secs) * time.Second)
	}
	return e.render(n, t, n.layout)
}
