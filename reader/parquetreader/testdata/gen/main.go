// Command gen writes the Parquet files of ../writers: files as other
// writers (parquet-mr, Spark, Impala, Presto/Trino, old arrow-cpp) make
// them, built with arrow-go's low-level writer and codecs registered to
// write the other writers' framings. Run from the repository root:
//
//	go run ./reader/parquetreader/testdata/gen
package main

import (
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/pierrec/lz4/v4"
)

const dir = "reader/parquetreader/testdata/writers"

// encoder overrides Encode of a codec.
type encoder struct {
	compress.Codec
	enc func(dst, src []byte) []byte
}

func (e encoder) Encode(dst, src []byte) []byte             { return e.enc(dst, src) }
func (e encoder) EncodeLevel(dst, src []byte, _ int) []byte { return e.enc(dst, src) }
func (e encoder) CompressBound(n int64) int64               { return 16 + int64(lz4.CompressBlockBound(int(n))) }

func rawLZ4(dst, src []byte) []byte {
	out := make([]byte, lz4.CompressBlockBound(len(src)))
	var c lz4.Compressor
	n, err := c.CompressBlock(src, out)
	if err != nil || (n == 0 && len(src) > 0) {
		log.Fatalf("lz4: %v", err)
	}
	return out[:n]
}

// hadoopLZ4 is parquet-mr's framing: [uncompressed size][compressed size]
// (big endian) before each raw block; blocks of at most 128 KiB here.
func hadoopLZ4(dst, src []byte) []byte {
	var out []byte
	for len(src) > 0 {
		n := min(len(src), 128<<10)
		blk := rawLZ4(nil, src[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = binary.BigEndian.AppendUint32(out, uint32(len(blk)))
		out = append(out, blk...)
		src = src[n:]
	}
	return out
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

type column func(cw file.ColumnChunkWriter)

func write(name string, root *schema.GroupNode, props *parquet.WriterProperties, groups ...[]column) {
	f, err := os.Create(filepath.Join(dir, name))
	must(err)
	fw := file.NewParquetWriter(f, root, file.WithWriterProps(props))
	for _, cols := range groups {
		rgw := fw.AppendRowGroup()
		for _, c := range cols {
			cw, err := rgw.NextColumn()
			must(err)
			c(cw)
			must(cw.Close())
		}
		must(rgw.Close())
	}
	must(fw.Close()) // closes f
	fmt.Println("wrote", name)
}

func ids(n, from int) column {
	return func(cw file.ColumnChunkWriter) {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(from + i)
		}
		_, err := cw.(*file.Int64ColumnChunkWriter).WriteBatch(v, nil, nil)
		must(err)
	}
}

func texts(n, from int) column {
	return func(cw file.ColumnChunkWriter) {
		v := make([]parquet.ByteArray, n)
		for i := range v {
			v[i] = parquet.ByteArray(fmt.Sprintf("row %d: some text that compresses, some text that compresses", from+i))
		}
		_, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(v, nil, nil)
		must(err)
	}
}

func idText() *schema.GroupNode {
	s, err := schema.NewPrimitiveNodeLogical("s", parquet.Repetitions.Required, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
	must(err)
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{schema.NewInt64Node("id", parquet.Repetitions.Required, -1), s}, -1)
	must(err)
	return root
}

func lz4Files() {
	orig, err := compress.GetCodec(compress.Codecs.Lz4Raw)
	must(err)
	props := func(c compress.Compression) *parquet.WriterProperties {
		return parquet.NewWriterProperties(parquet.WithCompression(c), parquet.WithDictionaryDefault(false), parquet.WithDataPageSize(4096))
	}
	compress.RegisterCodec(compress.Codecs.Lz4, encoder{orig, hadoopLZ4})
	write("lz4_hadoop.parquet", idText(), props(compress.Codecs.Lz4), []column{ids(3000, 0), texts(3000, 0)}, []column{ids(500, 3000), texts(500, 3000)})
	compress.RegisterCodec(compress.Codecs.Lz4, encoder{orig, rawLZ4})
	write("lz4_raw_under_lz4_id.parquet", idText(), props(compress.Codecs.Lz4), []column{ids(2000, 0), texts(2000, 0)})
	write("lz4_raw.parquet", idText(), props(compress.Codecs.Lz4Raw), []column{ids(2000, 0), texts(2000, 0)})
}

// emptyV2 writes data pages v2 whose values section is empty (every value
// null) and zero bytes long, as parquet-mr writes them, with snappy.
func emptyV2() {
	snappy, err := compress.GetCodec(compress.Codecs.Snappy)
	must(err)
	compress.RegisterCodec(compress.Codecs.Snappy, encoder{snappy, func(dst, src []byte) []byte {
		if len(src) == 0 {
			return dst[:0]
		}
		return snappy.Encode(dst, src)
	}})
	defer compress.RegisterCodec(compress.Codecs.Snappy, snappy)
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{
		schema.NewInt64Node("id", parquet.Repetitions.Required, -1),
		schema.NewInt64Node("n", parquet.Repetitions.Optional, -1),
	}, -1)
	must(err)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithDictionaryDefault(false), parquet.WithDataPageSize(256))
	nulls := func(cw file.ColumnChunkWriter) {
		def := make([]int16, 300)
		_, err := cw.(*file.Int64ColumnChunkWriter).WriteBatch(nil, def, nil)
		must(err)
	}
	write("empty_page_v2.parquet", root, props, []column{ids(300, 0), nulls})
}

