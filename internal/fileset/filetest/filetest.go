// Package filetest holds test helpers of the file connectors.
package filetest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/dirty"
)

// ReadAll reads every split of r and returns the rows as one batch ordered
// by its first column (an int64 id) when sortByID, with the dirty rows the
// reader reported. It closes r.
func ReadAll(t testing.TB, r ferry.Reader, sortByID bool) (arrow.RecordBatch, []dirty.RowError) {
	t.Helper()
	ctx := context.Background()
	defer r.Close()
	schema, err := r.Schema(ctx)
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	splits, err := r.Splits(ctx, 4)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	var bs []arrow.RecordBatch
	var bad []dirty.RowError
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		if err != nil {
			t.Fatalf("Read %s: %v", s.ID, err)
		}
		for rr.Next() {
			b := rr.RecordBatch()
			b.Retain()
			bs = append(bs, b)
			if d, ok := rr.(ferry.DirtyReporter); ok {
				bad = append(bad, d.TakeDirty()...)
			}
		}
		if d, ok := rr.(ferry.DirtyReporter); ok {
			bad = append(bad, d.TakeDirty()...)
		}
		if err := rr.Err(); err != nil {
			t.Fatalf("Read %s: %v", s.ID, err)
		}
		rr.Release()
	}
	defer func() {
		for _, b := range bs {
			b.Release()
		}
	}()
	out := Concat(t, schema, bs)
	if !sortByID || out.NumRows() == 0 {
		return out, bad
	}
	defer out.Release()
	return SortByID(t, out), bad
}

// Concat concatenates bs (which stay owned by the caller).
func Concat(t testing.TB, schema *arrow.Schema, bs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	return connectortest.Concat(t, schema, bs)
}

// SortByID returns b ordered by its first column, an int64.
func SortByID(t testing.TB, b arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	ids := b.Column(0).(*array.Int64)
	idx := make([]int64, ids.Len())
	for i := range idx {
		idx[i] = int64(i)
	}
	slices.SortStableFunc(idx, func(x, y int64) int {
		a, c := ids.Value(int(x)), ids.Value(int(y))
		switch {
		case a < c:
			return -1
		case a > c:
			return 1
		}
		return 0
	})
	// runs of consecutive rows, concatenated (Take lacks some types)
	type run struct{ lo, hi int64 }
	var runs []run
	for _, x := range idx {
		if n := len(runs); n > 0 && runs[n-1].hi == x {
			runs[n-1].hi++
			continue
		}
		runs = append(runs, run{x, x + 1})
	}
	cols := make([]arrow.Array, b.NumCols())
	for c := range cols {
		parts := make([]arrow.Array, len(runs))
		for k, r := range runs {
			parts[k] = array.NewSlice(b.Column(c), r.lo, r.hi)
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			t.Fatalf("concatenate: %v", err)
		}
		cols[c] = a
	}
	out := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
	for _, a := range cols {
		a.Release()
	}
	return out
}

// CountSplits opens a reader with open and reads every split of it the way
// a run does, returning the rows read and the line (row) numbers of the
// dirty rows reported, sorted; ok is false when open fails. A failure of
// Splits, Read or a batch fails t. The fuzz targets of the line-oriented
// readers compare one split with many through it.
func CountSplits(t testing.TB, open func() (ferry.Reader, error)) (rows int, dirtyRows []int64, ok bool) {
	t.Helper()
	r, err := open()
	if err != nil {
		return 0, nil, false
	}
	defer r.Close()
	splits, err := r.Splits(context.Background(), 4)
	if err != nil {
		t.Fatalf("Splits: %v", err)
	}
	for _, s := range splits {
		rr, err := r.Read(context.Background(), s)
		if err != nil {
			return 0, nil, false // e.g. a header that lacks a column
		}
		for rr.Next() {
			rows += int(rr.RecordBatch().NumRows())
		}
		if d, isDR := rr.(ferry.DirtyReporter); isDR {
			for _, e := range d.TakeDirty() {
				dirtyRows = append(dirtyRows, e.Row)
			}
		}
		if err := rr.Err(); err != nil {
			t.Fatalf("Err: %v", err)
		}
		rr.Release()
	}
	slices.Sort(dirtyRows)
	return rows, dirtyRows, true
}

// FuzzSplits is the body of the line-oriented readers' fuzz targets: it
// writes data to a file named name and, typed and inferred, reads it in one
// split and in 5-byte splits with open(path, mem, typed, splitBytes); both
// must see the same rows and dirty rows (by line), without a panic or a
// leak.
func FuzzSplits(t *testing.T, name string, data []byte, open func(path string, mem memory.Allocator, typed bool, splitBytes int64) (ferry.Reader, error)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, typed := range []bool{true, false} {
		count := func(split int64) (int, []int64, bool) {
			return CountSplits(t, func() (ferry.Reader, error) { return open(path, mem, typed, split) })
		}
		rows, one, ok := count(-1)
		rows2, many, ok2 := count(5)
		if ok != ok2 || rows != rows2 || !slices.Equal(one, many) {
			t.Fatalf("typed=%v: one split: %d rows, dirty lines %v (%v); 5-byte splits: %d rows, dirty lines %v (%v)", typed, rows, one, ok, rows2, many, ok2)
		}
	}
}
