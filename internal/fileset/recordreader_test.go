package fileset

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/dirty"
)

// TestRecordReaderReserve: batches of varying sizes (each builder reserved
// from the last batch, an eighth more) hold exactly the rows filled, of
// every builder kind the reservation treats apart, and nothing leaks.
func TestRecordReaderReserve(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "l", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "j", Type: JSONType(), Nullable: true},
	}, nil)
	sizes := []int{100, 7, 100, 113, 1000, 3, 0, 50}
	row, batch := 0, 0
	fill := func(ctx context.Context, b *array.RecordBuilder, most int) (int, []dirty.RowError, bool, error) {
		if batch == len(sizes) {
			return 0, nil, true, nil
		}
		n := min(sizes[batch], most)
		batch++
		for k := 0; k < n; k++ {
			v := strings.Repeat("v", row%37)
			if row%5 == 0 {
				for i := range b.Fields() {
					b.Field(i).AppendNull()
				}
			} else {
				b.Field(0).(*array.Int64Builder).Append(int64(row))
				b.Field(1).(*array.StringBuilder).Append(v)
				b.Field(2).(*array.BinaryBuilder).AppendString(v)
				b.Field(3).(*array.LargeStringBuilder).Append(v)
				if err := AppendValue(b.Field(4), JSONText(`"`+v+`"`)); err != nil {
					return 0, nil, true, err
				}
			}
			row++
		}
		return n, nil, false, nil
	}
	rr := NewRecordReader(context.Background(), mem, schema, 512, fill, nil, "test")
	defer rr.Release()
	got := 0
	for rr.Next() {
		rec := rr.RecordBatch()
		for k := 0; k < int(rec.NumRows()); k++ {
			r := got + k
			ints := rec.Column(0).(*array.Int64)
			if r%5 == 0 {
				if !ints.IsNull(k) || !rec.Column(1).IsNull(k) {
					t.Fatalf("row %d: want NULLs", r)
				}
				continue
			}
			v := strings.Repeat("v", r%37)
			if ints.Value(k) != int64(r) || rec.Column(1).(*array.String).Value(k) != v ||
				string(rec.Column(2).(*array.Binary).Value(k)) != v || rec.Column(3).(*array.LargeString).Value(k) != v {
				t.Fatalf("row %d: got %v", r, rec)
			}
		}
		got += int(rec.NumRows())
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, n := range sizes {
		want += min(n, 512)
	}
	if got != want || row != want {
		t.Fatalf("read %d rows, filled %d, want %d", got, row, want)
	}
}

// TestReserveAhead: room for the rows to come, and for their text scaled
// from the rows so far, in plain and extension (JSON) columns.
func TestReserveAhead(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	js, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "j", Type: js, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := 0; i < 10; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append("0123456789")
		b.Field(2).(*array.ExtensionBuilder).StorageBuilder().(*array.StringBuilder).Append(`{"a": 1234}`)
	}
	ReserveAhead(b, 10, 90)
	for i := range schema.Fields() {
		if c := b.Field(i).Cap(); c < 100 {
			t.Errorf("column %d: room for %d rows, want 100", i, c)
		}
	}
	if c := b.Field(1).(*array.StringBuilder).DataCap(); c < 1000 {
		t.Errorf("text: room for %d bytes, want 1000", c)
	}
	if c := b.Field(2).(*array.ExtensionBuilder).StorageBuilder().(*array.StringBuilder).DataCap(); c < 1100 {
		t.Errorf("JSON: room for %d bytes, want 1100", c)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if rec.NumRows() != 10 {
		t.Fatalf("%d rows, want 10", rec.NumRows())
	}
}
