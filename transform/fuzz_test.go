package transform_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/transform"
)

// FuzzExprCompiler: any expression text either fails to build or to
// type-check with an error, or filters and computes over stdBatch without
// a panic: every row is kept, dropped or reported dirty, never two of them.
// Seeds: testdata/fuzz/FuzzExprCompiler.
func FuzzExprCompiler(f *testing.F) {
	for _, s := range []string{"n > 0", "s startsWith 'a' || n == nil", "day.Year() == 2024", "col(1) + 1 > 0", "(n ?? 0) % 2 == 0",
		"upper(s) + substr(s, 1, 2)", "ts.Add(duration('1h')) > date('2024-03-10')", "f / 0", `$env["s"]`, "n != nil && !(s == 'a') || flag", "d < f || n >= 1.5", "len(s) > 2 ? 'long' : 'short'"} {
		f.Add(s)
	}
	mem := memory.NewGoAllocator()
	b := stdBatch(mem)
	f.Fuzz(func(t *testing.T, src string) {
		ctx := context.Background()
		if tr, err := transform.Filter(src, nil); err == nil {
			if _, err := tr.OutputSchema(b.Schema()); err == nil {
				out, err := tr.Transform(ctx, b)
				if err != nil && !dirty.Is(err) {
					t.Fatalf("filter %q: %v", src, err)
				}
				require.LessOrEqual(t, out.NumRows()+int64(len(dirty.Rows(err))), b.NumRows())
				if transform.HasFastPath(tr) {
					// the fast path keeps exactly the rows the VM keeps
					vmT, _ := transform.FilterVM(src, nil)
					want, err := vmT.Transform(ctx, b)
					require.NoError(t, err, src)
					require.Equal(t, ids(t, want), ids(t, out), src)
					want.Release()
				}
				out.Release()
			}
		}
		if tr, err := transform.Compute(transform.ComputeConfig{Column: "x", Expr: src, Type: "string"}, nil); err == nil {
			if _, err := tr.OutputSchema(b.Schema()); err == nil {
				out, err := tr.Transform(ctx, b)
				if err != nil && !dirty.Is(err) {
					t.Fatalf("compute %q: %v", src, err)
				}
				require.Equal(t, b.NumRows(), out.NumRows()+int64(len(dirty.Rows(err))))
				out.Release()
			}
		}
	})
}

// FuzzRegexReplace: a regex replacement either fails to build with an
// error or replaces exactly as RE2 does, on any input.
// Seeds: testdata/fuzz/FuzzRegexReplace.
func FuzzRegexReplace(f *testing.F) {
	f.Add(`(\d+)-(\d+)`, "$2-$1", "10-20 and 3-4")
	f.Add(`(?P<w>\w+)`, "<${w}>", "a😀b c")
	f.Add(`^$`, "empty", "")
	f.Add(`a*`, "-", "baaac")
	f.Add(`(?i)é`, "e", "ÉéE")
	f.Fuzz(func(t *testing.T, find, with, in string) {
		tr, err := transform.Text(transform.TextConfig{Columns: []string{"s"}, Find: find, Regex: true, With: with}, nil)
		if err != nil {
			require.ErrorContains(t, err, "transform: replace:")
			return
		}
		mem := memory.NewGoAllocator()
		b := strBatch(mem, []*string{strPtr(in), nil})
		defer b.Release()
		out, err := tr.Transform(context.Background(), b)
		require.NoError(t, err)
		defer out.Release()
		got := columnStrings(t, out, 1)
		want := in
		if find != "" {
			want = regexp.MustCompile(find).ReplaceAllString(in, with)
		}
		require.Equal(t, want, *got[0])
		require.Nil(t, got[1])
	})
}

// FuzzGroovyHint: dx_groovy never builds, never panics, and every compute
// spec its error suggests builds.
func FuzzGroovyHint(f *testing.F) {
	f.Add(`record.setColumn(1, record.getColumn(1).asString().toUpperCase()); return record;`)
	f.Add("Column c = record.getColumn(1);\n String v = c.asString();\n record.setColumn(1, new StringColumn(\"x\" + v.substring(1, v.length()).trim()));\n return record")
	f.Add(`record.setColumn(0, record.getColumn(2).asString().replace("a", "b")); return record`)
	f.Fuzz(func(t *testing.T, code string) {
		p, _ := json.Marshal(map[string]any{"code": code})
		_, err := transform.Build(transform.Spec{Name: "dx_groovy", Parameter: p})
		require.ErrorContains(t, err, "dx_groovy")
		msg := err.Error()
		i := strings.Index(msg, "the equivalent of this code is: ")
		if i < 0 {
			return
		}
		dec := json.NewDecoder(strings.NewReader("[" + msg[i+len("the equivalent of this code is: "):] + "]"))
		var specs []transform.Spec
		require.NoError(t, dec.Decode(&specs), msg)
		for _, s := range specs {
			_, err := transform.Build(s)
			require.NoError(t, err, msg)
		}
	})
}
