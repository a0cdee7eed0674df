package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/metrics"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

func intBatch(mem memory.Allocator, from, n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("v%d", i))
	}
	return b.NewRecordBatch()
}

// scrape GETs url and returns the samples by "name{labels}".
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

const lbl = `job="orders",run="r1"`

func TestScrapeDuringRealRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	var batches []arrow.RecordBatch
	for i := range 4 {
		batches = append(batches, intBatch(mem, i*100, 100))
	}
	reg := prometheus.NewRegistry()
	c := metrics.New(&metrics.Options{Job: "orders", Run: "r1"})
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.Handler(reg))
	defer srv.Close()

	// The writer rejects ids divisible by 50 (8 rows, 8 distinct values of
	// one reason); the reader sleeps before every batch so that the run
	// can be scraped while it goes on.
	var writes atomic.Int64
	scraped := make(chan map[string]float64, 1)
	r := memreader.New(batches, &memreader.Options{Repeat: 3, BatchesPerSplit: 2, Delay: 20 * time.Millisecond})
	w := memwriter.New(newTable(t), &memwriter.Options{
		Reject: func(b arrow.RecordBatch, row int) error {
			if b.Column(0).(*array.Int64).Value(row)%50 == 0 {
				return errors.New("id is a multiple of 50")
			}
			return nil
		},
		WriteErr: func(call int64) error {
			if writes.Add(1) == 6 { // mid-run: scrape once
				scraped <- scrape(t, srv.URL)
			}
			return nil
		},
	})
	for _, b := range batches {
		b.Release()
	}
	opts := &ferry.Options{Concurrency: 2, RunID: "r1", Observer: c, Dirty: dirty.IgnoreAll(), Allocator: mem, ProgressInterval: 10 * time.Millisecond}
	opts.Progress = c.ProgressFunc("r1", nil)
	sum, err := ferry.New(r, w, opts).Run(context.Background())
	c.Finish(sum, err)
	if err != nil {
		t.Fatal(err)
	}
	mid := <-scraped
	if v := mid["ferry_rows_written_total{"+lbl+"}"]; v <= 0 || v >= float64(sum.RowsWritten) {
		t.Errorf("mid-run rows written %v, want between 0 and %d", v, sum.RowsWritten)
	}
	if v := mid["ferry_splits_in_progress{"+lbl+"}"]; v < 1 || v > 2 {
		t.Errorf("mid-run splits in progress %v, want 1 or 2", v)
	}

	end := scrape(t, srv.URL)
	want := map[string]float64{
		"ferry_rows_written_total{" + lbl + "}":                                         float64(sum.RowsWritten),
		"ferry_rows_read_total{" + lbl + "}":                                            float64(sum.RowsRead),
		"ferry_bytes_written_total{" + lbl + "}":                                        float64(sum.BytesWritten),
		"ferry_bytes_read_total{" + lbl + "}":                                           float64(sum.BytesRead),
		"ferry_rows_filtered_total{" + lbl + "}":                                        0,
		`ferry_rows_dirty_total{job="orders",reason="id is a multiple of 50",run="r1"}`: float64(sum.RowsDirty),
		`ferry_splits_total{` + lbl + `,state="finished"}`:                              float64(sum.SplitsDone),
		`ferry_split_duration_seconds_count{` + lbl + `}`:                               float64(sum.SplitsDone),
		`ferry_runs_total{job="orders",outcome="succeeded",run="r1"}`:                   1,
		"ferry_last_run_success{" + lbl + "}":                                           1,
		"ferry_last_run_rows_written{" + lbl + "}":                                      float64(sum.RowsWritten),
		"ferry_splits_in_progress{" + lbl + "}":                                         0,
		"ferry_retries_total{" + lbl + "}":                                              0,
	}
	if sum.RowsWritten != 1200-24 || sum.RowsDirty != 24 || sum.SplitsDone != 6 {
		t.Fatalf("unexpected run: %+v", sum)
	}
	for k, v := range want {
		if got, ok := end[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if end["ferry_wait_on_reader_seconds_total{"+lbl+"}"] <= 0 {
		t.Errorf("wait on reader not counted: %v", end["ferry_wait_on_reader_seconds_total{"+lbl+"}"])
	}
	if got, want := end["ferry_wait_on_reader_seconds_total{"+lbl+"}"], sum.WaitOnReader.Seconds(); got != want {
		t.Errorf("wait on reader %v, summary %v", got, want)
	}
}

func TestDirtyReasonsAreCapped(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := metrics.New(&metrics.Options{Job: "j", MaxDirtyReasons: 3})
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		err := fmt.Errorf("split s: %w", dirty.RowError{Row: int64(i), Column: "c", Err: fmt.Errorf("bad value %d", i)})
		c.Observe(ferry.Event{Kind: ferry.EventDirtyRow, Rows: 2, Err: err})
	}
	c.Observe(ferry.Event{Kind: ferry.EventDirtyRow, Rows: 1, Err: fmt.Errorf("s: %w", dirty.RowError{Err: errors.New("bad value 1")})})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "ferry_rows_dirty_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "reason" {
					got[lp.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	want := map[string]float64{"bad value 0": 2, "bad value 1": 3, "bad value 2": 2, "other": 14}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dirty by reason %v, want %v", got, want)
	}
	long := metrics.DirtyReason(dirty.RowError{Err: errors.New(strings.Repeat("x", 300))})
	if len(long) != 100 {
		t.Errorf("reason not cut to 100 bytes: %d", len(long))
	}
	if r := metrics.DirtyReason(dirty.RowError{}); r != "rejected" {
		t.Errorf("reason of a row error without cause %q", r)
	}
}

