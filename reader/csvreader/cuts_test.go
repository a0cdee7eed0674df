package csvreader

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestCutterHints: the on-demand scan, jumping to record starts that
// clean parsers report (any subset of them, in any order, before or
// while cuts are asked for in any order), finds exactly the cuts of one
// scan of the whole file; a file with a record the parser resynchronises
// after gets hints only before it (a parser past it is not clean).
func TestCutterHints(t *testing.T) {
	var clean bytes.Buffer
	clean.WriteString("id,s,n\n")
	for i := 1; i <= 3000; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&clean, "%d,\"multi\nline \"\"%d\"\"\r\n\",%d\n", i, i, i)
		case 2:
			fmt.Fprintf(&clean, "%d,,\r\n", i)
		case 3:
			fmt.Fprintf(&clean, "%d,\"a,b\",\"\"\n", i)
		default:
			fmt.Fprintf(&clean, "%d,plain %d,%d\n", i, i, i)
		}
	}
	bad := append(bytes.Clone(clean.Bytes()[:clean.Len()/2]), "9,\"x\"y,1\n"...)
	bad = append(bad, clean.Bytes()[clean.Len()/2:]...)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"clean", clean.Bytes()}, {"bad record in the middle", bad}, {"no final line break", clean.Bytes()[:clean.Len()-1]}} {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		size := int64(len(tc.data))
		// every record start and line count, and where the scan stops cutting
		type cut struct{ pos, line int64 }
		var all []cut
		done, err := scanBoundsFrom(context.Background(), bytes.NewReader(tc.data), 0, 0, size, 1, DefaultMaxRecordBytes, ',', '"', false, func(pos, line int64) bool {
			all = append(all, cut{pos, line})
			return false
		})
		if err != nil || !done {
			t.Fatal(done, err)
		}
		for _, every := range []int64{1, 7, 100, 1000, 9999, size / 3, size} {
			var want []bound
			if err := scanBounds(context.Background(), bytes.NewReader(tc.data), size, every, DefaultMaxRecordBytes, ',', '"', true, func(pos, line int64) {
				for int64(len(want)+1)*every <= pos {
					want = append(want, bound{pos, line})
				}
			}); err != nil {
				t.Fatal(err)
			}
			for seed := int64(0); seed < 5; seed++ {
				rng := rand.New(rand.NewSource(seed))
				c := newCutter(path, every, DefaultMaxRecordBytes, ',', '"')
				ctx := context.Background()
				ks := rng.Perm(len(want) + 2)
				for _, k := range ks {
					// hints: record starts, before the bad record when there is one
					for range rng.Intn(4) {
						h := all[rng.Intn(len(all))]
						if tc.name != "bad record in the middle" || h.pos < int64(len(bad)/2) {
							c.hint(h.pos, h.line)
						}
					}
					k++
					got, err := c.bound(ctx, int64(k)*every)
					if err != nil {
						t.Fatal(err)
					}
					w := bound{pos: -1}
					if k <= len(want) {
						w = want[k-1]
					}
					if got != w {
						t.Fatalf("%s, every %d, seed %d: B(%d) = %v, want %v", tc.name, every, seed, int64(k)*every, got, w)
					}
				}
			}
		}
	}
}

// TestCutterConcurrentAndCanceled: Reads asking for cuts at once (one
// scans, the others wait, then scan on), and a Read whose context ends
// while it would scan, leave the cuts of one whole scan.
func TestCutterConcurrentAndCanceled(t *testing.T) {
	var data bytes.Buffer
	data.WriteString("id,s\n")
	for i := range 20000 {
		fmt.Fprintf(&data, "%d,\"x\n\"\"%d\"\"\"\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	size := int64(data.Len())
	every := size / 16
	var want []bound
	if err := scanBounds(context.Background(), bytes.NewReader(data.Bytes()), size, every, DefaultMaxRecordBytes, ',', '"', true, func(pos, line int64) {
		for int64(len(want)+1)*every <= pos {
			want = append(want, bound{pos, line})
		}
	}); err != nil {
		t.Fatal(err)
	}
	c := newCutter(path, every, DefaultMaxRecordBytes, ',', '"')
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.bound(canceled, 5*every); err == nil {
		t.Fatal("a canceled Read scanned")
	}
	errs := make(chan error, len(want)+1)
	for k := len(want) + 1; k >= 1; k-- {
		go func() {
			got, err := c.bound(context.Background(), int64(k)*every)
			w := bound{pos: -1}
			if k <= len(want) {
				w = want[k-1]
			}
			if err == nil && got != w {
				err = fmt.Errorf("B(%d) = %v, want %v", int64(k)*every, got, w)
			}
			errs <- err
		}()
	}
	for range len(want) + 1 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
