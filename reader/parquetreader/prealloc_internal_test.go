package parquetreader

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestPreAllocOK: the reservation from the footer's sizes is used only
// while a batch's share of every byte-array column chunk stays under
// maxPreAlloc; numbers alone never disable it.
func TestPreAllocOK(t *testing.T) {
	build := func(t *testing.T, dt arrow.DataType, rows, width int) *file.Reader {
		t.Helper()
		schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: dt, Nullable: true}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i := range rows {
			switch fb := b.Field(0).(type) {
			case *array.StringBuilder:
				fb.Append(strings.Repeat(string(rune('a'+i%26)), width))
			case *array.Int64Builder:
				fb.Append(int64(i))
			}
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		var buf bytes.Buffer
		props := parquet.NewWriterProperties(parquet.WithDictionaryDefault(false), parquet.WithCompression(0))
		w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name        string
		dt          arrow.DataType
		rows, width int
		batch       int64
		want        bool
	}{
		{"short text", arrow.BinaryTypes.String, 100, 10, 65536, true},
		{"empty text", arrow.BinaryTypes.String, 100, 0, 65536, true},
		{"wide text, small batches", arrow.BinaryTypes.String, 10, 4 << 10, 1024, true},
		{"wide text, huge batches", arrow.BinaryTypes.String, 10, 4 << 10, 1 << 20, false},
		{"one huge value", arrow.BinaryTypes.String, 1, 80 << 20, 1, false},
		{"numbers", arrow.PrimitiveTypes.Int64, 100, 0, 1 << 40, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t, tc.dt, tc.rows, tc.width)
			defer r.Close()
			if got := preAllocOK(r.MetaData(), tc.batch); got != tc.want {
				t.Errorf("preAllocOK(batch %d) = %v, want %v", tc.batch, got, tc.want)
			}
		})
	}
}
