package sqlident

import (
	"strings"
	"testing"
)

// Payloads that broke or tried to break out of an identifier.
var payloads = []string{
	`x (x int); DROP TABLE victim; CREATE TABLE IF NOT EXISTS "y"`,
	`t"; DROP TABLE victim; --`,
	"t`; DROP TABLE victim; -- ",
	`t]; DROP TABLE victim; --`,
	`"`, "`", `]`, `[`, `""`, `'`, `\`, `\"`, `a.b`, "名前", "emoji 🚀", "tab\tnl\n",
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, d := range []Dialect{PostgreSQL, MySQL, SQLite, SQLServer} {
		for _, p := range payloads {
			q, err := d.Quote(p)
			if err != nil {
				t.Fatalf("%s Quote(%q): %v", d.name, p, err)
			}
			// A quoted identifier must parse back to exactly one part equal
			// to the input: nothing can escape it.
			parts, err := d.Split(q)
			if err != nil {
				t.Fatalf("%s Split(Quote(%q)=%s): %v", d.name, p, q, err)
			}
			if len(parts) != 1 || parts[0] != p {
				t.Fatalf("%s Split(%s) = %q, want [%q]", d.name, q, parts, p)
			}
			if q[0] != d.open || q[len(q)-1] != d.close {
				t.Fatalf("%s Quote(%q) = %s: not enclosed", d.name, p, q)
			}
			// Inside the quotes every close character is doubled.
			inner := q[1 : len(q)-1]
			if strings.ReplaceAll(inner, string([]byte{d.close, d.close}), "") != strings.ReplaceAll(p, string(d.close), "") {
				t.Fatalf("%s Quote(%q) = %s: an undoubled quote", d.name, p, q)
			}
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		d    Dialect
		in   string
		want []string
		err  string
	}{
		{PostgreSQL, "orders", []string{"orders"}, ""},
		{PostgreSQL, "public.orders", []string{"public", "orders"}, ""},
		{PostgreSQL, `"my.schema"."t""x"`, []string{"my.schema", `t"x`}, ""},
		{PostgreSQL, `"Orders"`, []string{"Orders"}, ""},
		{PostgreSQL, `db.s.t`, []string{"db", "s", "t"}, ""},
		{PostgreSQL, `a.b.c.d`, nil, "at most 3"},
		{PostgreSQL, `x (x int); DROP TABLE victim; CREATE TABLE IF NOT EXISTS "y"`, nil, "quote character"},
		{PostgreSQL, `"abc`, nil, "unterminated"},
		{PostgreSQL, `"a"b`, nil, "expected '.'"},
		{PostgreSQL, `a.`, nil, "ends with"},
		{PostgreSQL, `.a`, nil, "empty"},
		{PostgreSQL, ``, nil, "empty"},
		{PostgreSQL, "a\x00b", nil, "NUL"},
		{MySQL, "db.t", []string{"db", "t"}, ""},
		{MySQL, "`d.b`.`t``x`", []string{"d.b", "t`x"}, ""},
		{MySQL, "a.b.c", nil, "at most 2"},
		{MySQL, "t`; drop table x", nil, "quote character"},
		{SQLServer, "dbo.orders", []string{"dbo", "orders"}, ""},
		{SQLServer, "[my db].[dbo].[t]]x]", []string{"my db", "dbo", "t]x"}, ""},
		{SQLite, `main."t.x"`, []string{"main", "t.x"}, ""},
	}
	for _, tc := range tests {
		got, err := tc.d.Split(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s Split(%q) = %q, %v; want error containing %q", tc.d.name, tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, "\x01") != strings.Join(tc.want, "\x01") {
			t.Errorf("%s Split(%q) = %q, %v; want %q", tc.d.name, tc.in, got, err, tc.want)
		}
	}
}

func TestQuoteQualified(t *testing.T) {
	got, err := PostgreSQL.QuoteQualified(`public."we""ird.t"`)
	if err != nil || got != `"public"."we""ird.t"` {
		t.Fatalf("got %s, %v", got, err)
	}
	got, err = SQLServer.QuoteQualified(`dbo.t]`)
	if err == nil {
		t.Fatalf("unquoted ] accepted: %s", got)
	}
	if _, err := PostgreSQL.Quote(""); err == nil {
		t.Fatal("empty name accepted")
	}
}

func TestLiteral(t *testing.T) {
	if got, _ := PostgreSQL.Literal(`it's \x`); got != `'it''s \x'` {
		t.Errorf("pg literal %s", got)
	}
	if got, _ := MySQL.Literal(`it's \x`); got != `'it''s \\x'` {
		t.Errorf("mysql literal %s", got)
	}
	if _, err := PostgreSQL.Literal("a\x00"); err == nil {
		t.Error("NUL accepted")
	}
}

func FuzzSplitQuote(f *testing.F) {
	for _, p := range payloads {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []Dialect{PostgreSQL, MySQL, SQLite, SQLServer} {
			if parts, err := d.Split(s); err == nil {
				q, err := d.QuoteParts(parts...)
				if err != nil {
					t.Fatalf("parts of %q do not quote: %v", s, err)
				}
				again, err := d.Split(q)
				if err != nil || strings.Join(again, "\x00") != strings.Join(parts, "\x00") {
					t.Fatalf("%s: %q -> %q -> %s -> %q, %v", d.name, s, parts, q, again, err)
				}
			}
			if q, err := d.Quote(s); err == nil {
				parts, err := d.Split(q)
				if err != nil || len(parts) != 1 || parts[0] != s {
					t.Fatalf("%s: Quote(%q)=%s splits to %q, %v", d.name, s, q, parts, err)
				}
			}
		}
	})
}
