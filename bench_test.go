package ferry_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// ordersSchema is the standard 13-column benchmark table of shared/bench.
func ordersSchema() *arrow.Schema {
	js, _ := extensions.NewJSONType(arrow.BinaryTypes.String)
	return arrow.NewSchema([]arrow.Field{
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
		{Name: "attrs", Type: js, Nullable: true},
		{Name: "biz_date", Type: arrow.BinaryTypes.String},
	}, nil)
}

// ordersBatch builds one batch of the benchmark table.
func ordersBatch(mem memory.Allocator, rows int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ordersSchema())
	defer b.Release()
	base := time.Date(2025, 7, 26, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(1).(*array.Int32Builder).Append(int32(i % 100000))
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i%1000000) + 99))
		b.Field(3).(*array.Float64Builder).Append(float64(i) * 0.37)
		b.Field(4).(*array.StringBuilder).Append([]string{"new", "paid", "shipped", "done"}[i%4])
		b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf("note %d with\ttab and \"quotes\" ünï", i))
		ts := base.Add(time.Duration(i) * time.Millisecond)
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
		b.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
		b.Field(8).(*array.Date32Builder).Append(arrow.Date32FromTime(ts))
		b.Field(9).(*array.BooleanBuilder).Append(i%3 == 0)
		b.Field(10).(*extensions.UUIDBuilder).Append(uuid.UUID{byte(i), byte(i >> 8), byte(i >> 16), 4})
		b.Field(11).(*array.ExtensionBuilder).Builder.(*array.StringBuilder).Append(fmt.Sprintf(`{"k": %d}`, i%97))
		b.Field(12).(*array.StringBuilder).Append("20250726")
	}
	return b.NewRecordBatch()
}

// BenchmarkPipeline measures the engine's own overhead: rows/s through
// memreader -> memwriter (discarding) on the 13-column benchmark shape.
func BenchmarkPipeline(b *testing.B) {
	const batchRows, batches = 8192, 128 // 1,048,576 rows per op
	batch := ordersBatch(memory.DefaultAllocator, batchRows)
	defer batch.Release()
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := memreader.New([]arrow.RecordBatch{batch}, &memreader.Options{Repeat: batches, BatchesPerSplit: 8})
				w := memwriter.New(memwriter.NewTable(), &memwriter.Options{Discard: true})
				sum, err := ferry.New(r, w, &ferry.Options{Concurrency: workers}).Run(context.Background())
				if err != nil || sum.RowsWritten != batchRows*batches {
					b.Fatal(err, sum.RowsWritten)
				}
			}
			b.ReportMetric(float64(batchRows*batches)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
	// The staged path (a SplitWriter per split, its marker at Close), with
	// and without a checkpoint directory (an fsync'ed line per split): 16
	// splits per op.
	for _, ck := range []bool{false, true} {
		b.Run(fmt.Sprintf("staged/checkpoint=%v", ck), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := memreader.New([]arrow.RecordBatch{batch}, &memreader.Options{Repeat: batches, BatchesPerSplit: 8})
				w := memwriter.NewStaged(memwriter.NewTable(), &memwriter.Options{Discard: true})
				o := &ferry.Options{Concurrency: 2}
				if ck {
					o.Checkpoint = b.TempDir()
				}
				sum, err := ferry.New(r, w, o).Run(context.Background())
				if err != nil || sum.RowsWritten != batchRows*batches {
					b.Fatal(err, sum.RowsWritten)
				}
			}
			b.ReportMetric(float64(batchRows*batches)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkMemoryFlat runs 1x and 10x the rows through a pipeline whose
// reader produces fresh batches (as a database reader does) and reports the
// peak Arrow bytes allocated at once and the peak heap: both stay flat.
func BenchmarkMemoryFlat(b *testing.B) {
	for _, batches := range []int{96, 960} {
		b.Run(fmt.Sprintf("rows=%d", batches*8192), func(b *testing.B) {
			for b.Loop() {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				r := &freshReader{mem: mem, batches: batches, rows: 8192, splits: 8}
				w := memwriter.New(memwriter.NewTable(), &memwriter.Options{Discard: true})
				var peakArrow int64
				var peakHeap uint64
				var ms runtime.MemStats
				sample := func(ferry.Progress) {
					peakArrow = max(peakArrow, int64(mem.CurrentAlloc()))
					runtime.ReadMemStats(&ms)
					peakHeap = max(peakHeap, ms.HeapInuse)
				}
				sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2, Progress: sample, ProgressInterval: 20 * time.Millisecond}).Run(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(peakArrow)/(1<<20), "peak-arrow-MiB")
				b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(sum.RowsWritten), "rows")
			}
		})
	}
}

// freshReader builds every batch anew from its allocator, like a database
// reader, so that memory use shows whether batches are released.
type freshReader struct {
	mem                   memory.Allocator
	batches, rows, splits int
}

func (r *freshReader) Schema(context.Context) (*arrow.Schema, error) { return ordersSchema(), nil }
func (r *freshReader) Splits(context.Context, int) ([]ferry.Split, error) {
	var out []ferry.Split
	for i := range r.splits {
		out = append(out, ferry.Split{ID: fmt.Sprint(i)})
	}
	return out, nil
}
func (r *freshReader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	n := r.batches / r.splits
	var i int
	var cur arrow.RecordBatch
	return &funcReader{schema: ordersSchema(), next: func() arrow.RecordBatch {
		if cur != nil {
			cur.Release()
			cur = nil
		}
		if i == n {
			return nil
		}
		i++
		cur = ordersBatch(r.mem, r.rows)
		return cur
	}}, nil
}
func (r *freshReader) Close() error { return nil }

type funcReader struct {
	schema *arrow.Schema
	next   func() arrow.RecordBatch
	cur    arrow.RecordBatch
}

func (f *funcReader) Retain()                        {}
func (f *funcReader) Release()                       { f.next = func() arrow.RecordBatch { return nil } }
func (f *funcReader) Schema() *arrow.Schema          { return f.schema }
func (f *funcReader) Next() bool                     { f.cur = f.next(); return f.cur != nil }
func (f *funcReader) RecordBatch() arrow.RecordBatch { return f.cur }
func (f *funcReader) Record() arrow.RecordBatch      { return f.cur }
func (f *funcReader) Err() error                     { return nil }
