package sqlitereader

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fuzzDecls are the declared types the fuzz target decodes into: every kind
// the reader has.
var fuzzDecls = []string{
	"TINYINT", "SMALLINT", "INT32", "INTEGER", "UNSIGNED TINYINT", "UNSIGNED SMALLINT", "UNSIGNED INT", "UNSIGNED BIGINT",
	"FLOAT32", "REAL", "BOOLEAN", "TEXT", "BLOB", "DECIMAL(10,2)", "DECIMAL(60,20)", "DECIMAL(38,0)", "DATE", "TIME", "TIME(9)",
	"DATETIME", "DATETIME(9)", "TIMESTAMPTZ", "UUID", "JSON", "INTEGER LIST", "FLOAT32 VECTOR(3)", "TEXT LIST", "BOOLEAN LIST",
	"REAL LIST", "INTERVAL MONTH_DAY_NANO",
}

// FuzzDecode feeds every decoder what SQLite can hand over (text, blob,
// integer, real): a value either decodes and appends, or is an error (a
// dirty row); it never panics, and the batch it builds is valid.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), uint8(0), "12", int64(-128), 1.5)
	f.Add(uint8(13), uint8(0), "-12.50", int64(0), 0.0)
	f.Add(uint8(14), uint8(0), "99999999999999999999999999999999999999.99999999999999999999", int64(0), 0.0)
	f.Add(uint8(19), uint8(0), "2024-06-01T12:00:00.123456789+05:30", int64(0), 0.0)
	f.Add(uint8(16), uint8(0), "0001-01-01", int64(0), 0.0)
	f.Add(uint8(17), uint8(0), "23:59:59.999999", int64(0), 0.0)
	f.Add(uint8(25), uint8(0), `[0.5,"NaN",-1e39]`, int64(0), 0.0)
	f.Add(uint8(24), uint8(1), `[1,null,9223372036854775808]`, int64(0), 0.0)
	f.Add(uint8(29), uint8(0), `{"months":1,"days":-2,"nanoseconds":3}`, int64(0), 0.0)
	f.Add(uint8(22), uint8(1), "0123456789abcdef", int64(0), 0.0)
	f.Add(uint8(23), uint8(0), `{"a":[1,2,{"b":null}]}`, int64(0), 0.0)
	f.Add(uint8(7), uint8(2), "", int64(math.MinInt64), 0.0)
	f.Add(uint8(3), uint8(3), "", int64(0), 9.3e18)
	f.Add(uint8(10), uint8(0), "true", int64(2), 0.0)
	f.Fuzz(func(t *testing.T, which, form uint8, s string, i int64, fl float64) {
		decl := fuzzDecls[int(which)%len(fuzzDecls)]
		typ, k, err := typeOf(decl)
		if err != nil {
			t.Fatalf("%s: %v", decl, err)
		}
		var v any
		switch form % 5 {
		case 0:
			v = s
		case 1:
			v = []byte(s)
		case 2:
			v = i
		case 3:
			v = fl
		case 4:
			v = nil
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		c := newColumn("c", typ, k)
		c.bld = array.NewBuilder(mem, typ)
		defer c.bld.Release()
		perr := c.parse(v)
		// The record reader's typed path (no boxing, views of SQLite's
		// memory) must decide and decode exactly like parse.
		tc := newColumn("c", typ, k)
		tc.bld = array.NewBuilder(mem, typ)
		defer tc.bld.Release()
		var terr error
		switch v := v.(type) {
		case string:
			terr = tc.fromText(v)
		case []byte:
			terr = tc.fromBlob(v)
		case int64:
			terr = tc.fromInt64(v)
		case float64:
			terr = tc.fromFloat(v)
		case nil:
			tc.null = true
		}
		if (perr == nil) != (terr == nil) {
			t.Fatalf("%s %#v: parse %v, typed path %v", decl, v, perr, terr)
		}
		if perr != nil {
			if perr.Error() == "" {
				t.Fatalf("%s %#v: empty error", decl, v)
			}
			return
		}
		c.add()
		tc.add()
		arr := c.bld.NewArray()
		defer arr.Release()
		tarr := tc.bld.NewArray()
		defer tarr.Release()
		if arr.Len() != 1 {
			t.Fatalf("%s %#v: %d values", decl, v, arr.Len())
		}
		if err := array.ValidateFull(arr); err != nil {
			t.Fatalf("%s %#v: invalid array: %v", decl, v, err)
		}
		if (v == nil) != arr.IsNull(0) {
			t.Fatalf("%s %#v: null %v", decl, v, arr.IsNull(0))
		}
		if !array.ApproxEqual(arr, tarr, array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
			t.Fatalf("%s %#v: parse gives %v, the typed path %v", decl, v, arr, tarr)
		}
	})
}
