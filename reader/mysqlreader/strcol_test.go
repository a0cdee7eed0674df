package mysqlreader

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestStrCol builds batches with strCol and with Arrow's builders and
// compares them: NULLs first, last, only, late in a batch past the first
// growth, none; empty values and batches; reserved too small, too large and
// not at all; utf8, binary and JSON; nothing leaks.
func TestStrCol(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	jsonT, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	type val struct {
		s    string
		null bool
	}
	batches := map[string][]val{"empty": nil}
	for _, n := range []int{1, 63, 64, 65, 300, 5000} {
		var none, first, last, only, late, mixed []val
		for i := range n {
			s := strings.Repeat(string(rune('a'+i%26)), i%50)
			none = append(none, val{s: s})
			first = append(first, val{s: s, null: i == 0})
			last = append(last, val{s: s, null: i == n-1})
			only = append(only, val{null: true})
			late = append(late, val{s: s, null: i == n*3/4})
			mixed = append(mixed, val{s: s, null: i%3 == 1})
		}
		for name, b := range map[string][]val{"none": none, "first": first, "last": last, "only": only, "late": late, "mixed": mixed} {
			batches[fmt.Sprintf("%s/%d", name, n)] = b
		}
	}
	for _, typ := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, jsonT} {
		for _, reserve := range []struct{ rows, bytes int }{{-1, -1}, {0, 0}, {10, 10}, {10000, 1 << 20}} {
			sc := newStrCol(mem, typ)
			for name, vals := range batches {
				if reserve.rows >= 0 {
					sc.reserve(reserve.rows, reserve.bytes)
				}
				b := array.NewBuilder(mem, typ)
				for _, v := range vals {
					if v.null {
						sc.appendNull()
						b.AppendNull()
						continue
					}
					if err := sc.append([]byte(v.s)); err != nil {
						t.Fatal(err)
					}
					switch bb := b.(type) {
					case *array.StringBuilder:
						bb.Append(v.s)
					case *array.BinaryBuilder:
						bb.Append([]byte(v.s))
					case *array.ExtensionBuilder:
						bb.Builder.(*array.StringBuilder).Append(v.s)
					}
				}
				if sc.len() != len(vals) {
					t.Fatalf("%s %s: len %d, want %d", typ, name, sc.len(), len(vals))
				}
				got, want := sc.newArray(), b.NewArray()
				if v, ok := got.(interface{ ValidateFull() error }); ok {
					if err := v.ValidateFull(); err != nil {
						t.Fatalf("%s %s: %v", typ, name, err)
					}
				}
				if !array.Equal(got, want) || got.NullN() != want.NullN() {
					t.Fatalf("%s %s (reserve %v): got %v, want %v", typ, name, reserve, got, want)
				}
				got.Release()
				want.Release()
				b.Release()
			}
			sc.appendNull() // a batch left unfinished is released
			sc.release()
		}
	}
}