// mapOptionalKey writes a MAP whose key is declared optional, as Presto
// and Trino do: {a:1, b:null}, NULL, {}, {c:3}.
func mapOptionalKey() {
	key, err := schema.NewPrimitiveNodeLogical("key", parquet.Repetitions.Optional, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
	must(err)
	kv, err := schema.NewGroupNode("key_value", parquet.Repetitions.Repeated, schema.FieldList{key, schema.NewInt32Node("value", parquet.Repetitions.Optional, -1)}, -1)
	must(err)
	m, err := schema.NewGroupNodeLogical("m", parquet.Repetitions.Optional, schema.FieldList{kv}, schema.MapLogicalType{}, -1)
	must(err)
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{schema.NewInt64Node("id", parquet.Repetitions.Required, -1), m}, -1)
	must(err)
	keys := func(cw file.ColumnChunkWriter) {
		_, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(
			[]parquet.ByteArray{parquet.ByteArray("a"), parquet.ByteArray("b"), parquet.ByteArray("c")},
			[]int16{3, 3, 0, 1, 3}, []int16{0, 1, 0, 0, 0})
		must(err)
	}
	values := func(cw file.ColumnChunkWriter) {
		_, err := cw.(*file.Int32ColumnChunkWriter).WriteBatch([]int32{1, 3}, []int16{3, 2, 0, 1, 3}, []int16{0, 1, 0, 0, 0})
		must(err)
	}
	write("map_optional_key.parquet", root, parquet.NewWriterProperties(parquet.WithDictionaryDefault(false)), []column{ids(4, 1), keys, values})
}

func int96(t time.Time) parquet.Int96 {
	days := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		days--
	}
	nanos := t.Sub(time.Unix(days*86400, 0).UTC())
	var v parquet.Int96
	binary.LittleEndian.PutUint64(v[:8], uint64(nanos))
	binary.LittleEndian.PutUint32(v[8:], uint32(2440588+days))
	return v
}

// int96Range writes INT96 timestamps (Impala, Hive, old Spark) inside and
// outside the nanosecond range of int64 (years 1677..2262).
func int96Range() {
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{
		schema.NewInt64Node("id", parquet.Repetitions.Required, -1),
		schema.NewInt96Node("ts", parquet.Repetitions.Optional, -1),
	}, -1)
	must(err)
	ts := func(cw file.ColumnChunkWriter) {
		vals := []parquet.Int96{
			int96(time.Date(2020, 1, 1, 12, 0, 0, 123456789, time.UTC)),
			int96(time.Date(1000, 6, 15, 1, 2, 3, 4000, time.UTC)),
			int96(time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)),
			int96(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)),
		}
		_, err := cw.(*file.Int96ColumnChunkWriter).WriteBatch(vals, []int16{1, 1, 1, 0, 1}, nil)
		must(err)
	}
	write("int96_out_of_ns_range.parquet", root, parquet.NewWriterProperties(parquet.WithDictionaryDefault(false)), []column{ids(5, 1), ts})
}

func main() {
	must(os.MkdirAll(dir, 0o755))
	lz4Files()
	emptyV2()
	mapOptionalKey()
	int96Range()
}
