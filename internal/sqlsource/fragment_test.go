package sqlsource

import (
	"strings"
	"testing"
)

func TestCheckFragment(t *testing.T) {
	for _, tc := range []struct {
		sql, err string
	}{
		{"day = '2024-06-01'", ""},
		{`"a;b" = 'x;y' AND c = 'it''s;'`, ""},
		{"a = 1 /* ; */ AND b = [x;y] AND `q;` = 2", ""},
		{"1=1); DROP TABLE victim; --", "starts a second statement"},
		{"1=1;", "ends with ';'"},
		{"x = 'open", "unterminated '"},
		{`x = "open`, `unterminated "`},
		{"x = 1 /* open", "unterminated /*"},
		{"x = 1 -- rest", "comment is not allowed"},
		{"x = [open", "unterminated ["},
		{"x = 1\x00", "NUL"},
	} {
		err := CheckFragment("partition", tc.sql)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.sql, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "partition: ") {
			t.Errorf("%q: got %v, want %q", tc.sql, err, tc.err)
		}
	}
}

func FuzzCheckFragment(f *testing.F) {
	for _, s := range []string{"a = 1", "'x;y'", "1; DROP TABLE v", "/* ; */", `"q""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckFragment("where", s) == nil && strings.Count(s, ";") > 0 {
			// Every ';' of an accepted fragment is inside quotes or a block comment.
			stripped := stripQuoted(s)
			if strings.Contains(stripped, ";") {
				t.Fatalf("accepted %q with a bare ';'", s)
			}
		}
	})
}

// stripQuoted removes literals, quoted identifiers and block comments, a
// second, naive implementation to cross-check CheckFragment.
func stripQuoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := strings.IndexByte(s[i+1:], c)
			for j >= 0 && i+1+j+1 < len(s) && s[i+1+j+1] == c {
				k := strings.IndexByte(s[i+1+j+2:], c)
				if k < 0 {
					j = -1
					break
				}
				j = j + 2 + k
			}
			if j < 0 {
				return s[i:]
			}
			i += j + 1
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return s[i:]
			}
			i += j
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return s[i:]
			}
			i += j + 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
