package jsonlreader

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestCutLines: the block-wise cut gives the splits and line numbers of
// the line-by-line one, for files of long and short lines (empty ones,
// \r\n, a last line with and without its line break), cuts of 1 byte up,
// and blocks smaller and larger than lines and cuts.
func TestCutLines(t *testing.T) {
	defer func(c int) { cutChunk = c }(cutChunk)
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		var b bytes.Buffer
		for n := rng.IntN(60); n > 0; n-- {
			switch rng.IntN(5) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("{}\r\n")
			default:
				b.WriteString(`{"k":"` + string(bytes.Repeat([]byte{'x'}, rng.IntN(300))) + "\"}\n")
			}
		}
		if rng.IntN(2) == 0 {
			b.WriteString(`{"last":1}`)
		}
		data := b.Bytes()
		every := int64(1 + rng.IntN(400))
		cutChunk = 1 + rng.IntN(700)
		size := int64(len(data))
		want := cutLinesSlow(bytes.NewReader(data), "f", size, every)
		got, err := cutLines(context.Background(), bytes.NewReader(data), "f", size, every)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%d bytes, every %d, chunk %d):\n got %v\nwant %v", trial, size, every, cutChunk, got, want)
		}
	}
}
