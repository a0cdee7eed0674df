package parquetwriter

import (
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
)

// Snappy pages are compressed with s2's fast Snappy encoder instead of the
// "better" one arrow-go's codec uses (klauspost/compress/snappy.Encode is
// s2.EncodeSnappyBetter), which took about 8% of the CPU of the file
// benchmark (ferrybench -cases '2parquet|parquet2csv') for a few percent
// smaller pages. The output is standard Snappy (any
// Snappy decoder reads it; TestSnappyPagesStandard checks); decoding and
// the streaming API stay arrow-go's. compress.RegisterCodec is arrow-go's
// documented way to replace a codec, and it is process-wide: every
// Parquet writer of a program that imports this package encodes Snappy
// this way.
func init() {
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{c})
	}
}

// fastSnappy is the Snappy codec it wraps with a faster Encode.
type fastSnappy struct{ compress.Codec }

// Encode returns src Snappy-compressed, in dst when it is large enough.
func (fastSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

// EncodeLevel is Encode: Snappy has no levels.
func (fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

// DecodeWithError decodes with the wrapped codec, returning malformed input
// as an error.
func (c fastSnappy) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(c.Codec, dst, src)
}
