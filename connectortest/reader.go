package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// RunReaderTests runs the reader conformance tests:
//
//   - RoundTrip: every standard column the source holds, with minimums,
//     maximums, NULLs, NaN and nasty strings, read back exactly;
//   - SplitsCoverEveryRowOnce: the splits of a larger source, shipped
//     through JSON, return every row exactly once, also read concurrently;
//   - Empty: an empty source gives no rows and no error;
//   - CancelMidStream: cancelling the context stops the read with an error
//     that wraps context.Canceled;
//   - SplitsReadElsewhere (when the harness has Open): splits shipped
//     through JSON, with the reader's exported state, are read exactly by a
//     second Reader opened from the same configuration;
//
// and checks after each that Close left no Arrow memory allocated.
func RunReaderTests(t T, h ReaderHarness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("connectortest: ReaderHarness.New is nil")
	}
	subtest(t, "RoundTrip", func(t T) { testReaderRoundTrip(t, h) })
	subtest(t, "SplitsCoverEveryRowOnce", func(t T) { testReaderSplits(t, h) })
	subtest(t, "Empty", func(t T) { testReaderEmpty(t, h) })
	subtest(t, "CancelMidStream", func(t T) { testReaderCancel(t, h) })
	if h.Open != nil {
		subtest(t, "SplitsReadElsewhere", func(t T) { testReaderElsewhere(t, h) })
	}
}

// readerUnderTest opens a reader over data with a checked allocator and
// returns it with a function that closes it and checks for leaks.
func readerUnderTest(t T, h ReaderHarness, data arrow.RecordBatch, batchRows int) (ferry.Reader, *memory.CheckedAllocator) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	r := h.New(tb(t), context.Background(), mem, data, batchRows)
	if r == nil {
		t.Fatal("harness New returned a nil Reader")
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	return r, mem
}

// readSplits reads every split (concurrently when parallel) and returns
// the batches.
func readSplits(t T, ctx context.Context, r ferry.Reader, splits []ferry.Split, parallel bool) []arrow.RecordBatch {
	t.Helper()
	var (
		mu   sync.Mutex
		out  []arrow.RecordBatch
		wg   sync.WaitGroup
		errs []error
	)
	read := func(s ferry.Split) {
		rr, err := r.Read(ctx, s)
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			return
		}
		bs, err := readAll(t, rr)
		rr.Release()
		mu.Lock()
		out = append(out, bs...)
		if err != nil {
			errs = append(errs, err)
		}
		mu.Unlock()
	}
	for _, s := range splits {
		if parallel {
			wg.Go(func() { read(s) })
		} else {
			read(s)
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		release(out)
		t.Fatalf("read: %v", errors.Join(errs...))
	}
	return out
}

func testReaderRoundTrip(t T, h ReaderHarness) {
	ctx := context.Background()
	schema := Schema(h.Columns)
	data := Batch(memory.DefaultAllocator, schema, 64)
	defer data.Release()
	r, _ := readerUnderTest(t, h, data, 10)

	got, err := r.Schema(ctx)
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	checkSchema(t, schema, got, h.Types)
	splits, err := r.Splits(ctx, 4)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	if len(splits) == 0 {
		t.Fatal("Splits returned none")
	}
	bs := readSplits(t, ctx, r, splits, false)
	defer release(bs)
	for _, b := range bs {
		if !b.Schema().Equal(got) {
			t.Fatalf("batch schema %s differs from Schema() %s", b.Schema(), got)
		}
		if b.NumRows() > 10 {
			t.Errorf("batch of %d rows, asked for at most 10", b.NumRows())
		}
	}
	assertRows(t, data, bs)
}

func testReaderSplits(t T, h ReaderHarness) {
	ctx := context.Background()
	schema := Schema([]string{})
	data := Batch(memory.DefaultAllocator, schema, 5000)
	defer data.Release()
	r, _ := readerUnderTest(t, h, data, 700)
	if _, err := r.Schema(ctx); err != nil {
		t.Fatalf("Schema: %v", err)
	}
	splits, err := r.Splits(ctx, 4)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	shipped := shipSplits(t, splits)
	ids := map[string]bool{}
	for _, s := range shipped {
		if s.ID == "" || ids[s.ID] {
			t.Errorf("split ID %q empty or repeated", s.ID)
		}
		ids[s.ID] = true
	}
	for _, parallel := range []bool{false, true} {
		bs := readSplits(t, ctx, r, shipped, parallel)
		assertRows(t, data, bs)
		release(bs)
	}
}

// shipSplits sends splits through JSON, as a distributed run would.
func shipSplits(t T, splits []ferry.Split) []ferry.Split {
	t.Helper()
	blob, err := json.Marshal(splits)
	if err != nil {
		t.Fatalf("marshal splits: %v", err)
	}
	var shipped []ferry.Split
	if err := json.Unmarshal(blob, &shipped); err != nil {
		t.Fatalf("unmarshal splits: %v", err)
	}
	return shipped
}

func testReaderEmpty(t T, h ReaderHarness) {
	ctx := context.Background()
	schema := Schema([]string{})
	data := Batch(memory.DefaultAllocator, schema, 0)
	defer data.Release()
	r, _ := readerUnderTest(t, h, data, 100)
	if _, err := r.Schema(ctx); err != nil {
		t.Fatalf("Schema: %v", err)
	}
	splits, err := r.Splits(ctx, 4)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	bs := readSplits(t, ctx, r, splits, false)
	defer release(bs)
	var n int64
	for _, b := range bs {
		n += b.NumRows()
	}
	if n != 0 {
		t.Errorf("empty source gave %d rows", n)
	}
}

func testReaderCancel(t T, h ReaderHarness) {
	schema := Schema([]string{})
	data := Batch(memory.DefaultAllocator, schema, 20000)
	defer data.Release()
	r, _ := readerUnderTest(t, h, data, 500)
	if _, err := r.Schema(context.Background()); err != nil {
		t.Fatalf("Schema: %v", err)
	}
	splits, err := r.Splits(context.Background(), 1)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	// Read the split with the most rows.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen int64
	var lastErr error
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				lastErr = err
				continue
			}
			t.Fatalf("Read: %v", err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for rr.Next() {
			seen += rr.RecordBatch().NumRows()
			cancel()
			if time.Now().After(deadline) {
				t.Fatal("reader kept returning batches 30s after cancel")
			}
		}
		if err := rr.Err(); err != nil {
			lastErr = err
		}
		rr.Release()
	}
	if seen >= 20000 {
		t.Errorf("reader returned all %d rows although the context was cancelled after the first batch", seen)
	}
	if !errors.Is(lastErr, context.Canceled) {
		t.Errorf("after cancel, read %d of 20000 rows and Err() = %v, want an error wrapping context.Canceled", seen, lastErr)
	}
}
