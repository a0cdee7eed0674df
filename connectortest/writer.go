package connectortest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
)

// RunWriterTests runs the writer conformance tests:
//
//   - Insert/RoundTrip: every standard column the destination holds, with
//     minimums, maximums, NULLs, NaN and nasty strings, written through two
//     concurrent BatchWriters and read back exactly;
//   - Insert/AbortLeavesDestination: an aborted run leaves what an earlier
//     run committed, and nothing of its own;
//   - Insert/CancelledWrite: a write under a cancelled context fails or is
//     undone by Abort;
//   - Insert/Empty: a run with no rows commits an empty destination;
//   - Overwrite, Upsert, Replace (when claimed in Modes): the mode's result,
//     the old rows readable until Commit, Abort keeping the old rows,
//     reruns giving the same table, the last row for a key winning;
//   - Dirty (when the harness has Dirty): exactly the bad rows are
//     reported, the others land;
//   - Staged (when the writer is a ferry.StageWriter, for insert and, when
//     claimed, overwrite): two writers attached to one stage copy different
//     splits, a split copied twice counts once with its last attempt, a
//     discarded attempt counts not at all, nothing is visible before
//     Commit, a second Commit changes nothing; a writer that dies with a
//     split half written leaves a stage that a new writer resumes exactly;
//     an attached writer can Abort. Every other test also drives a
//     StageWriter through the staged protocol, as the Pipeline does;
//
// and checks after each that Close left no Arrow memory allocated.
func RunWriterTests(t T, h WriterHarness) {
	t.Helper()
	if h.New == nil || h.ReadBack == nil {
		t.Fatal("connectortest: WriterHarness.New and ReadBack are required")
	}
	subtest(t, "Insert/RoundTrip", func(t T) { testWriterRoundTrip(t, h) })
	subtest(t, "Insert/AbortLeavesDestination", func(t T) { testWriterAbort(t, h) })
	subtest(t, "Insert/CancelledWrite", func(t T) { testWriterCancel(t, h) })
	subtest(t, "Insert/Empty", func(t T) { testWriterEmpty(t, h) })
	if slices.Contains(h.Modes, ferry.ModeOverwrite) {
		subtest(t, "Overwrite", func(t T) { testWriterOverwrite(t, h) })
	}
	for _, m := range []ferry.WriteMode{ferry.ModeUpsert, ferry.ModeReplace} {
		if slices.Contains(h.Modes, m) {
			subtest(t, string(m), func(t T) { testWriterUpsert(t, h, m) })
		}
	}
	if h.Dirty != nil {
		subtest(t, "Dirty", func(t T) { testWriterDirty(t, h) })
	}
	if isStaged(t, h) {
		for _, m := range stagedModes(h) {
			subtest(t, "Staged/TwoProcesses/"+string(m), func(t T) { testStagedTwoProcesses(t, h, m) })
			subtest(t, "Staged/CrashAndResume/"+string(m), func(t T) { testStagedCrash(t, h, m) })
		}
	}
}

// run is one writer run under test.
type writerRun struct {
	t      T
	h      WriterHarness
	w      ferry.Writer
	mem    *memory.CheckedAllocator
	bws    []ferry.BatchWriter
	done   bool
	staged ferry.StageWriter // the writer, when it offers the staged protocol
	splits []string          // the splits the BatchWriters write, when staged
}

var runCounter atomic.Int64

// newRunID returns a run ID unique within the process.
func newRunID() string {
	return fmt.Sprintf("ct%d_%d", time.Now().UnixNano()%1_000_000_000, runCounter.Add(1))
}

