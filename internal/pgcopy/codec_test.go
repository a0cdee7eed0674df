package pgcopy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/bufpool"
)

// recordOf builds a batch of sc from text values ("" with null true is a
// null; see nulls).
func recordOf(t testing.TB, mem memory.Allocator, sc *arrow.Schema, rows [][]string, null func(row, col int) bool) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for i, r := range rows {
		for c := range sc.Fields() {
			if null != nil && null(i, c) {
				b.Field(c).AppendNull()
				continue
			}
			if err := b.Field(c).AppendValueFromString(r[c]); err != nil {
				t.Fatalf("row %d column %d (%q): %v", i, c, r[c], err)
			}
		}
	}
	return b.NewRecordBatch()
}

// encode returns the binary COPY stream of rec.
func encode(t testing.TB, enc *Encoder, rec arrow.RecordBatch) []byte {
	t.Helper()
	out, err := io.ReadAll(enc.Reader(rec))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeWrites decodes the stream written in the given pieces with a
// checked allocator and checks the batches against want, row by row.
func decodeWrites(t *testing.T, sc *arrow.Schema, cols []Column, ts Types, batchRows int, want arrow.RecordBatch, pieces ...[]byte) {
	t.Helper()
	decodeWritesMem(t, false, sc, cols, ts, batchRows, want, pieces...)
	// again with pgreader's allocator: buffers of released batches come
	// back, poisoned, for the next ones
	decodeWritesMem(t, true, sc, cols, ts, batchRows, want, pieces...)
}

func decodeWritesMem(t *testing.T, pooled bool, sc *arrow.Schema, cols []Column, ts Types, batchRows int, want arrow.RecordBatch, pieces ...[]byte) {
	t.Helper()
	checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer checked.AssertSize(t, 0)
	var mem memory.Allocator = checked
	if pooled {
		pool := bufpool.New(checked, 64<<20)
		defer pool.Close()
		mem = pool
	}
	var off int64
	dec, err := NewDecoder(checked, sc, cols, ts, batchRows, func(b arrow.RecordBatch) error {
		defer b.Release()
		for c, col := range b.Columns() {
			v, ok := col.(interface{ ValidateFull() error })
			if ea, isExt := col.(array.ExtensionArray); isExt {
				v, ok = ea.Storage().(interface{ ValidateFull() error })
			}
			if !ok {
				continue
			}
			if err := v.ValidateFull(); err != nil {
				t.Errorf("batch at row %d column %s: %v", off, sc.Field(c).Name, err)
			}
		}
		if off+b.NumRows() > want.NumRows() {
			t.Fatalf("%d rows or more, want %d", off+b.NumRows(), want.NumRows())
		}
		w := want.NewSlice(off, off+b.NumRows())
		defer w.Release()
		if !array.RecordApproxEqual(w, b, array.WithNaNsEqual(true)) {
			for c := range b.Columns() {
				if !array.ApproxEqual(w.Column(c), b.Column(c), array.WithNaNsEqual(true)) {
					t.Errorf("batch at row %d column %s:\n got %v\nwant %v", off, sc.Field(c).Name, b.Column(c), w.Column(c))
				}
			}
		}
		off += b.NumRows()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	if pooled {
		dec.RecycleBuffers(mem)
	}
	for _, p := range pieces {
		if _, err := dec.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := dec.Flush(); err != nil {
		t.Fatal(err)
	}
	if off != want.NumRows() {
		t.Errorf("%d rows, want %d", off, want.NumRows())
	}
}

// ordersRows returns n rows of orders values (as ordersBatch makes them).
func ordersRows(n int) [][]string {
	statuses := []string{"new", "paid", "shipped", "cancelled"}
	var rows [][]string
	for i := 0; i < n; i++ {
		rows = append(rows, []string{
			fmt.Sprint(i + 1), fmt.Sprint(i % 50000), fmt.Sprintf("-%d.%02d", i%100000, i%100), fmt.Sprintf("%d.25", i%1000),
			statuses[i%4], fmt.Sprintf("note %d", i),
			"2024-03-01T12:34:56.123456", "1999-12-31T23:59:59.999999Z", "1969-07-20", []string{"true", "false"}[i%2],
			fmt.Sprintf("a0eebc99-9c0b-4ef8-bb6d-%012x", i), fmt.Sprintf(`{"k": %d}`, i), "",
		})
	}
	return rows
}

// TestRoundTripShapes encodes and decodes batches of the orders shape with
// nulls in various places, in batches of various sizes.
func TestRoundTripShapes(t *testing.T) {
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	nullable := func(c int) bool { return sc.Field(c).Nullable }
	for _, tc := range []struct {
		name      string
		rows      int
		batchRows int
		null      func(row, col int) bool
	}{
		{"one row", 1, 0, nil},
		{"one null row", 1, 0, func(r, c int) bool { return nullable(c) }},
		{"nulls in the first and last rows", 20, 0, func(r, c int) bool { return nullable(c) && (r == 0 || r == 19) }},
		{"nulls in the last row only", 9, 0, func(r, c int) bool { return nullable(c) && r == 8 }},
		{"columns all null", 30, 7, func(r, c int) bool { return nullable(c) }},
		{"a null every third row, batches of one", 10, 1, func(r, c int) bool { return nullable(c) && r%3 == 0 }},
		{"nulls across batch ends", 100, 8, func(r, c int) bool { return nullable(c) && r%8 >= 6 }},
		{"batches growing past their reservation", 5000, 3000, func(r, c int) bool { return nullable(c) && r > 4000 && r%5 == 0 }},
		{"growing past the first reservation", 10000, 0, func(r, c int) bool { return nullable(c) && r%4099 == 7 }},
		{"many batches, recycled buffers", 20000, 1024, func(r, c int) bool { return nullable(c) && (r*7+c)%11 == 0 }},
		{"many batches without nulls, recycled buffers", 12000, 2000, nil},
		{"big batches, recycled buffers", 100000, 40000, func(r, c int) bool { return nullable(c) && r%9973 == c }},
		{"no rows", 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := recordOf(t, memory.DefaultAllocator, sc, ordersRows(tc.rows), tc.null)
			defer rec.Release()
			decodeWrites(t, sc, ordersCols, ts, tc.batchRows, rec, encode(t, enc, rec))
		})
	}
}

// TestEncodeSlices encodes slices of a batch (arrays with an offset, bitmaps
// not starting at a byte): the stream holds the slice's rows.
func TestEncodeSlices(t *testing.T) {
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	rec := recordOf(t, memory.DefaultAllocator, sc, ordersRows(40), func(r, c int) bool { return sc.Field(c).Nullable && r%3 == 1 })
	defer rec.Release()
	for _, s := range [][2]int64{{0, 40}, {1, 2}, {3, 17}, {9, 40}, {13, 13}} {
		sl := rec.NewSlice(s[0], s[1])
		decodeWrites(t, sc, ordersCols, ts, 0, sl, encode(t, enc, sl))
		sl.Release()
	}
}

// TestDecodeSplitEverywhere writes a stream of every fuzzed type in two
// pieces, split at every byte: the batches equal the source.
func TestDecodeSplitEverywhere(t *testing.T) {
	sc, ts, rec, stream := fuzzStream(t)
	defer rec.Release()
	for k := 0; k <= len(stream); k++ {
		decodeWrites(t, sc, fuzzCols, ts, 2, rec, stream[:k], stream[k:])
		if t.Failed() {
			t.Fatalf("split at byte %d of %d", k, len(stream))
		}
	}
	// no builder columns: a tuple cut short is decoded, then taken back
	ots := ordersTypes()
	osc := ordersSchema(t, ots)
	oenc, err := NewEncoder(osc, ordersCols, ots)
	if err != nil {
		t.Fatal(err)
	}
	orec := recordOf(t, memory.DefaultAllocator, osc, ordersRows(4), func(r, c int) bool { return osc.Field(c).Nullable && r == 1 })
	defer orec.Release()
	ostream := encode(t, oenc, orec)
	for k := 0; k <= len(ostream); k++ {
		for _, j := range []int{k, k + 1, k + 37} {
			j = min(j, len(ostream))
			decodeWrites(t, osc, ordersCols, ots, 3, orec, ostream[:k], ostream[k:j], ostream[j:])
			if t.Failed() {
				t.Fatalf("orders split at bytes %d and %d of %d", k, j, len(ostream))
			}
		}
	}
}

// TestAppendInt8 encodes the stage's trailing constant column: decoded with
// one more bigint column, every row carries it.
func TestAppendInt8(t *testing.T) {
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	enc.AppendInt8(-7)
	enc.AppendInt8(math.MaxInt64)
	rec := recordOf(t, memory.DefaultAllocator, sc, ordersRows(12), func(r, c int) bool { return sc.Field(c).Nullable && r%4 == 0 })
	defer rec.Release()
	cols := append(append([]Column(nil), ordersCols...), Column{Name: "attempt", OID: OIDInt8}, Column{Name: "big", OID: OIDInt8})
	fields := append(sc.Fields(), arrow.Field{Name: "attempt", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "big", Type: arrow.PrimitiveTypes.Int64})
	sc2 := arrow.NewSchema(fields, nil)
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for range 12 {
		b.Append(-7)
	}
	att := b.NewArray()
	defer att.Release()
	for range 12 {
		b.Append(math.MaxInt64)
	}
	big := b.NewArray()
	defer big.Release()
	want := array.NewRecordBatch(sc2, append(rec.Columns(), att, big), 12)
	defer want.Release()
	decodeWrites(t, sc2, cols, ts, 5, want, encode(t, enc, rec))
}

// TestDecimals round-trips decimals at their precision limits, negative,
// zero, with fractions of every length, through decimal128 and decimal256.
func TestDecimals(t *testing.T) {
	types := []struct{ p, s int32 }{{12, 2}, {18, 0}, {18, 18}, {19, 4}, {38, 0}, {38, 10}, {38, 30}, {38, 38}, {5, 1}, {76, 20}, {40, 0}}
	var cols []Column
	var fields []arrow.Field
	ts := Types{OIDNumeric: {OID: OIDNumeric, Kind: 'b'}}
	for _, ty := range types {
		c := Column{Name: fmt.Sprintf("n%d_%d", ty.p, ty.s), OID: OIDNumeric, TypMod: (ty.p<<16 | ty.s) + 4}
		f, err := Field(c, ts)
		if err != nil {
			t.Fatal(err)
		}
		cols, fields = append(cols, c), append(fields, f)
	}
	sc := arrow.NewSchema(fields, nil)
	// values: the largest and smallest of each type, zero, one unit of
	// the last place, and a few in between
	var rows [][]string
	limit := func(p, s int32, neg bool, last byte) string {
		d := strings.Repeat("9", int(p))
		d = d[:len(d)-1] + string(last)
		v := d[:p-s]
		if s > 0 {
			v += "." + d[p-s:]
		}
		if v[0] == '.' {
			v = "0" + v
		}
		if neg {
			v = "-" + v
		}
		return v
	}
	unit := func(s int32) string {
		if s == 0 {
			return "1"
		}
		return "0." + strings.Repeat("0", int(s-1)) + "1"
	}
	for k := 0; k < 9; k++ {
		var r []string
		for _, ty := range types {
			var v string
			switch k {
			case 0:
				v = limit(ty.p, ty.s, false, '9')
			case 1:
				v = limit(ty.p, ty.s, true, '9')
			case 2:
				v = "0"
			case 3:
				v = unit(ty.s)
			case 4:
				v = "-" + unit(ty.s)
			case 5:
				v = limit(ty.p, ty.s, false, '0')
			case 6:
				v = "1"
				if ty.p == ty.s {
					v = "0.5"
				}
			case 7:
				v = "-10000"[:min(6, 1+int(ty.p-ty.s))]
				if ty.p == ty.s {
					v = "-0.0001"
				}
			case 8:
				v = "12.5"[:min(4, 3+int(ty.s))]
				if ty.p-ty.s < 2 {
					v = "0.125"[:min(5, 2+int(ty.s))]
				}
			}
			r = append(r, v)
		}
		rows = append(rows, r)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := recordOf(t, mem, sc, rows, func(r, c int) bool { return r == 6 && c == 3 })
	defer rec.Release()
	enc, err := NewEncoder(sc, cols, ts)
	if err != nil {
		t.Fatal(err)
	}
	stream := encode(t, enc, rec)
	decodeWrites(t, sc, cols, ts, 4, rec, stream)

	// the encoded numerics read back as the same text
	var text []Column
	var tfields []arrow.Field
	for _, c := range cols {
		c.TypMod = -1
		f, _ := Field(c, ts)
		text, tfields = append(text, c), append(tfields, f)
	}
	tsc := arrow.NewSchema(tfields, nil)
	dec, err := NewDecoder(mem, tsc, text, ts, 0, func(b arrow.RecordBatch) error {
		defer b.Release()
		for c := range b.Columns() {
			for r := 0; r < int(b.NumRows()); r++ {
				got := b.Column(c).ValueStr(r)
				want := rec.Column(c).ValueStr(r)
				if rec.Column(c).IsNull(r) {
					continue
				}
				if !sameNumber(got, want) {
					t.Errorf("row %d column %s: text %s, want %s", r, tsc.Field(c).Name, got, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Write(stream); err != nil {
		t.Fatal(err)
	}
	if err := dec.Flush(); err != nil {
		t.Fatal(err)
	}
	dec.Release()
}

// sameNumber compares decimal texts by value.
func sameNumber(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// stream1 is a binary COPY stream of rows of one field each (nil: null).
func stream1(vals ...[]byte) []byte {
	s := append(append([]byte(nil), Signature...), 0, 0, 0, 0, 0, 0, 0, 0)
	for _, v := range vals {
		s = binary.BigEndian.AppendUint16(s, 1)
		if v == nil {
			s = binary.BigEndian.AppendUint32(s, 0xffffffff)
			continue
		}
		s = append(binary.BigEndian.AppendUint32(s, uint32(len(v))), v...)
	}
	return append(s, 0xff, 0xff)
}

func be64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func numericBytes(t *testing.T, s string) []byte {
	b, err := appendNumericText(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	return b[4:]
}

// TestDecodeBadValues: a bad value mid-batch fails the stream with an error
// naming the row and column, and the decoder frees everything on Release.
func TestDecodeBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		col  Column
		vals [][]byte
		err  string
		is   error
	}{
		{"infinite timestamp", Column{OID: OIDTimestamp}, [][]byte{be64(0), nil, be64(math.MaxInt64)}, "row 3", ErrInfinity},
		{"-infinite timestamptz", Column{OID: OIDTimestamptz}, [][]byte{be64(math.MinInt64)}, "row 1", ErrInfinity},
		{"infinite date", Column{OID: OIDDate}, [][]byte{be32(0), be32(math.MaxInt32)}, "row 2", ErrInfinity},
		{"-infinite date", Column{OID: OIDDate}, [][]byte{nil, be32(-1), be32(math.MinInt32)}, "row 3", ErrInfinity},
		{"short int8", Column{OID: OIDInt8}, [][]byte{be64(1), be32(1)}, "value of 4 bytes, want 8", nil},
		{"long bool", Column{OID: OIDBool}, [][]byte{{1}, {1, 0}}, "want 1", nil},
		{"decimal too wide", Column{OID: OIDNumeric, TypMod: (12<<16 | 2) + 4}, [][]byte{numericBytes(t, "9999999999.99"), numericBytes(t, "10000000000")}, "more than 12 digits", nil},
		{"decimal128 too wide", Column{OID: OIDNumeric, TypMod: (38<<16 | 0) + 4}, [][]byte{numericBytes(t, strings.Repeat("9", 38)), numericBytes(t, "1"+strings.Repeat("0", 38))}, "more than 38 digits", nil},
		{"decimal128 far too wide", Column{OID: OIDNumeric, TypMod: (38<<16 | 2) + 4}, [][]byte{numericBytes(t, "1"+strings.Repeat("0", 60))}, "more than 38 digits", nil},
		{"decimal too precise", Column{OID: OIDNumeric, TypMod: (12<<16 | 2) + 4}, [][]byte{numericBytes(t, "1.25"), numericBytes(t, "1.255")}, "more than 2 fractional digits", nil},
		{"decimal NaN", Column{OID: OIDNumeric, TypMod: (12<<16 | 2) + 4}, [][]byte{numericBytes(t, "NaN")}, "NaN cannot be stored", nil},
		{"decimal256 too wide", Column{OID: OIDNumeric, TypMod: (40<<16 | 0) + 4}, [][]byte{numericBytes(t, "1"+strings.Repeat("0", 40))}, "more than 40 digits", nil},
		{"numeric short", Column{OID: OIDNumeric, TypMod: -1}, [][]byte{{0, 1}}, "short", nil},
		{"jsonb version", Column{OID: OIDJSONB}, [][]byte{{1, '1'}, {2, '1'}}, "jsonb version", nil},
		{"empty jsonb", Column{OID: OIDJSONB}, [][]byte{{}}, "jsonb version", nil},
		{"short uuid", Column{OID: OIDUUID}, [][]byte{make([]byte, 15)}, "want 16", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.col.Name = "c"
			ts := Types{tc.col.OID: {OID: tc.col.OID, Kind: 'b'}}
			f, err := Field(tc.col, ts)
			if err != nil {
				t.Fatal(err)
			}
			sc := arrow.NewSchema([]arrow.Field{f}, nil)
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dec, err := NewDecoder(mem, sc, []Column{tc.col}, ts, 0, func(b arrow.RecordBatch) error { b.Release(); return nil })
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Release()
			_, err = dec.Write(stream1(tc.vals...))
			if err == nil {
				err = dec.Flush()
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), `column "c"`) {
				t.Fatalf("error %v, want one naming the column and %q", err, tc.err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// TestDecodeInterval: PostgreSQL's microseconds, days and months land in
// month_day_nano's fields.
func TestDecodeInterval(t *testing.T) {
	col := Column{Name: "iv", OID: OIDInterval}
	ts := Types{OIDInterval: {OID: OIDInterval, Kind: 'b'}}
	f, _ := Field(col, ts)
	sc := arrow.NewSchema([]arrow.Field{f}, nil)
	v := append(append(be64(-1234567), be32(-3)...), be32(14)...)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dec, err := NewDecoder(mem, sc, []Column{col}, ts, 0, func(b arrow.RecordBatch) error {
		defer b.Release()
		got := b.Column(0).(*array.MonthDayNanoInterval)
		want := arrow.MonthDayNanoInterval{Months: 14, Days: -3, Nanoseconds: -1234567000}
		if got.Value(0) != want || !got.IsNull(1) || got.Value(2) != want {
			t.Errorf("got %v, want [%v null %v]", got, want, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	if _, err := dec.Write(stream1(v, nil, v)); err != nil {
		t.Fatal(err)
	}
	if err := dec.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestUnscaled128 compares the 128-bit numeric decoding with the big.Int
// one on random numerics and scales.
func TestUnscaled128(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := 0; k < 20000; k++ {
		id := rng.IntN(42)
		fd := rng.IntN(42)
		s := randDigits(rng, id) + "." + randDigits(rng, fd)
		if s == "." {
			s = "0"
		}
		if rng.IntN(3) == 0 {
			s = "-" + s
		}
		n, err := parseNumeric(numericBytes(t, s))
		if err != nil {
			t.Fatal(err)
		}
		scale := rng.IntN(42)
		neg, hi, lo, ok, err := n.unscaled128(scale)
		neg2, small, bigv, err2 := n.unscaled(scale)
		if err == nil && !ok {
			continue // the caller falls back to unscaled
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("%s scale %d: errors %v and %v", s, scale, err, err2)
		}
		if err != nil || !ok {
			continue
		}
		want := new(big.Int).SetUint64(small)
		if bigv != nil {
			want = bigv
		}
		got := new(big.Int).Lsh(new(big.Int).SetUint64(hi), 64)
		got.Or(got, new(big.Int).SetUint64(lo))
		if got.Cmp(want) != 0 || (neg != neg2 && got.Sign() != 0) {
			t.Fatalf("%s scale %d: %v %v, want %v %v", s, scale, neg, got, neg2, want)
		}
	}
}

func randDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
		if rng.IntN(4) == 0 {
			b[i] = '0'
		}
	}
	return string(b)
}

// TestAppendNumeric128 compares the direct decimal128 to numeric encoding
// with the text one on random values and scales.
func TestAppendNumeric128(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := []decimal128.Num{decimal128.FromI64(0), decimal128.FromI64(1), decimal128.FromI64(-1), decimal128.FromU64(math.MaxUint64),
		decimal128.FromI64(math.MinInt64), decimal128.MaxDecimal128, decimal128.MaxDecimal128.Negate(), decimal128.New(1, 0), decimal128.New(-1, 0)}
	for k := 0; k < 20000; k++ {
		var v decimal128.Num
		switch rng.IntN(4) {
		case 0:
			v = decimal128.FromU64(rng.Uint64() >> rng.IntN(64))
		case 1:
			v = decimal128.FromI64(int64(rng.Uint64()) >> rng.IntN(64))
		case 2:
			v = decimal128.FromU64(pow10u64[rng.IntN(20)] * uint64(rng.IntN(10)))
		default:
			v = decimal128.New(int64(rng.Uint64())>>rng.IntN(64), rng.Uint64())
		}
		vals = append(vals, v)
	}
	for _, v := range vals {
		for _, scale := range []int{0, 1, 2, 3, 4, 5, 8, 12, 15, 16, 17, 18, 19, 20, 30, 38} {
			got := appendNumeric128(nil, v.LowBits(), uint64(v.HighBits()), scale)
			neg := v.Sign() < 0
			a := v
			if neg {
				a = a.Negate()
			}
			want := appendNumeric(nil, neg, []byte(a.BigInt().String()), scale)
			if string(got) != string(want) {
				t.Fatalf("%v scale %d: %x, want %x", v, scale, got, want)
			}
		}
	}
}

// readIn reads r to the end in pieces of at most n bytes.
func readIn(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	var out []byte
	p := make([]byte, n)
	for {
		k, err := r.Read(p)
		out = append(out, p[:k]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			t.Fatal("Read returned 0 bytes and no error")
		}
	}
}

// TestReaderPieces: the stream is the same whatever the size of Read's p
// (rows encoded straight into p, a row larger than p, a p smaller than the
// header), and decodes back to the batch.
func TestReaderPieces(t *testing.T) {
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	if !enc.direct {
		t.Fatal("the orders encoder is not direct")
	}
	enc.AppendInt8(3)
	rows := ordersRows(600)
	rows[17][5] = strings.Repeat("long ", 30000) // 150 kB, more than any p below
	rows[599][5] = strings.Repeat("x", 70000)
	rec := recordOf(t, memory.DefaultAllocator, sc, rows, func(r, c int) bool { return sc.Field(c).Nullable && r%5 == 2 })
	defer rec.Release()
	want := readIn(t, enc.Reader(rec), 1)
	for _, n := range []int{2, 18, 19, 20, 27, 255, 4096, 65531, 1 << 20} {
		if got := readIn(t, enc.Reader(rec), n); !bytes.Equal(got, want) {
			t.Fatalf("read in pieces of %d: %d bytes differ from the %d read byte by byte", n, len(got), len(want))
		}
	}
	// an encoder with a converting column is not direct: same stream
	cols := append([]Column(nil), ordersCols...)
	cols[1].OID = OIDInt8 // int32 into bigint
	ts[OIDInt8] = Type{OID: OIDInt8, Kind: 'b'}
	enc2, err := NewEncoder(sc, cols, ts)
	if err != nil {
		t.Fatal(err)
	}
	if enc2.direct {
		t.Fatal("an encoder with a conversion is direct")
	}
	a := readIn(t, enc2.Reader(rec), 1)
	for _, n := range []int{19, 4096, 65531} {
		if got := readIn(t, enc2.Reader(rec), n); !bytes.Equal(got, a) {
			t.Fatalf("converting encoder, pieces of %d: differ", n)
		}
	}
	sc2 := arrow.NewSchema(sc.Fields(), nil)
	dcols := append([]Column(nil), ordersCols...)
	dcols = append(dcols, Column{Name: "attempt", OID: OIDInt8})
	fields := append(sc2.Fields(), arrow.Field{Name: "attempt", Type: arrow.PrimitiveTypes.Int64})
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for range rec.NumRows() {
		b.Append(3)
	}
	att := b.NewArray()
	defer att.Release()
	full := array.NewRecordBatch(arrow.NewSchema(fields, nil), append(rec.Columns(), att), rec.NumRows())
	defer full.Release()
	decodeWrites(t, full.Schema(), dcols, ts, 0, full, want)
}

// TestTextUUID: uuids from text in the canonical form are parsed inline,
// other forms as uuid.ParseBytes parses them, and bad ones are an
// EncodeError naming the row and column.
func TestTextUUID(t *testing.T) {
	ts := Types{OIDUUID: {OID: OIDUUID, Kind: 'b'}}
	sc := arrow.NewSchema([]arrow.Field{{Name: "u", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	enc, err := NewEncoder(sc, []Column{{Name: "u", OID: OIDUUID}}, ts)
	if err != nil {
		t.Fatal(err)
	}
	good := []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11", "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}
	rows := [][]string{}
	for _, g := range good {
		rows = append(rows, []string{g})
	}
	rows = append(rows, []string{""})
	rec := recordOf(t, memory.DefaultAllocator, sc, rows, func(r, c int) bool { return r == len(good) })
	defer rec.Release()
	stream := encode(t, enc, rec)
	var got []string
	f, _ := Field(Column{Name: "u", OID: OIDUUID}, ts)
	usc := arrow.NewSchema([]arrow.Field{f}, nil)
	dec, err := NewDecoder(memory.DefaultAllocator, usc, []Column{{Name: "u", OID: OIDUUID}}, ts, 0, func(b arrow.RecordBatch) error {
		for i := 0; i < int(b.NumRows()); i++ {
			got = append(got, b.Column(0).ValueStr(i))
		}
		b.Release()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	if _, err := dec.Write(stream); err != nil {
		t.Fatal(err)
	}
	if err := dec.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range good {
		want := "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
		if i >= 5 {
			want = good[i]
		}
		if got[i] != want {
			t.Errorf("%s read back as %s, want %s", good[i], got[i], want)
		}
	}
	if got[len(good)] != array.NullValueStr {
		t.Errorf("null read back as %s", got[len(good)])
	}
	for _, bad := range []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "a0eebc99x9c0b-4ef8-bb6d-6bb9bd380a11", "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"} {
		rec := recordOf(t, memory.DefaultAllocator, sc, [][]string{{good[0]}, {bad}}, nil)
		_, err := io.ReadAll(enc.Reader(rec))
		rec.Release()
		var ee *EncodeError
		if !errors.As(err, &ee) || ee.Row != 1 || ee.Column != "u" {
			t.Errorf("%q: error %v, want an EncodeError for row 1 column u", bad, err)
		}
	}
}

// TestRecycledBuffersKeepStrings: with RecycleBuffers, a string taken from a
// text column of a released batch still reads the same after later batches
// reused that batch's (poisoned) buffers: text data is never recycled.
func TestRecycledBuffersKeepStrings(t *testing.T) {
	ts := ordersTypes()
	sc := ordersSchema(t, ts)
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	rows := ordersRows(30000)
	rec := recordOf(t, memory.DefaultAllocator, sc, rows, nil)
	defer rec.Release()
	checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer checked.AssertSize(t, 0)
	pool := bufpool.New(checked, 64<<20)
	defer pool.Close()
	note := sc.FieldIndices("note")[0]
	var kept []string
	var batches int
	dec, err := NewDecoder(checked, sc, ordersCols, ts, 5000, func(b arrow.RecordBatch) error {
		defer b.Release()
		batches++
		kept = append(kept, b.Column(note).(*array.String).Value(0))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	dec.RecycleBuffers(pool)
	if _, err := dec.Write(encode(t, enc, rec)); err != nil {
		t.Fatal(err)
	}
	if err := dec.Flush(); err != nil {
		t.Fatal(err)
	}
	if batches != 6 || pool.Held() == 0 {
		t.Fatalf("%d batches, %d bytes pooled: the test did not recycle", batches, pool.Held())
	}
	for i, s := range kept {
		if want := rows[i*5000][note]; s != want {
			t.Errorf("batch %d: the kept string reads %q, want %q", i, s, want)
		}
	}
}
