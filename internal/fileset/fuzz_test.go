package fileset

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var fuzzTypes = func() []arrow.DataType {
	s, err := ParseColumns("a:int8,b:uint64,c:float32,d:float64,e:bool,f:utf8,g:binary,h:decimal(12,3),i:decimal(60,10),j:date32," +
		"k:time64[us],l:time32[ms],m:timestamp[us],n:timestamp[ns,UTC],o:timestamp[s,Asia/Shanghai],p:uuid,q:json,r:interval," +
		"s:list<int64>,t:fixed_size_list<float32>[2],u:struct<x:int32,y:list<utf8>>,v:map<utf8,decimal(5,2)>,w:float16,x:fixed_size_binary[4],y:null")
	if err != nil {
		panic(err)
	}
	var out []arrow.DataType
	for _, f := range s.Fields() {
		out = append(out, f.Type)
	}
	return out
}()

// FuzzParseText parses arbitrary text and JSON as a value of every type
// the file codecs take (seeds: f.Add and testdata/fuzz/FuzzParseText). A
// value that parses must append, and its text (JSON) form must parse back
// to the same text (JSON) form: the codecs never change a value they
// accepted. Nothing may panic.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"1", "-128", "18446744073709551615", "1.5e3", "NaN", "-Inf", "true", "t", "off", "aGVsbG8=",
		"123.456", "2024-02-29", "23:59:59.999999", "2024-02-29 23:59:59.5+05:30", "2025-07-01 00:00:01+00",
		"550e8400-e29b-41d4-a716-446655440000", `{"a":[1,2]}`, `{"months":1,"days":2,"nanoseconds":3}`, "[1,null,3]",
		`{"x":1,"y":["a",null]}`, `[{"key":"k","value":"1.25"}]`, "AAECAw==", `"quoted"`, "null", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		for _, dt := range fuzzTypes {
			for _, form := range []string{"text", "json"} {
				var v any
				var err error
				if form == "text" {
					v, err = ParseText(dt, s)
				} else {
					v, err = ParseJSON(dt, []byte(s))
				}
				if err != nil || v == nil {
					continue
				}
				b := array.NewBuilder(mem, dt)
				if err := AppendValue(b, v); err != nil {
					b.Release()
					t.Fatalf("%s %s %q: parsed but does not append: %v", form, dt, s, err)
				}
				a := b.NewArray()
				b.Release()
				var out []byte
				if form == "text" {
					out = AppendText(nil, a, 0)
				} else {
					out = AppendJSON(nil, a, 0)
				}
				a.Release()
				var v2 any
				if form == "text" {
					v2, err = ParseText(dt, string(out))
				} else {
					v2, err = ParseJSON(dt, out)
				}
				if err != nil {
					t.Fatalf("%s %s %q wrote %q, which does not parse: %v", form, dt, s, out, err)
				}
				b2 := array.NewBuilder(mem, dt)
				if err := AppendValue(b2, v2); err != nil {
					b2.Release()
					t.Fatal(err)
				}
				a2 := b2.NewArray()
				b2.Release()
				var out2 []byte
				if form == "text" {
					out2 = AppendText(nil, a2, 0)
				} else {
					out2 = AppendJSON(nil, a2, 0)
				}
				a2.Release()
				if !bytes.Equal(out, out2) {
					t.Fatalf("%s %s %q: wrote %q, then %q", form, dt, s, out, out2)
				}
			}
		}
	})
}
