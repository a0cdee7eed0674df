package transform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/ferrydata/ferry"
)

// dx_groovy runs Groovy code in DataX's JVM; Ferry has no JVM. Building it
// fails, and when the code is a simple one the error shows the equivalent
// Ferry "compute" transforms. Simple means: statements that declare
// variables (Column c = record.getColumn(1); String v = c.asString()),
// set columns (record.setColumn(1, new StringColumn(expr))) and end with
// return record, over expressions made of string literals, integers, +,
// and the methods asString, toUpperCase, toLowerCase, trim, substring,
// replace and length. DataX's own documented substr and replace examples
// are simple; loops and conditions are not.

type groovyParams struct {
	Code         string   `json:"code"`
	ExtraPackage []string `json:"extraPackage"`
}

func buildGroovy(raw json.RawMessage, _ *Options) (ferry.Transformer, error) {
	var p groovyParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("transform: dx_groovy: parameter: %w", err)
	}
	const base = "transform: dx_groovy: Groovy code needs DataX's JVM, which Ferry does not have; rewrite it as Ferry transforms (compute, filter, replace: see the transform package)"
	specs, ok := groovyToFerry(p.Code)
	if !ok {
		return nil, fmt.Errorf("%s; code: %q", base, strings.TrimSpace(p.Code))
	}
	return nil, fmt.Errorf("%s; the equivalent of this code is: %s", base, strings.Join(specs, ", "))
}

var (
	groovySet  = regexp.MustCompile(`^record\.setColumn\(\s*(\d+)\s*,\s*(.+)\)$`)
	groovyDecl = regexp.MustCompile(`^(?:def|var|final|Column|String|Object|int|long)\s+([A-Za-z_]\w*)\s*=\s*(.+)$`)
)

// groovyToFerry translates simple dx_groovy code into Ferry compute specs.
func groovyToFerry(code string) ([]string, bool) {
	vars := map[string]string{}
	var specs []string
	returned := false
	for _, st := range splitStatements(code) {
		if returned {
			return nil, false
		}
		if st == "return record" {
			returned = true
			continue
		}
		if m := groovyDecl.FindStringSubmatch(st); m != nil {
			ex, ok := groovyExpr(m[2], vars)
			if !ok {
				return nil, false
			}
			vars[m[1]] = ex
			continue
		}
		m := groovySet.FindStringSubmatch(st)
		if m == nil {
			return nil, false
		}
		ex, ok := groovyExpr(m[2], vars)
		if !ok {
			return nil, false
		}
		n, _ := strconv.Atoi(m[1])
		b, _ := json.Marshal(map[string]any{"name": "compute", "parameter": map[string]any{"columnIndex": n, "expr": ex}})
		specs = append(specs, string(b))
	}
	return specs, returned && len(specs) > 0
}

func splitStatements(code string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(code, func(r rune) bool { return r == ';' || r == '\n' }) {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "//"); i == 0 {
			continue
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// groovyExpr translates one Groovy expression into a Ferry expression.
func groovyExpr(src string, vars map[string]string) (string, bool) {
	p := &groovyParser{src: src, vars: vars}
	ex, ok := p.sum()
	p.space()
	return ex, ok && p.pos == len(p.src)
}

// groovyParser is a recursive-descent parser of the simple expressions:
//
//	sum     = term { "+" term }
//	term    = primary { "." method "(" [ sum { "," sum } ] ")" }
//	primary = string | integer | name | record.getColumn(N) | new XColumn(sum) | "(" sum ")"
type groovyParser struct {
	src  string
	pos  int
	vars map[string]string
}

func (p *groovyParser) space() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' || p.pos < len(p.src) && p.src[p.pos] == '\t' {
		p.pos++
	}
}

func (p *groovyParser) eat(s string) bool {
	p.space()
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *groovyParser) name() string {
	p.space()
	i := p.pos
	for p.pos < len(p.src) && (p.src[p.pos] == '_' || unicode.IsLetter(rune(p.src[p.pos])) || (p.pos > i && unicode.IsDigit(rune(p.src[p.pos])))) {
		p.pos++
	}
	return p.src[i:p.pos]
}

func (p *groovyParser) sum() (string, bool) {
	ex, ok := p.term()
	for ok && p.eat("+") {
		var r string
		if r, ok = p.term(); ok {
			ex = ex + " + " + r
		}
	}
	return ex, ok
}

func (p *groovyParser) term() (string, bool) {
	ex, ok := p.primary()
	for ok && p.eat(".") {
		m := p.name()
		if !p.eat("(") {
			return "", false
		}
		var args []string
		if !p.eat(")") {
			for {
				a, ok := p.sum()
				if !ok {
					return "", false
				}
				args = append(args, a)
				if p.eat(")") {
					break
				}
				if !p.eat(",") {
					return "", false
				}
			}
		}
		if ex, ok = groovyMethod(ex, m, args); !ok {
			return "", false
		}
	}
	return ex, ok
}

func groovyMethod(x, m string, args []string) (string, bool) {
	switch {
	case m == "asString" && len(args) == 0:
		return x, true
	case m == "toUpperCase" && len(args) == 0:
		return "upper(" + x + ")", true
	case m == "toLowerCase" && len(args) == 0:
		return "lower(" + x + ")", true
	case m == "trim" && len(args) == 0:
		return "trim(" + x + ")", true
	case m == "length" && len(args) == 0:
		return "len(" + x + ")", true
	case m == "replace" && len(args) == 2:
		return "replace(" + x + ", " + args[0] + ", " + args[1] + ")", true
	case m == "substring" && len(args) == 1:
		return "substr(" + x + ", " + args[0] + ")", true
	case m == "substring" && len(args) == 2:
		if args[1] == "len("+x+")" {
			return "substr(" + x + ", " + args[0] + ")", true
		}
		a, err1 := strconv.Atoi(args[0])
		b, err2 := strconv.Atoi(args[1])
		if err1 != nil || err2 != nil || b < a {
			return "", false
		}
		return fmt.Sprintf("substr(%s, %d, %d)", x, a, b-a), true
	}
	return "", false
}

func (p *groovyParser) primary() (string, bool) {
	p.space()
	if p.pos >= len(p.src) {
		return "", false
	}
	switch c := p.src[p.pos]; {
	case c == '"' || c == '\'':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			return "", false
		}
		lit := p.src[p.pos+1 : p.pos+1+end]
		if strings.ContainsAny(lit, `\$`) {
			return "", false // escapes and GString interpolation are not simple
		}
		p.pos += end + 2
		return strconv.Quote(lit), true
	case c >= '0' && c <= '9':
		i := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		return p.src[i:p.pos], true
	case c == '(':
		p.pos++
		ex, ok := p.sum()
		if !ok || !p.eat(")") {
			return "", false
		}
		return "(" + ex + ")", true
	}
	if p.eat("record.getColumn(") {
		n := p.name()
		p.space()
		i := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		digits := p.src[i:p.pos]
		if n != "" || digits == "" || !p.eat(")") {
			return "", false
		}
		return "col(" + digits + ")", true
	}
	if p.eat("new ") {
		if t := p.name(); !strings.HasSuffix(t, "Column") || !p.eat("(") {
			return "", false
		}
		ex, ok := p.sum()
		if !ok || !p.eat(")") {
			return "", false
		}
		return ex, true
	}
	n := p.name()
	if v, ok := p.vars[n]; ok && n != "" {
		return v, true
	}
	return "", false
}
