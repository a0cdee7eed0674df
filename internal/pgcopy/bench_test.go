package pgcopy

import (
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ordersCols are the columns of the bench table orders_src
// (shared/bench/gen.sh).
var ordersCols = []Column{
	{Name: "id", OID: OIDInt8, NotNull: true}, {Name: "customer_id", OID: OIDInt4, NotNull: true},
	{Name: "amount", OID: OIDNumeric, TypMod: (12<<16 | 2) + 4}, {Name: "price", OID: OIDFloat8},
	{Name: "status", OID: OIDText, NotNull: true}, {Name: "note", OID: OIDText},
	{Name: "created_at", OID: OIDTimestamp, NotNull: true}, {Name: "updated_at", OID: OIDTimestamptz, NotNull: true},
	{Name: "ship_date", OID: OIDDate}, {Name: "is_paid", OID: OIDBool}, {Name: "ref", OID: OIDUUID, NotNull: true},
	{Name: "attrs", OID: OIDJSONB}, {Name: "biz_date", OID: OIDText, NotNull: true},
}

func ordersTypes() Types {
	ts := Types{}
	for _, c := range ordersCols {
		ts[c.OID] = Type{OID: c.OID, Kind: 'b'}
	}
	return ts
}

func ordersSchema(t testing.TB, ts Types) *arrow.Schema {
	var fields []arrow.Field
	for _, c := range ordersCols {
		f, err := Field(c, ts)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil)
}

// ordersBatch builds n rows shaped like gen.sh's (a NULL in every
// nullable column of every 10th row).
func ordersBatch(t testing.TB, mem memory.Allocator, sc *arrow.Schema, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	statuses := []string{"new", "paid", "shipped", "cancelled"}
	for i := 0; i < n; i++ {
		vals := []string{
			fmt.Sprint(i + 1), fmt.Sprint(i % 50000), fmt.Sprintf("%d.%02d", i%100000, i%100), fmt.Sprintf("%d.25", i%1000),
			statuses[i%4], fmt.Sprintf("note for order %d with some text", i),
			"2024-03-01T12:34:56.123456", "2024-03-02T01:02:03.5Z", "2024-03-09", []string{"true", "false"}[i%2],
			fmt.Sprintf("a0eebc99-9c0b-4ef8-bb6d-%012x", i), fmt.Sprintf(`{"k": %d, "tags": ["a", "b"]}`, i%97), "20240301",
		}
		for c, f := range sc.Fields() {
			if f.Nullable && i%10 == 9 {
				b.Field(c).AppendNull()
				continue
			}
			if err := b.Field(c).AppendValueFromString(vals[c]); err != nil {
				t.Fatalf("row %d column %s: %v", i, f.Name, err)
			}
		}
	}
	return b.NewRecordBatch()
}

// messages cuts a binary COPY stream as the server sends it: the header,
// then one CopyData message per tuple, then the trailer.
func messages(stream []byte) [][]byte {
	ext := int(binary.BigEndian.Uint32(stream[15:19]))
	out := [][]byte{stream[:19+ext]}
	p := 19 + ext
	for p < len(stream) {
		cnt := int(int16(binary.BigEndian.Uint16(stream[p:])))
		q := p + 2
		for i := 0; i < cnt; i++ {
			l := int(int32(binary.BigEndian.Uint32(stream[q:])))
			q += 4
			if l > 0 {
				q += l
			}
		}
		out = append(out, stream[p:q])
		p = q
	}
	return out
}

func ordersStream(t testing.TB, rows int) (*arrow.Schema, Types, []byte) {
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	rec := ordersBatch(t, memory.DefaultAllocator, sc, rows)
	defer rec.Release()
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := io.ReadAll(enc.Reader(rec))
	if err != nil {
		t.Fatal(err)
	}
	return sc, ts, stream
}

// BenchmarkDecode decodes 100,000 orders rows fed one CopyData message at a
// time, as pgconn.CopyTo does.
func BenchmarkDecode(b *testing.B) {
	const rows = 100_000
	sc, ts, stream := ordersStream(b, rows)
	msgs := messages(stream)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		var n int64
		dec, err := NewDecoder(memory.DefaultAllocator, sc, ordersCols, ts, 0, func(r arrow.RecordBatch) error {
			n += r.NumRows()
			r.Release()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			if _, err := dec.Write(m); err != nil {
				b.Fatal(err)
			}
		}
		if err := dec.Flush(); err != nil {
			b.Fatal(err)
		}
		dec.Release()
		if n != rows {
			b.Fatalf("%d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/rows, "cpu-ns/row")
}

// BenchmarkDecodeSteady decodes 100,000 orders rows per iteration with one
// Decoder, as a reader's split does: batches reserve from the last one's
// size and seldom grow.
func BenchmarkDecodeSteady(b *testing.B) {
	const rows = 100_000
	sc, ts, stream := ordersStream(b, rows)
	msgs := messages(stream)
	dec, err := NewDecoder(memory.DefaultAllocator, sc, ordersCols, ts, 0, func(r arrow.RecordBatch) error {
		r.Release()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Release()
	if _, err := dec.Write(msgs[0]); err != nil {
		b.Fatal(err)
	}
	tuples := msgs[1 : len(msgs)-1] // no trailer: the stream goes on
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		for _, m := range tuples {
			if _, err := dec.Write(m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/rows, "cpu-ns/row")
}

// BenchmarkEncode encodes a batch of 65,536 orders rows into a COPY stream
// read in pgconn.CopyFrom's 64 KiB pieces.
func BenchmarkEncode(b *testing.B) {
	const rows = 65536
	ts := ordersTypes()
	sc := ordersSchema(b, ts)
	rec := ordersBatch(b, memory.DefaultAllocator, sc, rows)
	defer rec.Release()
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	b.ResetTimer()
	var total int64
	cpu0 := cpuTime()
	for range b.N {
		r := enc.Reader(rec)
		for {
			n, err := r.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(total / int64(b.N))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/rows, "cpu-ns/row")
}

// TestDecodeReservesWithoutAliasing decodes a stream into many batches, each
// reserved from the size of the one before, keeping every batch until the
// end: each must still equal its slice of the source (no batch shares
// buffers with a later one), a batch released early frees its memory, and
// nothing leaks.
func TestDecodeReservesWithoutAliasing(t *testing.T) {
	const rows = 5000
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	src := ordersBatch(t, memory.DefaultAllocator, sc, rows)
	defer src.Release()
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := io.ReadAll(enc.Reader(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		batchRows  int
		batchBytes int
		keepEvery  int // keep every k-th batch to the end, release the others at once
	}{
		{"rows", 700, 0, 1},
		{"bytes", 0, 20 << 10, 1},
		{"release some early", 300, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			type kept struct {
				rec    arrow.RecordBatch
				offset int64
			}
			var keep []kept
			var off int64
			nb := 0
			dec, err := NewDecoder(mem, sc, ordersCols, ts, tc.batchRows, func(b arrow.RecordBatch) error {
				if nb%tc.keepEvery == 0 {
					keep = append(keep, kept{b, off})
				} else {
					b.Release()
				}
				nb++
				off += b.NumRows()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.batchBytes > 0 {
				dec.BatchBytes = tc.batchBytes
			}
			for _, m := range messages(stream) {
				if _, err := dec.Write(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := dec.Flush(); err != nil {
				t.Fatal(err)
			}
			dec.Release()
			if off != rows || nb < 5 {
				t.Fatalf("%d rows in %d batches, want %d rows in at least 5", off, nb, rows)
			}
			for _, k := range keep {
				want := src.NewSlice(k.offset, k.offset+k.rec.NumRows())
				if !array.RecordEqual(want, k.rec) {
					t.Errorf("batch at row %d differs from the source", k.offset)
				}
				want.Release()
				k.rec.Release()
			}
		})
	}
}
