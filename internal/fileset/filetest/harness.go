package filetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
)

// WriteAll writes data through w in one run (Prepare, one BatchWriter,
// Commit) and closes w.
func WriteAll(t testing.TB, w ferry.Writer, data arrow.RecordBatch) {
	t.Helper()
	ctx := context.Background()
	defer w.Close()
	if err := w.Prepare(ctx, data.Schema()); err != nil {
		t.Fatal(err)
	}
	bw, err := w.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Write(ctx, data); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// WriterHarness returns the conformance harness of a file writer: each
// destination is a directory of the test (insert adds part files,
// overwrite replaces them at Commit), opened with open, and read back by
// the reader read returns for the directory and the written schema.
func WriterHarness(
	open func(ctx context.Context, dir string, mode ferry.WriteMode) (ferry.Writer, error),
	read func(ctx context.Context, dir string, schema *arrow.Schema) (ferry.Reader, error),
) connectortest.WriterHarness {
	var (
		mu   sync.Mutex
		dirs = map[*testing.T]string{}
	)
	destDir := func(t *testing.T, dest string) string {
		mu.Lock()
		defer mu.Unlock()
		base, ok := dirs[t]
		if !ok {
			base = t.TempDir()
			dirs[t] = base
			t.Cleanup(func() {
				mu.Lock()
				delete(dirs, t)
				mu.Unlock()
			})
		}
		return filepath.Join(base, dest) + "/"
	}
	return connectortest.WriterHarness{
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			w, err := open(ctx, destDir(t, dest), mode)
			if err != nil {
				t.Fatal(err)
			}
			return w
		},
		ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
			r, err := read(ctx, destDir(t, dest), schema)
			if err != nil {
				t.Fatal(err)
			}
			b, bad := ReadAll(t, r, true)
			if len(bad) > 0 {
				t.Fatalf("dirty rows reading back: %v", bad)
			}
			return b
		},
		Modes: []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite},
	}
}
