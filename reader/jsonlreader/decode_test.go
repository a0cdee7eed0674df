package jsonlreader

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry/internal/fileset"
)

var decodeSeeds = []string{
	`{"id":1,"v":"a","f":1.5}`,
	// keys in schema order, out of it, repeated (the last one counts)
	`{"id":1,"v":"x","a":"y"}`, `{"a":"1","v":"2","id":3,"id":4}`, `{"v":"x","id":1,"v":"y","a":"z","a":"w"}`, `{"id":1,"id":2,"v":"x"}`,
	`{"id":2,"v":"b",`,
	`{"id":3,"v":"\u00e9","f":"NaN","extra":[1]}`,
	`[1,2,3]`, `null`, `nullx`, `"s"`, `12`, `{}`, `{ }`, `{"id":1}x`, `{"id":1} `,
	`{"id":-0.5e+3,"v":null,"id":7}`, `{"\u0069d":5,"v":"x\"y"}`,
	`{"a":{"b":[1,{"c":null}],"d":"\ud800"},"id":01}`, `{"id":1,}`, `{"id" 1}`, `{"id":tru}`,
	`{"id":1.}`, `{"id":.5}`, `{"id":1e}`, `{"id":-}`, `{"v":"a` + "\t" + `b"}`, `{"v":"\x"}`,
	`{"v":"\u12g4"}`, `{"id":[1,2,]}`, `{"id":{"a"}}`, `{"id":[[[[]]]]}`, "{\"id\":\n1}",
}

// FuzzScan: the single-pass scanner accepts exactly the lines that
// json.Unmarshal into a map accepts, and finds the same raw value for
// every schema key (the last one when a key repeats).
func FuzzScan(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	fields := []arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.BinaryTypes.String}, {Name: "a", Type: arrow.BinaryTypes.String}}
	d := newLineDecoder(fields)
	f.Fuzz(func(t *testing.T, text []byte) {
		if !utf8.Valid(text) { // the reader rejects these before scanning
			return
		}
		text = bytes.TrimSpace(text)
		var obj map[string]json.RawMessage
		want := json.Unmarshal(text, &obj)
		if want == nil && obj == nil {
			want = errNull
		}
		got := d.scan(text)
		if (got == nil) != (want == nil) {
			t.Fatalf("%q: scan error %v, json.Unmarshal error %v", text, got, want)
		}
		if got != nil {
			return
		}
		for i, fl := range fields {
			raw, ok := obj[fl.Name]
			if !ok {
				if d.cols[i].raw != nil {
					t.Fatalf("%q: key %s absent but scan found %q", text, fl.Name, d.cols[i].raw)
				}
				continue
			}
			if !bytes.Equal(raw, d.cols[i].raw) {
				t.Fatalf("%q: key %s: scan %q, json %q", text, fl.Name, d.cols[i].raw, raw)
			}
		}
	})
}

var errNull = jsonNullErr{}

type jsonNullErr struct{}

func (jsonNullErr) Error() string { return "null" }

// TestParseFastPaths: the typed fast paths give what the generic codec
// gives, and fall back to it (with its error) otherwise.
func TestParseFastPaths(t *testing.T) {
	for _, tc := range []struct {
		dt   arrow.DataType
		raw  string
		want any // nil: NULL; error text when wantErr
		err  bool
	}{
		{arrow.PrimitiveTypes.Int64, `42`, int64(42), false},
		{arrow.PrimitiveTypes.Int64, `-9223372036854775808`, int64(-9223372036854775808), false},
		{arrow.PrimitiveTypes.Int64, `9223372036854775808`, nil, true},
		{arrow.PrimitiveTypes.Int64, `"17"`, int64(17), false},
		{arrow.PrimitiveTypes.Int64, `1.5`, nil, true},
		{arrow.PrimitiveTypes.Int64, `null`, nil, false},
		{arrow.PrimitiveTypes.Float64, `1e400`, nil, false}, // range: +Inf as the text codec gives
		{arrow.PrimitiveTypes.Float64, `-0.25`, -0.25, false},
		{arrow.PrimitiveTypes.Float64, `"NaN"`, nil, false},
		{arrow.BinaryTypes.String, `"plain"`, "plain", false},
		{arrow.BinaryTypes.String, `"a\nb"`, "a\nb", false},
		{arrow.BinaryTypes.String, `7`, nil, true},
		{arrow.FixedWidthTypes.Boolean, `true`, true, false},
		{arrow.FixedWidthTypes.Boolean, `"yes"`, true, false},
		{arrow.FixedWidthTypes.Boolean, `1`, nil, true},
		{fileset.JSONType(), `{"a": [1, "x"]}`, `{"a": [1, "x"]}`, false}, // byte for byte
		{fileset.JSONType(), `null`, nil, false},
	} {
		d := newLineDecoder([]arrow.Field{{Name: "c", Type: tc.dt}})
		c := &d.cols[0]
		c.raw = []byte(tc.raw)
		err := c.parse()
		if tc.err {
			if err == nil {
				t.Errorf("%s %s: no error", tc.dt, tc.raw)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.dt, tc.raw, err)
			continue
		}
		var got any
		switch c.kind {
		case kInt64:
			got = c.i
		case kFloat64:
			got = c.f
		case kString:
			got = c.s
		case kBool:
			got = c.b
		case kJSON:
			if !c.null {
				got = c.s
			}
		}
		if tc.want == nil {
			if tc.raw == "null" && !c.null {
				t.Errorf("%s %s: want NULL", tc.dt, tc.raw)
			}
			continue
		}
		if c.null || got != tc.want {
			t.Errorf("%s %s: got %v (null %v), want %v", tc.dt, tc.raw, got, c.null, tc.want)
		}
	}
}

// FuzzUnescape: where unescape decodes a JSON string itself, it gives what
// encoding/json gives; it leaves \u escapes to encoding/json.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`a\nb`, `tab\there \"q\" \\ back \/ \b\f\r`, `日本 😀\n`, `\u00e9`, `x\\`, `\\\"`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		raw := `"` + body + `"`
		var want string
		if !utf8.ValidString(raw) || json.Unmarshal([]byte(raw), &want) != nil {
			return // not a valid string of a valid line: never reaches unescape
		}
		got, ok := unescape([]byte("junk")[:0], []byte(body))
		if strings.Contains(body, `\u`) {
			if ok && string(got) != want {
				t.Fatalf("%q: %q, want %q", raw, got, want)
			}
			return
		}
		if !ok || string(got) != want {
			t.Fatalf("%q: %q (%v), want %q", raw, got, ok, want)
		}
		// and through the column decoder
		d := newLineDecoder([]arrow.Field{{Name: "c", Type: arrow.BinaryTypes.String}})
		c := &d.cols[0]
		c.raw = []byte(raw)
		if err := c.parse(); err != nil || c.s != want {
			t.Fatalf("%q: parse %q, %v; want %q", raw, c.s, err, want)
		}
	})
}
