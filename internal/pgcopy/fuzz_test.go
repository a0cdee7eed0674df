package pgcopy

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fuzzCols are the columns of the fuzzed streams: one of each decoder kind.
var fuzzCols = []Column{
	{Name: "i4", OID: OIDInt4}, {Name: "t", OID: OIDText}, {Name: "n", OID: OIDNumeric, TypMod: -1},
	{Name: "n122", OID: OIDNumeric, TypMod: (12<<16 | 2) + 4}, {Name: "ts", OID: OIDTimestamptz},
	{Name: "ai", OID: 1007}, {Name: "u", OID: OIDUUID}, {Name: "jb", OID: OIDJSONB}, {Name: "iv", OID: OIDInterval},
	{Name: "b", OID: OIDBool}, {Name: "by", OID: OIDBytea}, {Name: "d", OID: OIDDate}, {Name: "f8", OID: OIDFloat8},
	{Name: "at", OID: 1009}, {Name: "tm", OID: OIDTime}, {Name: "i8", OID: OIDInt8},
}

func fuzzTypes() Types {
	ts := Types{}
	for _, o := range []uint32{OIDInt4, OIDText, OIDNumeric, OIDTimestamptz, OIDUUID, OIDJSONB, OIDInterval, OIDBool, OIDBytea, OIDDate, OIDFloat8, OIDTime, OIDInt8} {
		ts[o] = Type{OID: o, Kind: 'b'}
	}
	ts[1007] = Type{OID: 1007, Name: "_int4", Kind: 'b', Category: 'A', Elem: OIDInt4}
	ts[1009] = Type{OID: 1009, Name: "_text", Kind: 'b', Category: 'A', Elem: OIDText}
	return ts
}

func fuzzSchema(t testing.TB, ts Types) *arrow.Schema {
	var fields []arrow.Field
	for _, c := range fuzzCols {
		f, err := Field(c, ts)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil)
}

