package fileset

import (
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var cellSeeds = []string{"1", " 42 ", "-128", "300", "18446744073709551615", "1.5e3", "NaN", "-Inf", "true", "t", "off", "yes",
	"aGVsbG8=", "123.456", "-0.5", "1e2", "99999999999.999", "2024-02-29", "2023-02-29", "23:59:59.999999",
	"2024-02-29 23:59:59.5+05:30", "2025-07-01 00:00:01+00", "2026-01-01 00:00:00.000001Z", "2026-01-01T00:00:00",
	"550e8400-e29b-41d4-a716-446655440000", `{"a":[1,2]}`, `{"a":`, `{"months":1,"days":2,"nanoseconds":3}`, "[1,null,3]",
	`"quoted"`, `"2024-02-29"`, `"12.5"`, `"a\"b"`, `"caf\u00e9"`, "null", " null ", "", "\xff", `"\xff"`}

// FuzzCell checks that a Cell parses and appends exactly what ParseText
// (ParseJSON) and AppendValue do, for text and JSON of every type the
// file codecs take, with one Cell reused across values and NULLs in
// between (seeds: cellSeeds).
func FuzzCell(f *testing.F) {
	for _, s := range cellSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		for _, dt := range fuzzTypes {
			for _, asJSON := range []bool{false, true} {
				if asJSON && !utf8.ValidString(s) {
					// Cell.ParseJSON takes valid UTF-8 only, as the
					// readers check each line first (encoding/json would
					// turn the bad bytes into U+FFFD)
					continue
				}
				checkCell(t, mem, dt, s, asJSON)
			}
		}
	})
}

func checkCell(t *testing.T, mem memory.Allocator, dt arrow.DataType, s string, asJSON bool) {
	t.Helper()
	want := array.NewBuilder(mem, dt)
	defer want.Release()
	got := array.NewBuilder(mem, dt)
	defer got.Release()
	c := NewCell(dt)
	for k := 0; k < 2; k++ { // twice, with a NULL between: the Cell is reused
		var v any
		var werr, gerr error
		buf := []byte(s) // the Cell aliases it until Append
		if asJSON {
			v, werr = ParseJSON(dt, buf)
			gerr = c.ParseJSON(buf)
		} else {
			v, werr = ParseText(dt, s)
			gerr = c.ParseText(string(buf))
		}
		// (the generic path's messages may name a different one of
		// several bad keys from run to run: only typed ones must agree)
		if (werr == nil) != (gerr == nil) || (werr != nil && c.kind != cellAny && werr.Error() != gerr.Error()) {
			t.Fatalf("%s %q (json %v): Cell error %v, want %v", dt, s, asJSON, gerr, werr)
		}
		if werr != nil {
			return
		}
		if err := AppendValue(want, v); err != nil {
			return // a value the generic path cannot append either
		}
		if err := c.Append(got); err != nil {
			t.Fatalf("%s %q (json %v): Append: %v", dt, s, asJSON, err)
		}
		for i := range buf {
			buf[i] = 'X' // Append copied what it needs
		}
		want.AppendNull()
		c.SetNull()
		if err := c.Append(got); err != nil {
			t.Fatal(err)
		}
	}
	wa, ga := want.NewArray(), got.NewArray()
	defer wa.Release()
	defer ga.Release()
	if !array.Equal(wa, ga) && wa.String() != ga.String() { // NaN != NaN
		t.Fatalf("%s %q (json %v): Cell appended %v, want %v", dt, s, asJSON, ga, wa)
	}
}
