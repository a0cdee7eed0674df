package connectortest

import (
	"context"
	"errors"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// stagedWriter opens a Writer of the harness for dest and attaches it to run
// runID through PrepareStage, as a process of a distributed run would. It
// fails t if the writer is not a StageWriter.
func stagedWriter(t T, h WriterHarness, dest, runID string, schema *arrow.Schema, mode ferry.WriteMode) (ferry.StageWriter, *memory.CheckedAllocator) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	w := h.New(tb(t), ctx, dest, schema, mode, mem)
	sw, ok := w.(ferry.StageWriter)
	if !ok {
		w.Close()
		t.Fatalf("%T is not a ferry.StageWriter", w)
	}
	if err := sw.PrepareStage(ctx, runID, schema); err != nil {
		w.Close()
		t.Fatalf("PrepareStage(%s): %v", runID, err)
	}
	return sw, mem
}

// copySplit writes b as one attempt at split and closes (marks) it.
func copySplit(t T, sw ferry.StageWriter, split string, b arrow.RecordBatch) {
	t.Helper()
	ctx := context.Background()
	w, err := sw.OpenSplit(ctx, split)
	if err != nil {
		t.Fatalf("OpenSplit(%s): %v", split, err)
	}
	if err := w.Write(ctx, b); err != nil {
		w.Discard(ctx)
		t.Fatalf("split %s: Write: %v", split, err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatalf("split %s: Close: %v", split, err)
	}
}

func closeWriter(t T, w ferry.Writer, mem *memory.CheckedAllocator) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Errorf("Writer.Close: %v", err)
	}
	mem.AssertSize(t, 0)
}

// testStagedTwoProcesses: two writers on one stage copy different splits,
// one split is copied twice (the second attempt, with other values, replaces
// the first), one attempt is discarded, nothing is visible before Commit,
// and a second Commit from the other writer changes nothing.
func testStagedTwoProcesses(t T, h WriterHarness, mode ferry.WriteMode) {
	ctx := context.Background()
	schema := Schema([]string{})
	dest := "staged_" + string(mode)
	old := rows(schema, idRange(1, 10), "old")
	defer old.Release()
	r := startRun(t, h, dest, schema, ferry.ModeInsert, 1)
	r.write(old)
	r.commit()

	runID := newRunID()
	a, memA := stagedWriter(t, h, dest, runID, schema, mode)
	b, memB := stagedWriter(t, h, dest, runID, schema, mode)
	ended := false
	t.Cleanup(func() {
		if !ended {
			a.Abort(context.Background(), errors.New("connectortest: test failed"))
			a.Close()
			b.Close()
		}
	})

	s1 := rows(schema, idRange(11, 20), "s1")
	defer s1.Release()
	s2first := rows(schema, idRange(21, 30), "s2 first attempt")
	defer s2first.Release()
	s2 := rows(schema, idRange(21, 30), "s2")
	defer s2.Release()
	s3 := rows(schema, idRange(31, 40), "s3")
	defer s3.Release()
	lost := rows(schema, idRange(41, 50), "discarded")
	defer lost.Release()

	copySplit(t, a, "s1", s1)
	copySplit(t, a, "s2", s2first)
	copySplit(t, b, "s3", s3)
	copySplit(t, b, "s2", s2) // replaces a's attempt
	w, err := b.OpenSplit(ctx, "s4")
	if err != nil {
		t.Fatalf("OpenSplit(s4): %v", err)
	}
	if err := w.Write(ctx, lost); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Discard(ctx); err != nil {
		t.Fatalf("Discard: %v", err)
	}

	st := checkMarked(t, a, []string{"s1", "s2", "s3"})
	for _, m := range st.Done {
		if m.Rows != 10 {
			t.Errorf("split %s marked with %d rows, want 10", m.Split, m.Rows)
		}
	}
	expectRows(t, h, dest, old) // nothing visible before Commit

	if err := a.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Errorf("a second Commit of a committed run (from the other writer): %v, want nil", err)
	}
	ended = true
	if st, err := b.Status(ctx); err != nil || !st.Committed {
		t.Errorf("Status after Commit = %+v, %v; want Committed", st, err)
	}
	closeWriter(t, a, memA)
	closeWriter(t, b, memB)

	var want arrow.RecordBatch
	switch mode {
	case ferry.ModeOverwrite:
		want = concat(t, schema, rows(schema, idRange(11, 20), "s1"), rows(schema, idRange(21, 30), "s2"), rows(schema, idRange(31, 40), "s3"))
	default:
		want = concat(t, schema, rows(schema, idRange(1, 10), "old"), rows(schema, idRange(11, 20), "s1"), rows(schema, idRange(21, 30), "s2"), rows(schema, idRange(31, 40), "s3"))
	}
	defer want.Release()
	expectRows(t, h, dest, want)
}

