package schedparam

import (
	"sort"
	"strings"
)

// Template is a text parsed once into literal runs and parameter
// expressions; execute it with a Resolver for many cycle times. A Template
// is immutable and safe for concurrent use.
type Template struct {
	text  string
	segs  []segment
	names []string
}

// segment is either a literal run (node == nil) or an expression.
type segment struct {
	lit  string
	node *node
}

// maxQuoted bounds how much of an unterminated expression an error quotes.
const maxQuoted = 40

// Parse parses text into a Template. It reports malformed expressions and
// unbalanced brackets; unknown parameters are reported when the template is
// executed, since they depend on the custom parameters.
func Parse(text string) (*Template, error) {
	t := &Template{text: text}
	lit := 0 // start of the pending literal run
	seen := map[string]bool{}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '$')
		if j < 0 {
			break
		}
		i += j
		if i+1 >= len(text) {
			break // trailing '$'
		}
		var n *node
		var end int // index just past the expression
		var err error
		switch c := text[i+1]; {
		case c == '{' || c == '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			k := strings.IndexByte(text[i+2:], closer)
			if k < 0 {
				return nil, &Error{Pos: i, Expr: quoteStart(text[i:]), Kind: ErrSyntax,
					Detail: "missing closing '" + string(closer) + "'"}
			}
			end = i + 2 + k + 1
			expr, content := text[i:end], text[i+2:end-1]
			if len(content) > maxExprLen {
				return nil, &Error{Pos: i, Expr: quoteStart(expr), Kind: ErrSyntax, Detail: "expression too long"}
			}
			if c == '{' {
				n, err = parseBraced(i, expr, content)
			} else {
				n, err = parseBracket(i, expr, content)
			}
			if err != nil {
				return nil, err
			}
		case isLetter(c) || c == '_':
			end = i + 2
			for end < len(text) && isIdentByte(text[end]) {
				end++
			}
			n = &node{kind: nodeName, pos: i, expr: text[i:end], name: text[i+1 : end]}
		default:
			i++ // a '$' that starts no parameter is left alone
			continue
		}
		if lit < i {
			t.segs = append(t.segs, segment{lit: text[lit:i]})
		}
		t.segs = append(t.segs, segment{node: n})
		if n.kind == nodeName && !seen[n.name] {
			seen[n.name] = true
			t.names = append(t.names, n.name)
		}
		i, lit = end, end
	}
	if lit < len(text) {
		t.segs = append(t.segs, segment{lit: text[lit:]})
	}
	sort.Strings(t.names)
	return t, nil
}

// String returns the text the template was parsed from.
func (t *Template) String() string {
	if t == nil {
		return ""
	}
	return t.text
}

// Names returns, sorted, the names referenced as $name or ${name}:
// built-ins, custom parameters and plain formats such as "yyyymmdd".
func (t *Template) Names() []string {
	if t == nil {
		return nil
	}
	return append([]string(nil), t.names...)
}

func quoteStart(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "..."
}
