package parquetwriter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/snappy"
)

// TestSnappyPagesStandard: the registered Snappy codec's blocks are
// standard Snappy, read back by klauspost/compress/snappy (a Snappy
// block decoder) and by the codec. DuckDB reading the files in the bench
// checks them against another implementation.
func TestSnappyPagesStandard(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(fastSnappy); !ok {
		t.Fatalf("Snappy codec is %T, want fastSnappy", c)
	}
	for _, src := range [][]byte{nil, []byte("x"), []byte(strings.Repeat("Lorem ipsum dolor sit amet, ", 5000)), bytes.Repeat([]byte{0, 1, 2, 250}, 70000)} {
		enc := c.Encode(make([]byte, 0, c.CompressBound(int64(len(src)))), src)
		ref, err := snappy.Decode(nil, enc)
		if err != nil || !bytes.Equal(ref, src) {
			t.Fatalf("%d bytes: snappy.Decode: %v (equal %v)", len(src), err, bytes.Equal(ref, src))
		}
		got, err := compress.Decode(c, make([]byte, len(src)), enc)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("%d bytes: codec decode: %v", len(src), err)
		}
	}
	if _, err := compress.Decode(c, make([]byte, 10), []byte{0xff, 0xff, 0xff}); err == nil {
		t.Error("malformed input: no error")
	}
}