// testStagedCrash: a writer dies (Close with neither Commit nor Abort) with
// one split marked and one half written; a new writer attaches, sees only
// the marked split, copies the others and commits: the result is exact.
// Then an attached writer in yet another "process" aborts a second run,
// and the destination keeps its rows.
func testStagedCrash(t T, h WriterHarness, mode ferry.WriteMode) {
	ctx := context.Background()
	schema := Schema([]string{})
	dest := "crash_" + string(mode)
	base := rows(schema, idRange(1, 5), "base")
	defer base.Release()
	r := startRun(t, h, dest, schema, ferry.ModeInsert, 1)
	r.write(base)
	r.commit()

	s1 := rows(schema, idRange(11, 20), "s1")
	defer s1.Release()
	s2 := rows(schema, idRange(21, 30), "s2")
	defer s2.Release()
	s3 := rows(schema, idRange(31, 40), "s3")
	defer s3.Release()

	runID := newRunID()
	dead, memDead := stagedWriter(t, h, dest, runID, schema, mode)
	copySplit(t, dead, "s1", s1)
	half, err := dead.OpenSplit(ctx, "s2")
	if err != nil {
		t.Fatalf("OpenSplit: %v", err)
	}
	if err := half.Write(ctx, s2); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// The process dies here: no Close, Discard, Commit or Abort.
	if err := dead.Close(); err != nil {
		t.Errorf("Close of a writer whose split is open: %v", err)
	}
	_ = memDead // a dead process's memory is not checked

	next, memNext := stagedWriter(t, h, dest, runID, schema, mode)
	ended := false
	t.Cleanup(func() {
		if !ended {
			next.Abort(context.Background(), errors.New("connectortest: test failed"))
			next.Close()
		}
	})
	checkMarked(t, next, []string{"s1"})
	expectRows(t, h, dest, base)
	copySplit(t, next, "s2", s2)
	copySplit(t, next, "s3", s3)
	checkMarked(t, next, []string{"s1", "s2", "s3"})
	if err := next.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	ended = true
	closeWriter(t, next, memNext)
	parts := []arrow.RecordBatch{rows(schema, idRange(11, 20), "s1"), rows(schema, idRange(21, 30), "s2"), rows(schema, idRange(31, 40), "s3")}
	if mode != ferry.ModeOverwrite {
		parts = append([]arrow.RecordBatch{rows(schema, idRange(1, 5), "base")}, parts...)
	}
	want := concat(t, schema, parts...)
	defer want.Release()
	expectRows(t, h, dest, want)

	// Abort from a process that only attached.
	run2 := newRunID()
	p1, mem1 := stagedWriter(t, h, dest, run2, schema, mode)
	extra := rows(schema, idRange(41, 50), "aborted")
	defer extra.Release()
	copySplit(t, p1, "x", extra)
	closeWriter(t, p1, mem1)
	p2, mem2 := stagedWriter(t, h, dest, run2, schema, mode)
	checkMarked(t, p2, []string{"x"})
	if err := p2.Abort(ctx, errors.New("connectortest: abort from another process")); err != nil {
		t.Errorf("Abort from an attached writer: %v", err)
	}
	closeWriter(t, p2, mem2)
	expectRows(t, h, dest, want)
}

// testReaderElsewhere: splits shipped through JSON (with the reader's
// exported state) are read by a second Reader opened from the same
// configuration, as another process would.
func testReaderElsewhere(t T, h ReaderHarness) {
	ctx := context.Background()
	schema := Schema([]string{})
	data := Batch(memory.DefaultAllocator, schema, 3000)
	defer data.Release()
	r1, _ := readerUnderTest(t, h, data, 500)
	if _, err := r1.Schema(ctx); err != nil {
		t.Fatalf("Schema: %v", err)
	}
	splits, err := r1.Splits(ctx, 4)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	var state []byte
	if sr, ok := r1.(ferry.StatefulReader); ok {
		if state, err = sr.ExportState(ctx); err != nil {
			t.Fatalf("ExportState: %v", err)
		}
	}
	shipped := shipSplits(t, splits)

	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	r2 := h.Open(tb(t), ctx, mem, 500)
	if r2 == nil {
		t.Fatal("harness Open returned a nil Reader")
	}
	t.Cleanup(func() {
		if err := r2.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	if _, err := r2.Schema(ctx); err != nil {
		t.Fatalf("second reader: Schema: %v", err)
	}
	if len(state) > 0 {
		sr, ok := r2.(ferry.StatefulReader)
		if !ok {
			t.Fatalf("the first reader exported state; the second (%T) cannot import it", r2)
		}
		if _, err := sr.ImportState(ctx, state); err != nil {
			t.Fatalf("ImportState: %v", err)
		}
	}
	bs := readSplits(t, ctx, r2, shipped, true)
	defer release(bs)
	assertRows(t, data, bs)
}

func stagedModes(h WriterHarness) []ferry.WriteMode {
	modes := []ferry.WriteMode{ferry.ModeInsert}
	for _, m := range []ferry.WriteMode{ferry.ModeOverwrite} {
		if slices.Contains(h.Modes, m) {
			modes = append(modes, m)
		}
	}
	return modes
}

func isStaged(t T, h WriterHarness) bool {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	w := h.New(tb(t), context.Background(), "probe", Schema([]string{}), ferry.ModeInsert, mem)
	defer w.Close()
	_, ok := w.(ferry.StageWriter)
	return ok
}
