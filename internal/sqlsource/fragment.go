package sqlsource

import (
	"fmt"
)

// CheckFragment reports an SQL fragment the user gave on purpose (a where
// condition, a partition predicate, a querySql) that would run more than one
// statement: a ';' outside string literals, quoted identifiers and comments,
// with anything but white space after it. Drivers that execute every
// statement of a string (modernc.org/sqlite does) would otherwise run
// `1=1); DROP TABLE victim; --` as two statements. An unterminated literal,
// quoted identifier or block comment is refused too, since it would swallow
// the SQL the reader or writer puts after the fragment. what names the
// parameter in the error.
func CheckFragment(what, sql string) error {
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '\'', '"', '`':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return fmt.Errorf("%s: unterminated %c at byte %d", what, c, i)
			}
			i = j
		case '[':
			j := i + 1
			for j < len(sql) && sql[j] != ']' {
				j++
			}
			if j >= len(sql) {
				return fmt.Errorf("%s: unterminated [ at byte %d", what, i)
			}
			i = j
		case '-':
			if i+1 < len(sql) && sql[i+1] == '-' {
				// A line comment would swallow what follows the fragment on
				// the same line (a closing parenthesis).
				return fmt.Errorf("%s: a -- comment is not allowed (it would comment out the rest of the statement)", what)
			}
		case '/':
			if i+1 < len(sql) && sql[i+1] == '*' {
				j := i + 2
				for j+1 < len(sql) && !(sql[j] == '*' && sql[j+1] == '/') {
					j++
				}
				if j+1 >= len(sql) {
					return fmt.Errorf("%s: unterminated /* comment at byte %d", what, i)
				}
				i = j + 1
			}
		case ';':
			for j := i + 1; j < len(sql); j++ {
				if !isSpace(sql[j]) {
					return fmt.Errorf("%s: ';' at byte %d starts a second statement; give one expression", what, i)
				}
			}
			return fmt.Errorf("%s: ends with ';'; give one expression", what)
		case 0:
			return fmt.Errorf("%s: holds a NUL byte", what)
		}
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
