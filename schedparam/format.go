package schedparam

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// token is one element of a date format such as "yyyy-mm-dd hh24:mi:ss".
type token uint8

const (
	tokLit token = iota
	tokYYYY
	tokYY
	tokMM
	tokDD
	tokHH24
	tokMI
	tokSS
)

// unit is the smallest calendar unit that a format shows.
type unit uint8

const (
	unitNone unit = iota
	unitYear
	unitMonth
	unitDay
	unitTime
)

type part struct {
	tok token
	lit string
}

// layout is a parsed date format.
type layout struct {
	parts []part
	unit  unit
}

var dateTokens = []struct {
	text string
	tok  token
	unit unit
}{
	{"yyyy", tokYYYY, unitYear},
	{"yy", tokYY, unitYear},
	{"mm", tokMM, unitMonth},
	{"dd", tokDD, unitDay},
	{"hh24", tokHH24, unitTime},
	{"mi", tokMI, unitTime},
	{"ss", tokSS, unitTime},
}

// errNotFormat marks a word that is not a format token; the caller decides
// whether that is an unknown parameter or a malformed expression.
var errNotFormat = errors.New("not a date format")

// parseLayout parses a format made of the tokens yyyy yy mm dd (plus hh24 mi
// ss when withTime is set) and separator characters.
func parseLayout(s string, withTime bool) (layout, error) {
	var l layout
	lit := -1 // start of the pending literal run
	flush := func(i int) {
		if lit >= 0 {
			l.parts = append(l.parts, part{tok: tokLit, lit: s[lit:i]})
			lit = -1
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if isLetter(c) {
			matched := false
			for _, t := range dateTokens {
				if t.unit == unitTime && !withTime {
					continue
				}
				if strings.HasPrefix(s[i:], t.text) {
					flush(i)
					l.parts = append(l.parts, part{tok: t.tok})
					l.unit = max(l.unit, t.unit)
					i += len(t.text)
					matched = true
					break
				}
			}
			if !matched {
				j := i
				for j < len(s) && isIdentByte(s[j]) {
					j++
				}
				return layout{}, fmt.Errorf("%w: unknown token %q", errNotFormat, s[i:j])
			}
			continue
		}
		if isDigit(c) || strings.IndexByte("${}[](),*+=", c) >= 0 {
			return layout{}, fmt.Errorf("unexpected %q in date format", s[i:])
		}
		if lit < 0 {
			lit = i
		}
		i++
	}
	flush(len(s))
	if l.unit == unitNone {
		return layout{}, fmt.Errorf("%w: no date token", errNotFormat)
	}
	return l, nil
}

// format renders t (in its own location) with the layout.
func (l layout) format(t time.Time) string {
	y, m, d := t.Date()
	hh, mi, ss := t.Clock()
	b := make([]byte, 0, 20)
	for _, p := range l.parts {
		switch p.tok {
		case tokLit:
			b = append(b, p.lit...)
		case tokYYYY:
			b = pad(b, y, 4)
		case tokYY:
			b = pad(b, y%100, 2)
		case tokMM:
			b = pad(b, int(m), 2)
		case tokDD:
			b = pad(b, d, 2)
		case tokHH24:
			b = pad(b, hh, 2)
		case tokMI:
			b = pad(b, mi, 2)
		case tokSS:
			b = pad(b, ss, 2)
		}
	}
	return string(b)
}

// pad appends the non-negative n with at least width digits.
func pad(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

// isIdent reports whether s matches [A-Za-z_][A-Za-z0-9_]*.
func isIdent(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}
