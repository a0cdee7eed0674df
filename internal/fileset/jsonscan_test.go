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
