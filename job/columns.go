package job

import (
	"regexp"
	"strconv"
	"strings"
)

// A DataX reader column is a name, a constant or an SQL expression; the
// list is joined verbatim into DataX's SELECT.
type colKind int

const (
	colName colKind = iota
	colConst
	colNull
	colExpr
)

type readerCol struct {
	kind  colKind
	text  string // the name (unquoted), the constant's value, or the expression
	typ   string // the constant's type: utf8, int64, float64, bool
	given string // as written
}

var (
	plainName = regexp.MustCompile(`^[A-Za-z_\p{L}][A-Za-z0-9_$\p{L}\p{N}]*$`)
	intLit    = regexp.MustCompile(`^[+-]?[0-9]+$`)
	floatLit  = regexp.MustCompile(`^[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?[0-9]+[eE][+-]?[0-9]+$`)
)

// classify sorts one reader column entry.
func classify(s string) readerCol {
	t := strings.TrimSpace(s)
	c := readerCol{given: s, text: t}
	switch {
	case strings.EqualFold(t, "null"):
		c.kind = colNull
	case strings.EqualFold(t, "true") || strings.EqualFold(t, "false"):
		c.kind, c.typ, c.text = colConst, "bool", strings.ToLower(t)
	case intLit.MatchString(t):
		if _, err := strconv.ParseInt(t, 10, 64); err == nil {
			c.kind, c.typ = colConst, "int64"
		} else {
			c.kind = colExpr
		}
	case floatLit.MatchString(t):
		c.kind, c.typ = colConst, "float64"
	case len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' && !strings.Contains(strings.ReplaceAll(t[1:len(t)-1], "''", ""), "'"):
		c.kind, c.typ, c.text = colConst, "utf8", strings.ReplaceAll(t[1:len(t)-1], "''", "'")
	case plainName.MatchString(t):
		c.kind = colName
	case len(t) >= 2 && (t[0] == '`' && t[len(t)-1] == '`' || t[0] == '"' && t[len(t)-1] == '"' || t[0] == '[' && t[len(t)-1] == ']'):
		inner := t[1 : len(t)-1]
		q := string(t[0])
		if t[0] == '[' {
			q = "]"
		}
		if !strings.Contains(strings.ReplaceAll(inner, q+q, ""), q) && inner != "" {
			c.kind, c.text = colName, strings.ReplaceAll(inner, q+q, q)
		} else {
			c.kind = colExpr
		}
	default:
		c.kind = colExpr
	}
	return c
}
