package schedparam

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

type nodeKind uint8

const (
	// nodeName is $name or ${name}: a built-in, a custom parameter or, when
	// braced, possibly a plain date format such as ${yyyymmdd}.
	nodeName nodeKind = iota
	// nodeBiz is ${format±offset}: the business date, offset in the
	// format's smallest unit.
	nodeBiz
	// nodeCyc is $[format±days] or $[add_months(format,n)±days]: the cycle
	// time.
	nodeCyc
)

// node is one parsed parameter expression.
type node struct {
	kind   nodeKind
	pos    int    // byte offset of '$'
	expr   string // the expression as written
	name   string // nodeName
	braced bool   // nodeName: written as ${name}
	layout layout
	hasFmt bool  // nodeName: name is also a valid business-date format
	offset int64 // nodeBiz: offset in layout.unit
	months int64 // nodeCyc: add_months argument
	days   int64 // nodeCyc: whole calendar days of the offset
	secs   int64 // nodeCyc: remaining seconds of the offset, |secs| < 86400
}

func syntaxErr(pos int, expr, detail string) *Error {
	return &Error{Pos: pos, Expr: expr, Kind: ErrSyntax, Detail: detail}
}

// exprErr converts an internal error into an *Error at pos.
func exprErr(pos int, expr string, err error) *Error {
	var ke *kindError
	if errors.As(err, &ke) {
		return &Error{Pos: pos, Expr: expr, Kind: ke.kind, Detail: ke.msg}
	}
	return syntaxErr(pos, expr, err.Error())
}

// parseBraced parses the content of ${...}.
func parseBraced(pos int, expr, content string) (*node, error) {
	c := strings.TrimSpace(content)
	if c == "" {
		return nil, syntaxErr(pos, expr, "empty expression")
	}
	if isIdent(c) {
		n := &node{kind: nodeName, pos: pos, expr: expr, name: c, braced: true}
		if l, err := parseLayout(c, false); err == nil {
			n.layout, n.hasFmt = l, true
		}
		return n, nil
	}
	format, off, hasOff := splitOffset(c)
	l, err := parseLayout(format, false)
	if err != nil {
		return nil, exprErr(pos, expr, err)
	}
	n := &node{kind: nodeBiz, pos: pos, expr: expr, layout: l}
	if hasOff {
		r, err := parseRational(off)
		if err != nil {
			return nil, exprErr(pos, expr, err)
		}
		limit := int64(maxDayOffset)
		switch l.unit {
		case unitMonth:
			limit = maxMonthOffset
		case unitYear:
			limit = maxYearOffset
		}
		if n.offset, err = ratToInt(r, limit); err != nil {
			return nil, exprErr(pos, expr, err)
		}
	}
	return n, nil
}

// parseBracket parses the content of $[...].
func parseBracket(pos int, expr, content string) (*node, error) {
	c := strings.TrimSpace(content)
	if c == "" {
		return nil, syntaxErr(pos, expr, "empty expression")
	}
	n := &node{kind: nodeCyc, pos: pos, expr: expr}
	var off string
	var hasOff bool
	if rest, ok := strings.CutPrefix(c, "add_months"); ok {
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "(") {
			return nil, syntaxErr(pos, expr, "add_months needs '('")
		}
		end := closingParen(rest)
		if end < 0 {
			return nil, syntaxErr(pos, expr, "unbalanced parentheses")
		}
		format, months, found := strings.Cut(rest[1:end], ",")
		if !found {
			return nil, syntaxErr(pos, expr, "add_months needs two arguments: add_months(format, months)")
		}
		l, err := parseLayout(strings.TrimSpace(format), true)
		if err != nil {
			return nil, exprErr(pos, expr, err)
		}
		n.layout = l
		r, err := parseRational(months)
		if err != nil {
			return nil, exprErr(pos, expr, err)
		}
		if n.months, err = ratToInt(r, maxMonthOffset); err != nil {
			return nil, exprErr(pos, expr, err)
		}
		off = strings.TrimSpace(rest[end+1:])
		if off != "" {
			if off[0] != '+' && off[0] != '-' {
				return nil, syntaxErr(pos, expr, fmt.Sprintf("unexpected %q after add_months(...)", off))
			}
			hasOff = true
		}
	} else {
		var format string
		format, off, hasOff = splitOffset(c)
		l, err := parseLayout(format, true)
		if err != nil {
			return nil, exprErr(pos, expr, err)
		}
		n.layout = l
	}
	if hasOff {
		r, err := parseRational(off)
		if err != nil {
			return nil, exprErr(pos, expr, err)
		}
		if n.days, n.secs, err = splitDays(r); err != nil {
			return nil, exprErr(pos, expr, err)
		}
	}
	return n, nil
}

// splitOffset splits "yyyy-mm-dd-1" into the format "yyyy-mm-dd" and the
// offset "-1". An offset starts at the first '+' or '-' followed (after
// optional blanks) by a digit, '(' or the end of the text; any other '-' is
// a separator of the format.
func splitOffset(s string) (format, offset string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '+' && s[i] != '-' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j == len(s) || isDigit(s[j]) || s[j] == '(' {
			return strings.TrimRight(s[:i], " \t"), s[i:], true
		}
	}
	return s, "", false
}

// closingParen returns the index of the ')' matching s[0] == '(', or -1.
func closingParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

var secondsPerDay = big.NewRat(86400, 1)

// splitDays converts an exact offset in days into whole calendar days and
// remaining seconds (both with the sign of r). It fails unless the offset
// is a whole number of seconds within the offset limit.
func splitDays(r *big.Rat) (days, secs int64, err error) {
	s := new(big.Rat).Mul(r, secondsPerDay)
	if !s.IsInt() {
		return 0, 0, fmt.Errorf("offset %s days is not a whole number of seconds", r.RatString())
	}
	total, err := ratToInt(s, maxDayOffset*86400)
	if err != nil {
		return 0, 0, &kindError{ErrRange, fmt.Sprintf("offset %s days exceeds the limit of ±%d days", r.RatString(), maxDayOffset)}
	}
	return total / 86400, total % 86400, nil
}
