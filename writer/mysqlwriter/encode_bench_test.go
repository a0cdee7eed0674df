package mysqlwriter

import (
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// ordersBatch builds n rows shaped like the benchmark's orders_src as
// pgreader reads it (shared/bench/gen.sh), deterministic.
func ordersBatch(mem memory.Allocator, n int) (arrow.RecordBatch, []target) {
	jsonT, _ := extensions.NewJSONType(arrow.BinaryTypes.String)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "created_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "updated_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "ship_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "is_paid", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ref", Type: extensions.NewUUIDType()},
		{Name: "attrs", Type: jsonT, Nullable: true},
		{Name: "biz_date", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	notes := []string{"col1\tcol2\t", "first line\nsecond line\n", `she said "ok", it's fine; `, `C:\new\table\N\x5c end\ `,
		"café Zürich ß 日本語 😀 ñ ", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor", ""}
	statuses := []string{"new", "paid", "shipped", "delivered", "cancelled", "returned", "on_hold"}
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range n {
		h := uint64(i)*0x9E3779B97F4A7C15 + 12345
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(1).(*array.Int32Builder).Append(int32(1 + h%250000))
		if h%100 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(h%5000000) - 100))
		}
		if h%100 == 1 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(float64(h%100000000) / 997)
		}
		b.Field(4).(*array.StringBuilder).Append(statuses[h%7])
		if h%100 < 8 {
			b.Field(5).AppendNull()
		} else {
			note := notes[h%7%uint64(len(notes))] + "Lorem ipsum dolor sit amet, consectetur adipiscing elit"[:20+h%30]
			b.Field(5).(*array.StringBuilder).Append(note)
		}
		c := base + int64(i)*1_300_000 + int64(h%1_000_000)
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(c))
		b.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(c + int64(h%864000000000)))
		if h%3 == 0 {
			b.Field(8).AppendNull()
		} else {
			b.Field(8).(*array.Date32Builder).Append(arrow.Date32(19875 + h%40))
		}
		b.Field(9).(*array.BooleanBuilder).Append(h%2 == 0)
		var u uuid.UUID
		for k := range u {
			u[k] = byte(h >> (k % 8 * 8))
		}
		b.Field(10).(*extensions.UUIDBuilder).Append(u)
		if h%100 >= 95 {
			b.Field(11).AppendNull()
		} else {
			b.Field(11).(*array.ExtensionBuilder).Builder.(*array.StringBuilder).Append(`{"src": "web", "items": 3, "tags": ["a", "b"]}`)
		}
		b.Field(12).(*array.StringBuilder).Append("202406" + string(rune('0'+h%3)) + string(rune('0'+h%10)))
	}
	tg := make([]target, schema.NumFields())
	for i, f := range schema.Fields() {
		tg[i] = target{name: f.Name, dataType: "varchar"}
	}
	tg[6].dataType, tg[7].dataType, tg[8].dataType, tg[10].dataType = "datetime", "datetime", "date", "char"
	return b.NewRecordBatch(), tg
}

// BenchmarkLoadStream encodes orders-shaped rows as LOAD DATA text.
func BenchmarkLoadStream(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	rec, tg := ordersBatch(mem, 10_000)
	defer rec.Release()
	w := &Writer{method: MethodLoad, targets: tg}
	encs := make([]encoder, rec.NumCols())
	for c := range encs {
		e, err := w.newEncoder(rec.Schema().Field(c), rec.Column(c), tg[c])
		if err != nil {
			b.Fatal(err)
		}
		encs[c] = e
	}
	var buf []byte
	p := make([]byte, 16<<10) // the driver sends LOAD DATA in 16 KiB packets
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st := &loadStream{b: rec, encs: encs, hi: int(rec.NumRows()), buf: buf[:0]}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{st}, p); err != nil {
			b.Fatal(err)
		}
		buf = st.buf
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rec.NumRows()), "ns/row")
}
