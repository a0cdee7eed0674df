package llm

import (
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// FuzzDecodeAnswer: any answer text either decodes to one value per column
// of the column's Go type (and within the enum) or is a reason; it never
// panics. Seeds in testdata/fuzz/FuzzDecodeAnswer.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{`{"category":"a","n":1,"x":1.5,"ok":true}`, `{"category":"z"}`, "```json\n{\"category\":\"b\",\"n\":2,\"x\":0,\"ok\":false}\n```",
		`{"category":null,"n":1e400,"x":"1","ok":1}`, `[1,2]`, `{`, ``, `{"n":9223372036854775808}`} {
		f.Add(s)
	}
	tr, err := New(Config{Model: "m", Prompt: "p", Cache: "off", Columns: []Column{
		{Name: "category", Enum: []string{"a", "b"}}, {Name: "n", Type: "int64"}, {Name: "x", Type: "float64", Nullable: true}, {Name: "ok", Type: "bool"}}})
	if err != nil {
		f.Fatal(err)
	}
	defer tr.Close()
	f.Fuzz(func(t *testing.T, s string) {
		a := tr.decodeObject([]byte(s))
		if a.reason != nil {
			return
		}
		if len(a.vals) != len(tr.cols) {
			t.Fatalf("%d values for %d columns", len(a.vals), len(tr.cols))
		}
		for i, v := range a.vals {
			switch tr.types[i].ID() {
			case arrow.STRING:
				if v != "a" && v != "b" {
					t.Fatalf("category %v outside the enum", v)
				}
			case arrow.INT64:
				if _, ok := v.(int64); !ok {
					t.Fatalf("n is %T", v)
				}
			case arrow.FLOAT64:
				if _, ok := v.(float64); !ok && v != nil {
					t.Fatalf("x is %T", v)
				}
			case arrow.BOOL:
				if _, ok := v.(bool); !ok {
					t.Fatalf("ok is %T", v)
				}
			}
		}
		// A decoded answer survives the cache encoding.
		b := tr.decodeRow(tr.encodeRow(a))
		if b.reason != nil {
			t.Fatalf("cached answer unreadable: %v", b.reason)
		}
		x, _ := json.Marshal(a.vals)
		y, _ := json.Marshal(b.vals)
		if string(x) != string(y) {
			t.Fatalf("cache round trip: %s != %s", x, y)
		}
	})
}
