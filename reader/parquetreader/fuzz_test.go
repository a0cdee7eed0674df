package parquetreader_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/reader/parquetreader"
)

// readAny opens and reads path the way a run does; it reports whether it
// all worked. It must never panic nor leak.
func readAny(t *testing.T, path string, mem memory.Allocator) bool {
	r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: path, Allocator: mem, BatchRows: 64})
	if err != nil {
		return false
	}
	defer r.Close()
	splits, err := r.Splits(context.Background(), 2)
	if err != nil {
		return false
	}
	ok := true
	for _, s := range splits {
		rr, err := r.Read(context.Background(), s)
		if err != nil {
			ok = false
			continue
		}
		for rr.Next() {
		}
		ok = ok && rr.Err() == nil
		rr.Release()
	}
	return ok
}

// FuzzParquetReader feeds mutated Parquet files (seeds: the files of
// testdata/writers, truncated and bit-flipped by the fuzzer) to the
// reader: errors are fine, panics and leaks are not.
func FuzzParquetReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/writers/*.parquet")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		readAny(t, path, mem)
		mem.AssertSize(t, 0)
	})
}

// TestTruncatedAndBitFlipped cuts every file of testdata/writers at many
// lengths and flips bits all over it: each damaged file is read to an
// error or to the end, never to a panic or a leak.
func TestTruncatedAndBitFlipped(t *testing.T) {
	seeds, _ := filepath.Glob("testdata/writers/*.parquet")
	dir := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	n := 0
	for _, s := range seeds {
		full, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(full)/60)
		for cut := 0; cut < len(full); cut += step {
			p := filepath.Join(dir, "cut.parquet")
			os.WriteFile(p, full[:cut], 0o644)
			if readAny(t, p, mem) && cut < len(full)-8 {
				t.Fatalf("%s cut at %d of %d bytes read without an error", s, cut, len(full))
			}
			n++
		}
		for i := 0; i < len(full); i += step {
			b := append([]byte(nil), full...)
			b[i] ^= 1 << (i % 8)
			p := filepath.Join(dir, "flip.parquet")
			os.WriteFile(p, b, 0o644)
			readAny(t, p, mem)
			n++
		}
	}
	if n < 500 {
		t.Fatalf("only %d damaged files", n)
	}
}
