package transform

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// colRef names a column by position (DataX's columnIndex) or by name.
type colRef struct {
	index int // used when name is ""
	name  string
}

func (c colRef) resolve(in *arrow.Schema, what string) (int, error) {
	if c.name != "" {
		return columnNamed(in, what, c.name)
	}
	return columnAt(in, what, c.index)
}

// refs lists columns named by name and by position.
func refs(names []string, positions []int) []colRef {
	var out []colRef
	for _, c := range names {
		out = append(out, colRef{name: c})
	}
	for _, i := range positions {
		out = append(out, colRef{index: i})
	}
	return out
}

// resolveAll resolves cols against in, each column at most once.
func resolveAll(in *arrow.Schema, what string, cols []colRef) ([]int, error) {
	var idx []int
	seen := map[int]bool{}
	for _, c := range cols {
		i, err := c.resolve(in, what)
		if err != nil {
			return nil, err
		}
		if seen[i] {
			return nil, fmt.Errorf("transform: %s: column %q named twice", what, in.Field(i).Name)
		}
		seen[i] = true
		idx = append(idx, i)
	}
	return idx, nil
}

// rewrite returns b with columns idx replaced by what build makes of each
// (k is the position in idx), dropping the rows build reports to errs.
func rewrite(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch, out *arrow.Schema, idx []int,
	build func(k int, src arrow.Array, name string, errs *rowErrs) (arrow.Array, error)) (arrow.RecordBatch, error) {
	cols := append([]arrow.Array(nil), b.Columns()...)
	var built []arrow.Array
	defer func() {
		for _, a := range built {
			a.Release()
		}
	}()
	var errs rowErrs
	for k, ci := range idx {
		a, err := build(k, b.Column(ci), b.Schema().Field(ci).Name, &errs)
		if err != nil {
			return nil, err
		}
		built = append(built, a)
		cols[ci] = a
	}
	return finish(ctx, mem, out, cols, int(b.NumRows()), &errs)
}

// strFunc rewrites one value: s is the value's text (empty when null is
// true); it appends the new text to dst and returns it, or reports a NULL
// result, or an error that makes the row dirty. dst is reused from value
// to value, so the hot loop allocates nothing per value.
type strFunc func(dst []byte, s string, null bool) ([]byte, bool, error)

// stringMap applies fn to the values of some columns, which become utf8.
type stringMap struct {
	what string
	cols []colRef
	fn   strFunc
	opts *Options
	b    binding[stringMapPlan]
}

type stringMapPlan struct {
	out  *arrow.Schema
	idx  []int
	strs []stringer
}

var _ ferry.Transformer = (*stringMap)(nil)

func newStringMap(what string, cols []colRef, fn strFunc, opts *Options) *stringMap {
	m := &stringMap{what: what, cols: cols, fn: fn, opts: opts}
	m.b.bind = m.bind
	return m
}

func (m *stringMap) bind(in *arrow.Schema) (*stringMapPlan, error) {
	idx, err := resolveAll(in, m.what, m.cols)
	if err != nil {
		return nil, err
	}
	p := &stringMapPlan{out: in, idx: idx}
	for _, i := range idx {
		f := in.Field(i)
		s, err := stringerFor(f.Type)
		if err != nil {
			return nil, fmt.Errorf("transform: %s: column %q: %w", m.what, f.Name, err)
		}
		p.strs = append(p.strs, s)
		p.out = replaceField(p.out, i, stringField(f))
	}
	return p, nil
}

// OutputSchema returns in with the chosen columns turned into utf8.
func (m *stringMap) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	return m.b.output(in, func(p *stringMapPlan) *arrow.Schema { return p.out })
}

// Transform rewrites the chosen columns; a value fn rejects makes its row dirty.
func (m *stringMap) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := m.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	mem := m.opts.mem()
	n := int(b.NumRows())
	var buf []byte
	return rewrite(ctx, mem, b, p.out, p.idx, func(k int, src arrow.Array, name string, errs *rowErrs) (arrow.Array, error) {
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		sb.Reserve(n)
		if s, ok := src.(*array.String); ok {
			sb.ReserveData(len(s.ValueBytes()))
		}
		for i := 0; i < n; i++ {
			null := src.IsNull(i)
			s := ""
			if !null {
				s = p.strs[k](src, i)
			}
			v, vnull, err := m.fn(buf[:0], s, null)
			buf = v
			switch {
			case err != nil:
				errs.add(n, i, name, goValue(src, i), fmt.Errorf("transform: %s: %w", m.what, err))
				sb.AppendNull()
			case vnull:
				sb.AppendNull()
			default:
				sb.BinaryBuilder.Append(v)
			}
		}
		return sb.NewArray(), nil
	})
}

// runeLen returns the number of characters (Unicode code points) of s.
func runeLen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i + utf8.RuneCountInString(s[i:])
		}
	}
	return len(s)
}

// runeOffset returns the byte offset of character k of s (len(s) when k is
// at or past the end).
func runeOffset(s string, k int) int {
	if k <= 0 {
		return 0
	}
	for i := range s {
		if k == 0 {
			return i
		}
		k--
	}
	return len(s)
}

// ascii reports whether s is all ASCII, so that bytes are characters.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// runeSpan returns the byte offsets of characters [from, from+n) of s,
// clamped at its end, walking only as far as it needs; ok is false when s
// has fewer than from characters.
func runeSpan(s string, from, n int) (a, b int, ok bool) {
	i, k := 0, 0
	for k < from {
		if i >= len(s) {
			return 0, 0, false
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
		k++
	}
	a = i
	for k = 0; k < n && i < len(s); k++ {
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
	return a, i, true
}

// runeSub returns characters [from, to) of s, clamped to s.
func runeSub(s string, from, to int) string {
	if ascii(s) {
		from, to = min(from, len(s)), min(to, len(s))
		return s[from:to]
	}
	a := runeOffset(s, from)
	b := a + runeOffset(s[a:], to-from)
	return s[a:b]
}