func startRun(t T, h WriterHarness, dest string, schema *arrow.Schema, mode ferry.WriteMode, workers int) *writerRun {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	w := h.New(tb(t), ctx, dest, schema, mode, mem)
	if w == nil {
		t.Fatal("harness New returned a nil Writer")
	}
	sw, staged := w.(ferry.StageWriter)
	var err error
	if staged {
		err = sw.PrepareStage(ctx, newRunID(), schema)
	} else {
		err = w.Prepare(ctx, schema)
	}
	if err != nil {
		w.Abort(ctx, err)
		w.Close()
		t.Fatalf("Prepare(%s): %v", mode, err)
	}
	if h.NoConcurrentOpen {
		workers = 1
	}
	r := &writerRun{t: t, h: h, w: w, mem: mem, staged: sw}
	// A test that fails half way must not leave the writer's transaction
	// open: it would block the harness's clean-up (a DROP TABLE waiting on
	// a lock). Cleanups run last-in first-out, so this runs before the
	// harness's own.
	t.Cleanup(func() {
		if !r.done {
			for _, bw := range r.bws {
				if s, ok := bw.(ferry.SplitWriter); ok {
					s.Discard(context.Background())
				} else {
					bw.Close(context.Background())
				}
			}
			r.w.Abort(context.Background(), errors.New("connectortest: test failed"))
			r.w.Close()
		}
	})
	for i := range workers {
		var bw ferry.BatchWriter
		if staged {
			id := fmt.Sprintf("part-%d", i)
			bw, err = sw.OpenSplit(ctx, id)
			r.splits = append(r.splits, id)
		} else {
			bw, err = w.Open(ctx)
		}
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		r.bws = append(r.bws, bw)
	}
	return r
}

// write writes b split over the BatchWriters, concurrently.
func (r *writerRun) write(b arrow.RecordBatch) {
	r.t.Helper()
	n := b.NumRows()
	k := int64(len(r.bws))
	var wg sync.WaitGroup
	errs := make([]error, k)
	for i, bw := range r.bws {
		lo, hi := n*int64(i)/k, n*int64(i+1)/k
		part := b.NewSlice(lo, hi)
		wg.Go(func() {
			defer part.Release()
			errs[i] = bw.Write(context.Background(), part)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		r.t.Fatalf("Write: %v", err)
	}
}

func (r *writerRun) closeWriters() {
	r.t.Helper()
	for _, bw := range r.bws {
		if err := bw.Close(context.Background()); err != nil {
			r.t.Fatalf("BatchWriter.Close: %v", err)
		}
	}
	r.bws = nil
}

func (r *writerRun) commit() {
	r.t.Helper()
	r.closeWriters()
	if r.staged != nil {
		checkMarked(r.t, r.staged, r.splits)
	}
	if err := r.w.Commit(context.Background()); err != nil {
		r.t.Fatalf("Commit: %v", err)
	}
	if r.staged != nil {
		st, err := r.staged.Status(context.Background())
		if err != nil || !st.Committed {
			r.t.Errorf("after Commit, Status() = %+v, %v; want Committed", st, err)
		}
	}
	r.finish()
}

// checkMarked fails t unless Status lists exactly the splits want as done.
func checkMarked(t T, sw ferry.StageWriter, want []string) ferry.StageStatus {
	t.Helper()
	st, err := sw.Status(context.Background())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	var got []string
	for _, m := range st.Done {
		got = append(got, m.Split)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("Status() marks %v done, want %v", got, want)
	}
	if st.Committed || st.Aborted {
		t.Fatalf("Status() = %+v before Commit", st)
	}
	return st
}

func (r *writerRun) abort() {
	r.t.Helper()
	for _, bw := range r.bws {
		bw.Close(context.Background())
	}
	r.bws = nil
	if err := r.w.Abort(context.Background(), errors.New("connectortest: deliberate abort")); err != nil {
		r.t.Errorf("Abort: %v", err)
	}
	r.finish()
}

func (r *writerRun) finish() {
	r.t.Helper()
	r.done = true
	if err := r.w.Close(); err != nil {
		r.t.Errorf("Writer.Close: %v", err)
	}
	r.mem.AssertSize(r.t, 0)
}

// readBack returns the destination's rows.
func readBack(t T, h WriterHarness, dest string, schema *arrow.Schema) arrow.RecordBatch {
	t.Helper()
	b := h.ReadBack(tb(t), context.Background(), dest, schema)
	if b == nil {
		t.Fatal("ReadBack returned nil")
	}
	return b
}

func expectRows(t T, h WriterHarness, dest string, want arrow.RecordBatch) {
	t.Helper()
	got := readBack(t, h, dest, want.Schema())
	defer got.Release()
	assertRows(t, want, []arrow.RecordBatch{got})
}

// rows returns a batch of schema with the given ids; str holds prefix and
// the id, the other columns the standard values of the row at that id.
func rows(schema *arrow.Schema, ids []int64, prefix string) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	maxID := slices.Max(ids)
	base := Batch(mem, schema, int(maxID))
	defer base.Release()
	cols := make([]arrow.Array, schema.NumFields())
	for c := range cols {
		var parts []arrow.Array
		for _, id := range ids {
			parts = append(parts, array.NewSlice(base.Column(c), id-1, id))
		}
		a, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			panic(err)
		}
		cols[c] = a
	}
	if prefix != "" {
		sb := array.NewStringBuilder(mem)
		for _, id := range ids {
			sb.Append(fmt.Sprintf("%s %d", prefix, id))
		}
		cols[1].Release()
		cols[1] = sb.NewArray()
		sb.Release()
	}
	out := array.NewRecordBatch(schema, cols, int64(len(ids)))
	for _, a := range cols {
		a.Release()
	}
	return out
}

