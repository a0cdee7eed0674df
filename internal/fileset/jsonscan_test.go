package fileset

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidJSON: ValidJSON accepts exactly what json.Valid accepts.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, ` [1, 2.5e-3, "x\u00e9", true, false, null] `, `{"a":{"b":[{}]}}`, `01`, `1.`, `-`, `"\x"`,
		`"a` + "\t" + `"`, `{"a" 1}`, `[1,]`, `{"a":1,}`, `nul`, "\"\xff\"", `""`, ``, ` `, `{}x`, `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	for _, n := range []int{10000, 10001} { // encoding/json's depth limit
		f.Add([]byte(strings.Repeat("[", n) + strings.Repeat("]", n)))
		f.Add([]byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := ValidJSON(b), json.Valid(b); got != want {
			t.Fatalf("%q: ValidJSON %v, json.Valid %v", b, got, want)
		}
	})
}

// TestValidJSONStringBlocks puts each byte that matters inside a string (a
// quote, a backslash escape, a control character, bytes next to them in
// value) at every offset of strings up to 40 bytes, so that the scanner's
// 8-byte skip meets it at every position of a block and at the tail.
func TestValidJSONStringBlocks(t *testing.T) {
	specials := []string{`"`, `\"`, `\\`, `\n`, `\u00e9`, `\x`, "\x00", "\x1f", " ", "!", "#", "[", "]", "\x7f", "\xc3\xa9", "\\"}
	for n := 0; n <= 40; n++ {
		for at := 0; at <= n; at++ {
			for _, sp := range specials {
				body := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				for _, doc := range []string{`"` + body + `"`, `{"k":"` + body + `","z":1}`, `"` + body} {
					if got, want := ValidJSON([]byte(doc)), json.Valid([]byte(doc)); got != want {
						t.Fatalf("%q: ValidJSON %v, json.Valid %v", doc, got, want)
					}
				}
			}
		}
	}
}
