package mssqlx

import (
	"strings"
	"testing"
)

// FuzzParseDecimal checks that the parser of the driver's decimal text
// never panics and that what it accepts prints back to the same number.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "123.4500", "922337203685477.5807", strings.Repeat("9", 38), "1e5", "", "-", "."} {
		f.Add(s, int8(38), int8(4))
	}
	f.Fuzz(func(t *testing.T, s string, prec, scale int8) {
		p, sc := int32(prec)%39, int32(scale)%39
		if p < 1 || sc < 0 || sc > p {
			return
		}
		n, err := ParseDecimal([]byte(s), p, sc)
		if err != nil {
			return
		}
		back, err := ParseDecimal([]byte(n.ToString(sc)), p, sc)
		if err != nil || back != n {
			t.Fatalf("%q -> %s -> %v %v", s, n.ToString(sc), back, err)
		}
	})
}

// FuzzParseTypeName checks that type names never panic the parser.
func FuzzParseTypeName(f *testing.F) {
	for _, s := range []string{"nvarchar(50)", "decimal(38,10)", "varchar(max)", "time", "x(", "int(99999999999999999999)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseTypeName(s)
		if err == nil {
			_ = c.Decl()
			c.Name = "c"
			c.Field()
		}
	})
}
