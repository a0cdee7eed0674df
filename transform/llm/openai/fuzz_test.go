package openai

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzVector: an embedding in either wire form decodes or fails, never
// panics; a base64 vector re-encoded decodes to the same bits.
func FuzzVector(f *testing.F) {
	for _, s := range []string{`[0.1,-2,3e-39]`, `"AACAPwAAAEA="`, `"AACAPw"`, `"!!"`, `[1,"x"]`, `null`, `"AAAA"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v Vector
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		b := make([]byte, 0, 4*len(v))
		for _, x := range v {
			u := math.Float32bits(x)
			b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		}
		enc, _ := json.Marshal(b) // []byte marshals as base64
		var w Vector
		if err := json.Unmarshal(enc, &w); err != nil {
			t.Fatal(err)
		}
		if len(w) != len(v) {
			t.Fatalf("%d != %d", len(w), len(v))
		}
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(w[i]) {
				t.Fatalf("element %d", i)
			}
		}
	})
}

// FuzzDecodeJob: any parameter object decodes or fails with an error, never
// panics, and a duration it accepts is the one given.
func FuzzDecodeJob(f *testing.F) {
	for _, s := range []string{`{"baseUrl":"http://x/v1","timeout":"3s","model":"m"}`, `{"timeout":3}`, `{"nope":1}`, `[]`, `{"maxBackoff":"-1h"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var cfg struct {
			API
			Model string `json:"model"`
		}
		_ = DecodeJob(json.RawMessage(s), &cfg, &cfg.API)
	})
}