// decodeAll decodes stream in chunks of step bytes and returns the rows.
func decodeAll(t testing.TB, mem memory.Allocator, sc *arrow.Schema, ts Types, stream []byte, step int) (int64, error) {
	var rows int64
	dec, err := NewDecoder(mem, sc, fuzzCols, ts, 3, func(b arrow.RecordBatch) error {
		rows += b.NumRows()
		b.Release()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	for len(stream) > 0 {
		n := min(step, len(stream))
		if _, err := dec.Write(stream[:n]); err != nil {
			return rows, err
		}
		stream = stream[n:]
	}
	return rows, dec.Flush()
}

// validStream encodes a few rows of every fuzzed type.
func validStream(t testing.TB, sc *arrow.Schema, ts Types) []byte {
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	// decode a hand-made stream? simpler: build values through the builders
	for i := 0; i < 5; i++ {
		for c, f := range sc.Fields() {
			if i == 4 {
				b.Field(c).AppendNull()
				continue
			}
			bld := b.Field(c)
			if err := bld.AppendValueFromString(sampleValue(f.Type, i)); err != nil {
				t.Fatalf("column %s: %v", f.Name, err)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	enc, err := NewEncoder(sc, fuzzCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(enc.Reader(rec))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sampleValue(dt arrow.DataType, i int) string {
	switch dt.ID() {
	case arrow.INT32, arrow.INT64:
		return []string{"0", "-1", "2147483647", "42"}[i]
	case arrow.STRING:
		return []string{"0", "1.5", "-0.000000000001", "NaN"}[i]
	case arrow.DECIMAL128:
		return []string{"0", "-9999999999.99", "1.25", "10"}[i]
	case arrow.TIMESTAMP:
		return []string{"2020-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1999-12-31T23:59:59Z"}[i]
	case arrow.LIST:
		if dt.(*arrow.ListType).Elem().ID() == arrow.STRING {
			return []string{`[]`, `["a",null,""]`, `["\"q\""]`, `["日本"]`}[i]
		}
		return []string{"[]", "[1,null,3]", "[-5]", "[0,0]"}[i]
	case arrow.EXTENSION:
		if dt.(arrow.ExtensionType).ExtensionName() == "arrow.uuid" {
			return []string{"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"}[i]
		}
		return []string{`{}`, `[1,2]`, `"s"`, `null`}[i]
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return []string{`{"months":0,"days":0,"nanoseconds":0}`, `{"months":-1,"days":2,"nanoseconds":3000}`, `{"months":12,"days":0,"nanoseconds":0}`, `{"months":0,"days":-5,"nanoseconds":-1000}`}[i]
	case arrow.BOOL:
		return []string{"true", "false", "true", "false"}[i]
	case arrow.BINARY:
		return []string{"", "AAEC", "/w==", "AA=="}[i]
	case arrow.DATE32:
		return []string{"2000-01-01", "0001-01-01", "9999-12-31", "1970-01-01"}[i]
	case arrow.FLOAT64:
		return []string{"0", "NaN", "-Inf", "1.5e300"}[i]
	case arrow.TIME64:
		return []string{"00:00:00", "23:59:59.999999", "12:00:00", "01:02:03.000004"}[i]
	}
	return ""
}

// FuzzDecode feeds arbitrary bytes (the seeds are valid, truncated and
// bit-flipped streams) to the binary COPY decoder: it must return an error
// or rows, never panic, and leak nothing.
func FuzzDecode(f *testing.F) {
	ts := fuzzTypes()
	sc := fuzzSchema(f, ts)
	valid := validStream(f, sc, ts)
	f.Add(valid, uint8(7))
	f.Add(valid[:len(valid)/2], uint8(255))
	f.Add(valid[:len(valid)-2], uint8(1))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/3] ^= 0x80
	f.Add(flipped, uint8(13))
	f.Add(Signature, uint8(3))
	f.Add([]byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, step byte) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		decodeAll(t, mem, sc, ts, stream, int(step)+1)
	})
}

// TestDecodeValidAndBroken: the valid stream decodes to its 5 rows in any
// chunking; every strict prefix of it is an error, never a panic.
func TestDecodeValidAndBroken(t *testing.T) {
	ts := fuzzTypes()
	sc := fuzzSchema(t, ts)
	valid := validStream(t, sc, ts)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, step := range []int{1, 7, 64, len(valid)} {
		if n, err := decodeAll(t, mem, sc, ts, valid, step); err != nil || n != 5 {
			t.Fatalf("step %d: %d rows, %v; want 5 rows", step, n, err)
		}
	}
	for cut := 1; cut < len(valid); cut++ {
		if _, err := decodeAll(t, mem, sc, ts, valid[:cut], 64); err == nil {
			t.Fatalf("a stream cut at byte %d of %d decoded without error", cut, len(valid))
		}
	}
}

// TestWriteSeeds writes the seed corpus of FuzzDecode to testdata (run with
// FERRY_WRITE_SEEDS=1 after changing the seeds).
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("FERRY_WRITE_SEEDS") != "1" {
		t.Skip("set FERRY_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzDecode")
	}
	ts := fuzzTypes()
	sc := fuzzSchema(t, ts)
	valid := validStream(t, sc, ts)
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/3] ^= 0x80
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string][]byte{"valid": valid, "half": valid[:len(valid)/2], "flipped": flipped, "header": Signature, "no_trailer": valid[:len(valid)-2]} {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbyte('\\x07')\n", s)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecodeDirect is FuzzDecode for a schema with no builder columns (the
// orders shape), whose tuples are decoded in one pass and taken back when
// cut short: never a panic, never a leak, and a stream that decodes whole
// in one Write decodes the same in pieces.
func FuzzDecodeDirect(f *testing.F) {
	ts := ordersTypes()
	sc := ordersSchema(f, ts)
	rec := ordersBatch(f, memory.DefaultAllocator, sc, 12)
	defer rec.Release()
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := io.ReadAll(enc.Reader(rec))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, uint8(7))
	f.Add(valid[:len(valid)/2], uint8(255))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/3] ^= 0x80
	f.Add(flipped, uint8(13))
	f.Fuzz(func(t *testing.T, stream []byte, step byte) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		decode := func(step int) ([]string, error) {
			var rows []string
			dec, err := NewDecoder(mem, sc, ordersCols, ts, 5, func(b arrow.RecordBatch) error {
				for i := 0; i < int(b.NumRows()); i++ {
					var sb bytes.Buffer
					for _, c := range b.Columns() {
						sb.WriteString(c.ValueStr(i))
						sb.WriteByte('|')
					}
					rows = append(rows, sb.String())
				}
				b.Release()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Release()
			for s := stream; len(s) > 0; {
				n := min(step, len(s))
				if _, err := dec.Write(s[:n]); err != nil {
					return rows, err
				}
				s = s[n:]
			}
			return rows, dec.Flush()
		}
		whole, err := decode(len(stream) + 1)
		pieces, err2 := decode(int(step) + 1)
		if err == nil && err2 != nil {
			t.Fatalf("decodes whole, in pieces of %d: %v", int(step)+1, err2)
		}
		if err == nil && fmt.Sprint(whole) != fmt.Sprint(pieces) {
			t.Fatalf("in pieces of %d: %v, whole: %v", int(step)+1, pieces, whole)
		}
	})
}