func TestFailedRunOutcome(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := metrics.New(&metrics.Options{Labels: prometheus.Labels{"job": "x"}})
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	b := intBatch(mem, 0, 10)
	r := memreader.New([]arrow.RecordBatch{b}, &memreader.Options{
		Repeat: 2,
		OpenErr: func(split string, attempt int) error {
			if attempt == 1 {
				return ferry.Retryable(errors.New("connection reset"))
			}
			return nil
		},
	})
	b.Release()
	w := memwriter.New(newTable(t), &memwriter.Options{CommitErr: errors.New("disk full")})
	opts := &ferry.Options{Concurrency: 1, Observer: c, Allocator: mem, Retry: ferry.RetryPolicy{InitialBackoff: time.Millisecond}}
	sum, err := ferry.New(r, w, opts).Run(context.Background())
	if err == nil {
		t.Fatal("run with a failing commit succeeded")
	}
	c.Finish(sum, err)
	c.Finish(nil, fmt.Errorf("wrapped: %w", ferry.ErrCheckFailed))
	srv := httptest.NewServer(metrics.Handler(reg))
	defer srv.Close()
	got := scrape(t, srv.URL)
	for k, v := range map[string]float64{
		`ferry_runs_total{job="x",outcome="failed"}`:       1,
		`ferry_runs_total{job="x",outcome="check_failed"}`: 1,
		`ferry_last_run_success{job="x"}`:                  0,
		`ferry_splits_total{job="x",state="retried"}`:      2,
		`ferry_retries_total{job="x"}`:                     float64(sum.Retries),
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if sum.Retries != 2 {
		t.Errorf("summary retries %d, want 2", sum.Retries)
	}
}

func TestOTel(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())
	o, err := metrics.NewOTel(provider.Meter("ferry"), &metrics.OTelOptions{Attributes: []attribute.KeyValue{attribute.String("job", "orders")}})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	b := intBatch(mem, 0, 100)
	r := memreader.New([]arrow.RecordBatch{b}, &memreader.Options{Repeat: 3})
	b.Release()
	w := memwriter.New(newTable(t), &memwriter.Options{Reject: func(b arrow.RecordBatch, row int) error {
		if row == 7 {
			return errors.New("seven")
		}
		return nil
	}})
	opts := &ferry.Options{Concurrency: 2, RunID: "o1", Observer: o, Dirty: dirty.IgnoreAll(), Allocator: mem}
	opts.Progress = o.ProgressFunc("o1", nil)
	sum, err := ferry.New(r, w, opts).Run(context.Background())
	o.Finish(sum, err)
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range d.DataPoints {
					if job, _ := dp.Attributes.Value("job"); job.AsString() != "orders" {
						t.Errorf("%s without job attribute: %v", m.Name, dp.Attributes)
					}
					sums[m.Name] += dp.Value
				}
			}
		}
	}
	for k, v := range map[string]int64{
		"ferry.rows.written": sum.RowsWritten, "ferry.rows.read": sum.RowsRead, "ferry.rows.dirty": 3,
		"ferry.bytes.written": sum.BytesWritten, "ferry.runs": 1, "ferry.splits.in_progress": 0,
	} {
		if sums[k] != v {
			t.Errorf("%s = %d, want %d", k, sums[k], v)
		}
	}
	if sum.RowsWritten != 297 {
		t.Errorf("rows written %d", sum.RowsWritten)
	}
}

// newTable returns a memwriter Table released when the test ends (before
// the allocator's check, which was deferred earlier).
func newTable(t *testing.T) *memwriter.Table {
	tbl := memwriter.NewTable()
	t.Cleanup(tbl.Release)
	return tbl
}

func TestTracer(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	tr := metrics.NewTracer(tp.Tracer("ferry"), context.Background(), attribute.String("job", "orders"))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	b := intBatch(mem, 0, 10)
	r := memreader.New([]arrow.RecordBatch{b}, &memreader.Options{Repeat: 3, OpenErr: func(split string, attempt int) error {
		if split == "mem[1,2)" && attempt == 1 {
			return ferry.Retryable(errors.New("reset"))
		}
		return nil
	}})
	b.Release()
	sum, err := ferry.New(r, memwriter.New(newTable(t), nil), &ferry.Options{Concurrency: 2, RunID: "t1", Observer: tr, Allocator: mem,
		Retry: ferry.RetryPolicy{InitialBackoff: time.Millisecond}}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tr.End("t1", nil) // no-op: the commit ended the run span
	spans := rec.Ended()
	var runs, splits, failed int
	for _, s := range spans {
		switch s.Name() {
		case "ferry.run":
			runs++
			if s.Parent().IsValid() {
				t.Errorf("run span has a parent")
			}
		case "ferry.split":
			splits++
			if s.Status().Code == codes.Error {
				failed++
			}
			if s.Parent().SpanID() != spans[len(spans)-1].SpanContext().SpanID() {
				t.Errorf("split span not under the run span")
			}
		}
	}
	if runs != 1 || splits != 4 || failed != 1 || sum.SplitsDone != 3 || spans[len(spans)-1].Name() != "ferry.run" {
		t.Errorf("runs %d, splits %d (failed %d) of %d spans", runs, splits, failed, len(spans))
	}
}
