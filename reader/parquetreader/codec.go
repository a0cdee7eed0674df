package parquetreader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/pierrec/lz4/v4"
)

// Codecs for Parquet files from other writers, registered for the whole
// process (they change nothing for files arrow-go reads already):
//
//   - every codec decodes an empty block to nothing, so that an empty data
//     page v2 (all values null: parquet-mr writes a zero-length values
//     section) is not handed to a decompressor that rejects empty input;
//   - LZ4 (the deprecated codec id 5) decodes the Hadoop framing that
//     parquet-mr and Spark write, then the raw LZ4 block older arrow-cpp
//     wrote under that id, then the LZ4 frame format; it encodes the Hadoop
//     framing (arrow-go itself has no LZ4 codec, only LZ4_RAW).
func init() {
	for _, c := range []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Gzip, compress.Codecs.Brotli, compress.Codecs.Zstd, compress.Codecs.Lz4Raw} {
		inner, err := compress.GetCodec(c)
		if err != nil {
			continue
		}
		compress.RegisterCodec(c, wrap(inner))
	}
	compress.RegisterCodec(compress.Codecs.Lz4, wrap(lz4Hadoop{}))
}

func wrap(c compress.Codec) compress.Codec {
	if s, ok := c.(compress.StreamingCodec); ok {
		return emptySafeStreaming{emptySafe{c}, s}
	}
	return emptySafe{c}
}

// emptySafe decodes an empty block to an empty one.
type emptySafe struct{ compress.Codec }

func (e emptySafe) Decode(dst, src []byte) []byte {
	out, err := e.DecodeWithError(dst, src)
	if err != nil {
		panic(err)
	}
	return out
}

func (e emptySafe) DecodeWithError(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst[:0], nil
	}
	return compress.Decode(e.Codec, dst, src)
}

type emptySafeStreaming struct {
	emptySafe
	s compress.StreamingCodec
}

func (e emptySafeStreaming) NewReader(r io.Reader) io.ReadCloser  { return e.s.NewReader(r) }
func (e emptySafeStreaming) NewWriter(w io.Writer) io.WriteCloser { return e.s.NewWriter(w) }
func (e emptySafeStreaming) NewWriterLevel(w io.Writer, l int) (io.WriteCloser, error) {
	return e.s.NewWriterLevel(w, l)
}

// lz4Hadoop is Parquet's deprecated LZ4 codec.
type lz4Hadoop struct{}

var errNotHadoop = errors.New("not Hadoop LZ4 framing")

func (lz4Hadoop) Encode(dst, src []byte) []byte {
	bound := 8 + lz4.CompressBlockBound(len(src))
	if cap(dst) < bound {
		dst = make([]byte, bound)
	}
	dst = dst[:bound]
	var c lz4.Compressor
	n, err := c.CompressBlock(src, dst[8:])
	if err != nil {
		panic(err)
	}
	if n == 0 && len(src) > 0 { // incompressible: lz4 wants a literal block
		n, err = lz4.CompressBlockHC(src, dst[8:], 0, nil, nil)
		if err != nil || n == 0 {
			panic(fmt.Errorf("lz4: cannot compress %d bytes", len(src)))
		}
	}
	binary.BigEndian.PutUint32(dst[0:], uint32(len(src)))
	binary.BigEndian.PutUint32(dst[4:], uint32(n))
	return dst[:8+n]
}

func (l lz4Hadoop) EncodeLevel(dst, src []byte, _ int) []byte { return l.Encode(dst, src) }

func (lz4Hadoop) CompressBound(n int64) int64 { return 8 + int64(lz4.CompressBlockBound(int(n))) }

func (l lz4Hadoop) Decode(dst, src []byte) []byte {
	out, err := l.DecodeWithError(dst, src)
	if err != nil {
		panic(err)
	}
	return out
}

func (lz4Hadoop) DecodeWithError(dst, src []byte) ([]byte, error) {
	if out, err := decodeHadoop(dst, src); err == nil {
		return out, nil
	}
	if n, err := lz4.UncompressBlock(src, dst[:cap(dst)]); err == nil {
		return dst[:n], nil
	}
	if bytes.HasPrefix(src, []byte{0x04, 0x22, 0x4d, 0x18}) {
		var out bytes.Buffer
		if _, err := io.Copy(&out, lz4.NewReader(bytes.NewReader(src))); err == nil {
			return append(dst[:0], out.Bytes()...), nil
		}
	}
	return nil, errors.New("lz4: not Hadoop-framed, raw or framed LZ4 data")
}

// decodeHadoop decodes blocks of [4-byte big-endian uncompressed size]
// [4-byte big-endian compressed size][raw LZ4 block].
func decodeHadoop(dst, src []byte) ([]byte, error) {
	out := dst[:0]
	for len(src) > 0 {
		if len(src) < 8 {
			return nil, errNotHadoop
		}
		usize := int(binary.BigEndian.Uint32(src))
		csize := int(binary.BigEndian.Uint32(src[4:]))
		src = src[8:]
		if csize > len(src) || usize < 0 || usize > cap(out)-len(out) && usize > 1<<30 {
			return nil, errNotHadoop
		}
		start := len(out)
		if cap(out)-start < usize {
			grown := make([]byte, start, start+usize)
			copy(grown, out)
			out = grown
		}
		n, err := lz4.UncompressBlock(src[:csize], out[start:start+usize])
		if err != nil || n != usize {
			return nil, errNotHadoop
		}
		out = out[:start+n]
		src = src[csize:]
	}
	return out, nil
}
