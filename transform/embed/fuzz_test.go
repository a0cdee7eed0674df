package embed

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzChunks: chunks are at most size characters, not empty for non-blank
// text, and every non-space character of the text is in some chunk in order.
func FuzzChunks(f *testing.F) {
	f.Add("the quick brown fox jumps over the lazy dog", 10, 3)
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaaa", 4, 0)
	f.Add("é ü 日本語 text", 3, 1)
	f.Add("", 5, 0)
	f.Fuzz(func(t *testing.T, s string, size, overlap int) {
		if !utf8.ValidString(s) || size < 1 || size > 1000 || overlap < 0 || overlap >= size {
			return
		}
		cs := Chunks(s, size, overlap)
		if len(cs) == 0 {
			t.Fatal("no chunks")
		}
		for _, c := range cs {
			if utf8.RuneCountInString(c) > size {
				t.Fatalf("chunk of %d characters > %d", utf8.RuneCountInString(c), size)
			}
		}
		// Without overlap the chunks, spaces removed, are the text, spaces removed.
		if overlap == 0 {
			strip := func(x string) string { return strings.Join(strings.Fields(x), "") }
			if strip(strings.Join(cs, " ")) != strip(s) {
				t.Fatalf("chunks %q lose text of %q", cs, s)
			}
		}
	})
}
