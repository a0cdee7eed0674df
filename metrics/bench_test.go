package metrics_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/metrics"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// BenchmarkPipelineObserver measures the engine memreader -> memwriter
// (discarding) over 1,048,576 rows in 8192-row batches, without an
// Observer, with the Prometheus Collector (and its Progress hook), and with
// the OpenTelemetry observer: the difference is the cost of metrics.
func BenchmarkPipelineObserver(b *testing.B) {
	const batchRows, batches = 8192, 128
	batch := intBatch(memory.DefaultAllocator, 0, batchRows)
	defer batch.Release()
	run := func(b *testing.B, opts *ferry.Options) {
		r := memreader.New([]arrow.RecordBatch{batch}, &memreader.Options{Repeat: batches, BatchesPerSplit: 8})
		w := memwriter.New(memwriter.NewTable(), &memwriter.Options{Discard: true})
		sum, err := ferry.New(r, w, opts).Run(context.Background())
		if err != nil || sum.RowsWritten != batchRows*batches {
			b.Fatal(err, sum.RowsWritten)
		}
	}
	b.Run("observer=none", func(b *testing.B) {
		for b.Loop() {
			run(b, &ferry.Options{Concurrency: 2})
		}
		b.ReportMetric(float64(batchRows*batches)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("observer=prometheus", func(b *testing.B) {
		c := metrics.New(&metrics.Options{Job: "bench", Run: "r"})
		if err := c.Register(prometheus.NewRegistry()); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			opts := &ferry.Options{Concurrency: 2, RunID: "r", Observer: c, Progress: c.ProgressFunc("r", nil)}
			run(b, opts)
		}
		b.ReportMetric(float64(batchRows*batches)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("observer=otel", func(b *testing.B) {
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		defer provider.Shutdown(context.Background())
		o, err := metrics.NewOTel(provider.Meter("bench"), nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			run(b, &ferry.Options{Concurrency: 2, RunID: "r", Observer: o, Progress: o.ProgressFunc("r", nil)})
		}
		b.ReportMetric(float64(batchRows*batches)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkObserve measures one event through the Collector: the cost the
// engine pays per written batch (batch_written), per split (started +
// finished) and per dirty-row event.
func BenchmarkObserve(b *testing.B) {
	c := metrics.New(&metrics.Options{Job: "bench", Run: "r"})
	batch := ferry.Event{Kind: ferry.EventBatchWritten, RunID: "r", Split: "s", Rows: 8192, Bytes: 1 << 20}
	b.Run("batch_written", func(b *testing.B) {
		for b.Loop() {
			c.Observe(batch)
		}
	})
	b.Run("batch_written_parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Observe(batch)
			}
		})
	})
	b.Run("split_started_finished", func(b *testing.B) {
		for b.Loop() {
			c.Observe(ferry.Event{Kind: ferry.EventSplitStarted})
			c.Observe(ferry.Event{Kind: ferry.EventSplitFinished, Elapsed: 1e9})
		}
	})
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer provider.Shutdown(context.Background())
	o, err := metrics.NewOTel(provider.Meter("bench"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("otel_batch_written", func(b *testing.B) {
		for b.Loop() {
			o.Observe(batch)
		}
	})
	dirtyEvent := ferry.Event{Kind: ferry.EventDirtyRow, Rows: 1, Err: dirty.RowError{Row: 1, Err: errors.New("bad value")}}
	b.Run("dirty_rows", func(b *testing.B) {
		for b.Loop() {
			c.Observe(dirtyEvent)
		}
	})
}