func idRange(lo, hi int64) []int64 {
	var ids []int64
	for i := lo; i <= hi; i++ {
		ids = append(ids, i)
	}
	return ids
}

func testWriterRoundTrip(t T, h WriterHarness) {
	schema := Schema(h.Columns)
	data := Batch(memory.DefaultAllocator, schema, 64)
	defer data.Release()
	r := startRun(t, h, "roundtrip", schema, ferry.ModeInsert, 2)
	r.write(data)
	r.commit()
	expectRows(t, h, "roundtrip", data)
}

func testWriterAbort(t T, h WriterHarness) {
	schema := Schema([]string{})
	first := rows(schema, idRange(1, 20), "first")
	defer first.Release()
	r := startRun(t, h, "abort", schema, ferry.ModeInsert, 2)
	r.write(first)
	r.commit()

	second := rows(schema, idRange(21, 40), "second")
	defer second.Release()
	r = startRun(t, h, "abort", schema, ferry.ModeInsert, 2)
	r.write(second)
	r.abort()
	expectRows(t, h, "abort", first)
}

func testWriterCancel(t T, h WriterHarness) {
	schema := Schema([]string{})
	first := rows(schema, idRange(1, 10), "first")
	defer first.Release()
	r := startRun(t, h, "cancel", schema, ferry.ModeInsert, 1)
	r.write(first)
	r.commit()

	second := rows(schema, idRange(11, 5000), "second")
	defer second.Release()
	r = startRun(t, h, "cancel", schema, ferry.ModeInsert, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.bws[0].Write(ctx, second)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Write under a cancelled context: %v, want nil or an error wrapping context.Canceled", err)
	}
	r.abort()
	expectRows(t, h, "cancel", first)
}

func testWriterEmpty(t T, h WriterHarness) {
	schema := Schema([]string{})
	r := startRun(t, h, "empty", schema, ferry.ModeInsert, 1)
	r.commit()
	got := readBack(t, h, "empty", schema)
	defer got.Release()
	if got.NumRows() != 0 {
		t.Errorf("empty run left %d rows", got.NumRows())
	}
}

func testWriterOverwrite(t T, h WriterHarness) {
	schema := Schema([]string{})
	old := rows(schema, idRange(1, 20), "old")
	defer old.Release()
	r := startRun(t, h, "overwrite", schema, ferry.ModeInsert, 1)
	r.write(old)
	r.commit()

	repl := rows(schema, idRange(11, 30), "new")
	defer repl.Release()

	// An aborted overwrite keeps the old rows.
	r = startRun(t, h, "overwrite", schema, ferry.ModeOverwrite, 2)
	r.write(repl)
	r.abort()
	expectRows(t, h, "overwrite", old)

	// The old rows stay readable until Commit.
	r = startRun(t, h, "overwrite", schema, ferry.ModeOverwrite, 2)
	r.write(repl)
	r.closeWriters()
	expectRows(t, h, "overwrite", old)
	r.commit()
	expectRows(t, h, "overwrite", repl)

	// A rerun gives the same table.
	r = startRun(t, h, "overwrite", schema, ferry.ModeOverwrite, 2)
	r.write(repl)
	r.commit()
	expectRows(t, h, "overwrite", repl)
}

