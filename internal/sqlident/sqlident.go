// Package sqlident quotes SQL identifiers, one audited function per dialect.
//
// Every name that reaches SQL text from a URL, a job file or a schema goes
// through Quote or QuoteQualified. Quote never passes a name through: the
// dialect's closing quote character is doubled, so any string, including one
// that already holds quotes, becomes exactly one identifier. A NUL byte or an
// empty name is refused, because no dialect can carry it.
package sqlident

import (
	"errors"
	"fmt"
	"strings"
)

// A Dialect is the identifier quoting of one SQL engine.
type Dialect struct {
	name        string
	open, close byte
	maxParts    int
}

// The dialects.
var (
	// PostgreSQL quotes with double quotes; a name has up to 3 parts
	// (database.schema.table).
	PostgreSQL = Dialect{"postgresql", '"', '"', 3}
	// MySQL quotes with backquotes; a name has up to 2 parts (db.table).
	MySQL = Dialect{"mysql", '`', '`', 2}
	// SQLite quotes with double quotes; a name has up to 2 parts
	// (schema.table).
	SQLite = Dialect{"sqlite", '"', '"', 2}
	// SQLServer quotes with brackets; a name has up to 3 parts
	// (database.schema.table).
	SQLServer = Dialect{"sqlserver", '[', ']', 3}
)

// ErrBadName is wrapped by every error about a name that cannot be quoted.
var ErrBadName = errors.New("bad identifier")

// Name returns the dialect's name.
func (d Dialect) Name() string { return d.name }

// Quote returns ident as one quoted identifier of the dialect. ident is taken
// literally, dots included: use QuoteQualified for "schema.table". A name that
// is empty or holds a NUL byte gives an error.
func (d Dialect) Quote(ident string) (string, error) {
	if err := check(ident); err != nil {
		return "", err
	}
	return d.quote(ident), nil
}

// MustQuote is Quote for names that were already checked (column names read
// from the database's own catalog, or checked by Check). It panics on a name
// Quote refuses.
func (d Dialect) MustQuote(ident string) string {
	q, err := d.Quote(ident)
	if err != nil {
		panic("sqlident: " + err.Error())
	}
	return q
}

func (d Dialect) quote(ident string) string {
	var b strings.Builder
	b.Grow(len(ident) + 2)
	b.WriteByte(d.open)
	for i := 0; i < len(ident); i++ {
		c := ident[i]
		if c == d.close {
			b.WriteByte(c)
		}
		b.WriteByte(c)
	}
	b.WriteByte(d.close)
	return b.String()
}

// Check reports whether ident can be quoted (it is not empty and has no NUL).
func Check(ident string) error { return check(ident) }

func check(ident string) error {
	switch {
	case ident == "":
		return fmt.Errorf("sqlident: %w: empty name", ErrBadName)
	case strings.IndexByte(ident, 0) >= 0:
		return fmt.Errorf("sqlident: %w: name %q holds a NUL byte", ErrBadName, ident)
	}
	return nil
}

// Split parses a possibly qualified name into its parts: "s.t" is [s t];
// quoted parts may hold dots and doubled quote characters ("a.b"."c""d" is
// [a.b c"d] in PostgreSQL). Unquoted parts are taken as written (no case
// folding) and must not hold the dialect's quote characters. Surrounding
// spaces are not trimmed.
func (d Dialect) Split(name string) ([]string, error) {
	var parts []string
	i := 0
	for {
		var part string
		if i < len(name) && name[i] == d.open {
			// A quoted part runs to the first closing quote that is not
			// doubled.
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(name) {
				c := name[j]
				if c == d.close {
					if j+1 < len(name) && name[j+1] == d.close {
						b.WriteByte(c)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(c)
				j++
			}
			if !closed {
				return nil, fmt.Errorf("sqlident: %w: %q: unterminated quoted part", ErrBadName, name)
			}
			part = b.String()
			i = j
		} else {
			j := i
			for j < len(name) && name[j] != '.' {
				if c := name[j]; c == d.open || c == d.close {
					return nil, fmt.Errorf("sqlident: %w: %q: quote character %q inside an unquoted part", ErrBadName, name, c)
				}
				j++
			}
			part = name[i:j]
			i = j
		}
		if err := check(part); err != nil {
			return nil, fmt.Errorf("sqlident: %w: %q: empty or NUL part", ErrBadName, name)
		}
		parts = append(parts, part)
		if i == len(name) {
			break
		}
		if name[i] != '.' {
			return nil, fmt.Errorf("sqlident: %w: %q: expected '.' after a quoted part at byte %d", ErrBadName, name, i)
		}
		i++
		if i == len(name) {
			return nil, fmt.Errorf("sqlident: %w: %q: ends with '.'", ErrBadName, name)
		}
	}
	if len(parts) > d.maxParts {
		return nil, fmt.Errorf("sqlident: %w: %q has %d parts; %s names have at most %d", ErrBadName, name, len(parts), d.name, d.maxParts)
	}
	return parts, nil
}

// QuoteQualified parses name with Split and quotes every part:
// `s.t` becomes "s"."t" in PostgreSQL.
func (d Dialect) QuoteQualified(name string) (string, error) {
	parts, err := d.Split(name)
	if err != nil {
		return "", err
	}
	for i, p := range parts {
		parts[i] = d.quote(p)
	}
	return strings.Join(parts, "."), nil
}

// QuoteParts quotes each part and joins them with dots.
func (d Dialect) QuoteParts(parts ...string) (string, error) {
	out := make([]string, len(parts))
	for i, p := range parts {
		q, err := d.Quote(p)
		if err != nil {
			return "", err
		}
		out[i] = q
	}
	return strings.Join(out, "."), nil
}

// QuoteList quotes each name (unqualified) and joins them with ", ".
func (d Dialect) QuoteList(names []string) (string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		q, err := d.Quote(n)
		if err != nil {
			return "", err
		}
		out[i] = q
	}
	return strings.Join(out, ", "), nil
}

// Literal returns s as a string literal of the dialect ('it”s'; in MySQL
// backslashes are doubled too, since MySQL reads them as escapes). It is for
// the few places where a value cannot be bound (DDL, COPY options); bind
// values everywhere else. A NUL byte is refused.
func (d Dialect) Literal(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("sqlident: literal %q holds a NUL byte", s)
	}
	s = strings.ReplaceAll(s, "'", "''")
	if d.open == '`' {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return "'" + s + "'", nil
}
