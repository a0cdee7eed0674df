package csvwriter

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/fileset"
)

// refWrite is the per-value form of encoder.Write the bound columns
// replace: AppendText into a scratch cell, then appendField.
func refWrite(e *encoder, b arrow.RecordBatch) []byte {
	var out, cell []byte
	for i := 0; i < int(b.NumRows()); i++ {
		for c, col := range b.Columns() {
			if c > 0 {
				out = append(out, e.w.cfg.Delimiter)
			}
			if fileset.IsNull(col, i) {
				out = append(out, e.w.cfg.NullString...)
				continue
			}
			cell = fileset.AppendText(cell[:0], col, i)
			out = e.appendField(out, cell, true)
		}
		out = append(out, e.eol...)
	}
	return out
}

// TestBoundColumnsMatchPerValue writes batches (sliced ones, NULLs, empty
// and huge text, JSON, numbers, and configurations whose delimiter or null
// string is made of the characters numbers are written with) and compares
// the output with the per-value reference.
func TestBoundColumnsMatchPerValue(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema, err := fileset.ParseColumns("i:int64,j:int32,f:float64,s:utf8,js:json,ts:timestamp[us,UTC],d:date32,u:uuid,n:null,b:bool,dec:decimal(12,2)")
	if err != nil {
		t.Fatal(err)
	}
	huge := string(bytes.Repeat([]byte("x,\"y\"\n"), 100000))
	const null = "\x00null"
	rows := [][]string{
		{"1", "-2", "1.5", "plain", `{"a":1}`, "2026-01-02T03:04:05.123456Z", "2026-12-31", "c4ca4238-a0b9-2382-0dcc-509a6f75849b", null, "true", "-12.50"},
		{null, null, null, null, null, null, null, null, null, null, null},
		{"-9223372036854775808", "2147483647", "-Inf", "", `"q,\"x\""`, "0001-01-01T00:00:00Z", "0001-01-01", "00000000-0000-0000-0000-000000000000", null, "false", "0.00"},
		{"-10", "0", "NaN", " lead", `[1,2]`, "9999-12-31T23:59:59.999999Z", "1970-01-01", null, null, null, "1.10"},
		{"12", "5", "1e+21", huge, null, "2000-02-29T12:00:00Z", null, "c81e728d-9d4c-2f63-6f06-7f89cc14862c", null, "true", "9999999999.99"},
		{"0", "-1", "-0.25", "a\tb\r\nc", `{}`, null, "2024-02-29", "eccbc87e-4b5c-e2fe-2830-8fd9f2a7baf3", null, "false", "-0.01"},
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for r, row := range rows {
		for i, text := range row {
			var v any
			if text != null {
				if v, err = fileset.ParseText(schema.Field(i).Type, text); err != nil {
					t.Fatalf("row %d column %s: %v", r, schema.Field(i).Name, err)
				}
			}
			if err := fileset.AppendValue(b.Field(i), v); err != nil {
				t.Fatalf("row %d column %s: %v", r, schema.Field(i).Name, err)
			}
		}
	}
	full := b.NewRecordBatch()
	defer full.Release()
	cases := []struct {
		name string
		cfg  Config
	}{
		{"default", Config{Delimiter: ',', Quote: '"'}},
		{"tab, \\N", Config{Delimiter: '\t', Quote: '\'', NullString: `\N`}},
		{"digit delimiter", Config{Delimiter: '1', Quote: '"'}},
		{"minus delimiter", Config{Delimiter: '-', Quote: '"', CRLF: true}},
		{"dot delimiter, quote 5", Config{Delimiter: '.', Quote: '5'}},
		{"null string is a number", Config{Delimiter: ',', Quote: '"', NullString: "0"}},
		{"null string is NaN", Config{Delimiter: ';', Quote: '"', NullString: "NaN"}},
	}
	for _, tc := range cases {
		for _, sl := range [][2]int64{{0, 6}, {1, 5}, {2, 4}, {5, 6}, {3, 3}} {
			rec := full.NewSlice(sl[0], sl[1])
			tc.cfg.NoHeader = true
			w := &Writer{cfg: tc.cfg}
			var got bytes.Buffer
			enc, err := w.newEncoder(&got, schema)
			if err != nil {
				t.Fatal(err)
			}
			e := enc.(*encoder)
			if err := e.Write(rec); err != nil {
				t.Fatal(err)
			}
			want := refWrite(e, rec)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s, rows %v: got\n%.300q\nwant\n%.300q", tc.name, sl, got.Bytes(), want)
			}
			rec.Release()
		}
	}
}