func testWriterUpsert(t T, h WriterHarness, mode ferry.WriteMode) {
	schema := Schema([]string{})
	old := rows(schema, idRange(1, 20), "old")
	defer old.Release()
	r := startRun(t, h, "upsert", schema, ferry.ModeInsert, 1)
	r.write(old)
	r.commit()

	upd := rows(schema, idRange(11, 30), "new")
	defer upd.Release()
	expected := concat(t, schema, rows(schema, idRange(1, 10), "old"), rows(schema, idRange(11, 30), "new"))
	defer expected.Release()

	// Aborted: nothing changes.
	r = startRun(t, h, "upsert", schema, mode, 2)
	r.write(upd)
	r.abort()
	expectRows(t, h, "upsert", old)

	for run := 1; run <= 2; run++ { // the rerun gives the same table
		r = startRun(t, h, "upsert", schema, mode, 2)
		r.write(upd)
		r.commit()
		expectRows(t, h, "upsert", expected)
	}

	// The last row for a key wins within a run, across batches.
	firstV := rows(schema, []int64{31}, "first")
	defer firstV.Release()
	lastV := rows(schema, []int64{31}, "last")
	defer lastV.Release()
	r = startRun(t, h, "upsert", schema, mode, 1)
	r.write(firstV)
	r.write(lastV)
	r.commit()
	final := concat(t, schema, rows(schema, idRange(1, 10), "old"), rows(schema, idRange(11, 30), "new"), rows(schema, []int64{31}, "last"))
	defer final.Release()
	expectRows(t, h, "upsert", final)
}

// concat concatenates and releases bs.
func concat(t T, schema *arrow.Schema, bs ...arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	defer release(bs)
	return Concat(tb(t), schema, bs)
}

// Concat concatenates bs, which stay owned by the caller, into one batch of
// schema (an empty one when bs is empty), allocated from the default
// allocator: what a harness's ReadBack returns after reading a destination
// in several batches. The caller releases the result.
func Concat(t testing.TB, schema *arrow.Schema, bs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, b := range bs {
		n += b.NumRows()
	}
	for c := range cols {
		if len(bs) == 0 {
			bld := array.NewBuilder(memory.DefaultAllocator, schema.Field(c).Type)
			cols[c] = bld.NewArray()
			bld.Release()
			continue
		}
		parts := make([]arrow.Array, len(bs))
		for i, b := range bs {
			parts[i] = b.Column(c)
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("concatenate column %s: %v", schema.Field(c).Name, err)
		}
		cols[c] = a
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	return out
}

func testWriterDirty(t T, h WriterHarness) {
	schema := Schema(h.Columns)
	b, bad := h.Dirty(tb(t), memory.DefaultAllocator, schema)
	defer b.Release()
	r := startRun(t, h, "dirty", b.Schema(), ferry.ModeInsert, 1)
	err := r.bws[0].Write(context.Background(), b)
	rowErrs := dirty.Rows(err)
	if err != nil && rowErrs == nil {
		t.Fatalf("Write of a batch with bad rows: %v, want a *dirty.RowErrors", err)
	}
	var got []int
	for _, re := range rowErrs {
		got = append(got, int(re.Row))
		if re.Err == nil {
			t.Errorf("row %d reported without a reason", re.Row)
		}
	}
	slices.Sort(got)
	want := slices.Clone(bad)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("dirty rows %v, want %v (err: %v)", got, want, err)
	}
	r.commit()

	// Everything but the bad rows landed.
	ids := b.Column(0).(*array.Int64)
	var goodIDs []int64
	for i := 0; i < ids.Len(); i++ {
		if !slices.Contains(bad, i) {
			goodIDs = append(goodIDs, ids.Value(i))
		}
	}
	got2 := readBack(t, h, "dirty", b.Schema())
	defer got2.Release()
	gotIDs := got2.Column(0).(*array.Int64)
	var landed []int64
	for i := 0; i < gotIDs.Len(); i++ {
		landed = append(landed, gotIDs.Value(i))
	}
	slices.Sort(landed)
	slices.Sort(goodIDs)
	if !slices.Equal(landed, goodIDs) {
		t.Errorf("landed ids %v, want %v", landed, goodIDs)
	}
}
