package mysqlwriter

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestLoadStreamReadSizes reads the LOAD DATA text of a batch through
// buffers of many sizes (the driver's is 16 KiB) and checks that it is the
// rows' encodings one after the other: rows encoded straight into the
// buffer, rows copied from the stream's own when the room left is short,
// rows longer than the room and than the whole buffer.
func TestLoadStreamReadSizes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	orders, tg := ordersBatch(mem, 300)
	defer orders.Release()

	// Rows of 0 to 40,000 bytes, some needing escapes, some NULL.
	sb := array.NewStringBuilder(mem)
	for i := range 60 {
		switch {
		case i%7 == 3:
			sb.AppendNull()
		case i%5 == 0:
			sb.Append(strings.Repeat("long\tline\\", i*80))
		default:
			sb.Append(strings.Repeat("x", (i*997)%3000))
		}
	}
	col := sb.NewArray()
	sb.Release()
	defer col.Release()
	long := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil),
		[]arrow.Array{col}, int64(col.Len()))
	defer long.Release()

	for _, c := range []struct {
		rec arrow.RecordBatch
		tg  []target
	}{{orders, tg}, {long, []target{{name: "s", dataType: "text"}}}} {
		w := &Writer{method: MethodLoad, targets: c.tg}
		encs := make([]encoder, c.rec.NumCols())
		for i := range encs {
			e, err := w.newEncoder(c.rec.Schema().Field(i), c.rec.Column(i), c.tg[i])
			if err != nil {
				t.Fatal(err)
			}
			encs[i] = e
		}
		n := int(c.rec.NumRows())
		ref := &loadStream{b: c.rec, encs: encs, hi: n}
		var want []byte
		for i := range n {
			want = ref.encodeRow(want, i)
		}
		for _, size := range []int{1, 7, 100, rowRoom - 1, rowRoom, rowRoom + 1, 3000, 16 << 10, 64 << 10} {
			for _, lo := range []int{0, n / 3} {
				st := &loadStream{b: c.rec, encs: encs, row: lo, hi: n}
				var got bytes.Buffer
				p := make([]byte, size)
				for {
					k, err := st.Read(p)
					got.Write(p[:k])
					if err == io.EOF {
						break
					}
					if err != nil || k == 0 {
						t.Fatalf("Read: %d, %v", k, err)
					}
				}
				var w2 []byte
				for i := lo; i < n; i++ {
					w2 = ref.encodeRow(w2, i)
				}
				if lo == 0 && !bytes.Equal(w2, want) {
					t.Fatal("reference mismatch")
				}
				if !bytes.Equal(got.Bytes(), w2) {
					t.Fatalf("%d columns, buffer %d, from row %d: %d bytes, want %d", c.rec.NumCols(), size, lo, got.Len(), len(w2))
				}
			}
		}
	}
}
