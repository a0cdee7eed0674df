package pgcopy

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/bufpool"
)

// fuzzStream is a stream of every fuzzed type: rows 0-3 with values, row 2
// with every other column null, row 4 all null.
func fuzzStream(t testing.TB) (*arrow.Schema, Types, arrow.RecordBatch, []byte) {
	ts := fuzzTypes()
	sc := fuzzSchema(t, ts)
	var rows [][]string
	for i := 0; i < 4; i++ {
		var r []string
		for _, f := range sc.Fields() {
			r = append(r, sampleValue(f.Type, i))
		}
		rows = append(rows, r)
	}
	rows = append(rows, rows[0])
	rec := recordOf(t, memory.DefaultAllocator, sc, rows, func(r, c int) bool { return r == 4 || r == 2 && c%2 == 0 })
	enc, err := NewEncoder(sc, fuzzCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	return sc, ts, rec, encode(t, enc, rec)
}

// split cuts stream (written in pieces) into raw batches.
func split(t testing.TB, src *RawSource, batchRows, batchBytes int, pieces ...[]byte) ([]*RawBatch, error) {
	t.Helper()
	var out []*RawBatch
	s := NewSplitter(src, batchRows, func(b *RawBatch) error {
		out = append(out, b)
		return nil
	})
	if batchBytes > 0 {
		s.BatchBytes = batchBytes
	}
	defer s.Release()
	for _, p := range pieces {
		if _, err := s.Write(p); err != nil {
			return out, err
		}
	}
	return out, s.Flush()
}

func release(bs []*RawBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// rowsOf returns a stream's tuples: without the header and the trailer.
func rowsOf(stream []byte) []byte { return stream[len(Signature)+8 : len(stream)-2] }

// TestSplitterPieces splits the stream of every type written in two pieces
// cut at every byte (and three, cut at every fourth), into batches of 1, 2 and 10 rows (and
// of 2 rows in recycled buffers): the
// batches hold every tuple once, in order, encode back to the same bytes,
// decode to the source's values, and free every buffer.
func TestSplitterPieces(t *testing.T) {
	sc, ts, rec, stream := fuzzStream(t)
	defer rec.Release()
	enc, err := NewEncoder(sc, fuzzCols, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, pooled := range []bool{false, true} {
		for _, batchRows := range []int{1, 2, 10} {
			if pooled && batchRows != 2 {
				continue
			}
			for k := 0; k <= len(stream); k++ {
				for _, j := range []int{k, k + 29} {
					if j != k && k%4 != 0 {
						continue
					}
					j = min(j, len(stream))
					checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
					src := &RawSource{Mem: checked, Schema: sc, Cols: fuzzCols, Types: ts, Format: PassthroughFormat(fuzzCols)}
					var pool *bufpool.Pool
					if pooled {
						pool = bufpool.New(checked, 64<<20)
						src.Pool = pool
					}
					bs, err := split(t, src, batchRows, 512, stream[:k], stream[k:j], stream[j:])
					if err != nil {
						t.Fatalf("cut at %d and %d, batches of %d: %v", k, j, batchRows, err)
					}
					var got []byte
					var off int64
					for _, b := range bs {
						if n := b.NumRows(); n > int64(batchRows) || n == 0 {
							t.Fatalf("a batch of %d rows, want 1 to %d", n, batchRows)
						}
						if !enc.Passes(b) {
							t.Fatal("the encoder does not pass a batch of its own format")
						}
						got = append(got, rowsOf(readIn(t, enc.Reader(b), 4096))...)
						want := rec.NewSlice(off, off+b.NumRows())
						if !array.RecordApproxEqual(want, b, array.WithNaNsEqual(true)) {
							t.Fatalf("cut at %d and %d: batch at row %d decodes to\n%v\nwant\n%v", k, j, off, b.Columns(), want.Columns())
						}
						want.Release()
						off += b.NumRows()
					}
					if off != rec.NumRows() || !bytes.Equal(got, rowsOf(stream)) {
						t.Fatalf("cut at %d and %d, batches of %d: %d rows, tuples equal: %v", k, j, batchRows, off, bytes.Equal(got, rowsOf(stream)))
					}
					release(bs)
					if pool != nil {
						pool.Close()
					}
					checked.AssertSize(t, 0)
				}
			}
		}
	}
}

// TestRawEncode writes raw batches through encoders with a constant
// trailing column (the stage's attempt), through Read buffers smaller
// than a row and than the header, and slices of them: the bytes are the
// ones the encoder writes for the decoded batch.
func TestRawEncode(t *testing.T) {
	sc, ts, rec, stream := fuzzStream(t)
	defer rec.Release()
	checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer checked.AssertSize(t, 0)
	src := &RawSource{Mem: checked, Schema: sc, Cols: fuzzCols, Types: ts, Format: PassthroughFormat(fuzzCols)}
	bs, err := split(t, src, 0, 0, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer release(bs)
	if len(bs) != 1 {
		t.Fatalf("%d batches, want 1", len(bs))
	}
	raw := bs[0]
	for _, extra := range []bool{false, true} {
		enc, err := NewEncoder(sc, fuzzCols, ts)
		if err != nil {
			t.Fatal(err)
		}
		if extra {
			enc.AppendInt8(7)
		}
		for _, s := range [][2]int64{{0, 5}, {1, 4}, {4, 5}, {2, 2}} {
			rs := raw.NewSlice(s[0], s[1])
			// a slice of a slice
			rs2 := rs.NewSlice(0, rs.NumRows())
			as := rec.NewSlice(s[0], s[1])
			want := encode(t, enc, as)
			for _, n := range []int{1, 7, 19, 40, 1 << 16} {
				for _, b := range []arrow.RecordBatch{rs, rs2} {
					if got := readIn(t, enc.Reader(b), n); !bytes.Equal(got, want) {
						t.Fatalf("extra %v, rows %v, reads of %d: got\n%x\nwant\n%x", extra, s, n, got, want)
					}
				}
			}
			if BatchBytesOf(rs) != int64(len(rowsOf(want))) && !extra {
				t.Errorf("rows %v: DataBytes %d, want %d", s, BatchBytesOf(rs), len(rowsOf(want)))
			}
			as.Release()
			rs2.Release()
			rs.Release()
		}
	}
}

// BatchBytesOf is DataBytes through the interface ferry.BatchBytes uses.
func BatchBytesOf(b arrow.RecordBatch) int64 {
	return b.(interface{ DataBytes() int64 }).DataBytes()
}

// TestRawOtherFormat: an encoder whose columns have other types does not
// take a raw batch as it is; it encodes the decoded values.
func TestRawOtherFormat(t *testing.T) {
	ots := ordersTypes()
	osc := ordersSchema(t, ots)
	oenc, err := NewEncoder(osc, ordersCols, ots)
	if err != nil {
		t.Fatal(err)
	}
	orec := recordOf(t, memory.DefaultAllocator, osc, ordersRows(30), func(r, c int) bool { return osc.Field(c).Nullable && r%4 == 1 })
	defer orec.Release()
	stream := encode(t, oenc, orec)
	checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer checked.AssertSize(t, 0)
	src := &RawSource{Mem: checked, Schema: osc, Cols: ordersCols, Types: ots, Format: PassthroughFormat(ordersCols)}
	bs, err := split(t, src, 0, 0, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer release(bs)
	// the same schema written into bigint where the source has int
	cols := append([]Column(nil), ordersCols...)
	cols[1].OID = OIDInt8
	ts := ordersTypes()
	ts[OIDInt8] = Type{OID: OIDInt8, Kind: 'b'}
	enc, err := NewEncoder(osc, cols, ts)
	if err != nil {
		t.Fatal(err)
	}
	if enc.Passes(bs[0]) {
		t.Fatal("an int column passed into a bigint one")
	}
	if got, want := encode(t, enc, bs[0]), encode(t, enc, orec); !bytes.Equal(got, want) {
		t.Fatal("the decoded raw batch encodes differently from the source batch")
	}
}

// TestPassthroughFormat: built-in types only; text, varchar and char(n)
// share a format; arrays do not.
func TestPassthroughFormat(t *testing.T) {
	f := func(oids ...uint32) string {
		var cols []Column
		for _, o := range oids {
			cols = append(cols, Column{OID: o})
		}
		return PassthroughFormat(cols)
	}
	for _, tc := range []struct {
		name string
		a, b []uint32
		same bool
	}{
		{"same types", []uint32{OIDInt8, OIDText, OIDNumeric}, []uint32{OIDInt8, OIDText, OIDNumeric}, true},
		{"int and bigint", []uint32{OIDInt4}, []uint32{OIDInt8}, false},
		{"text family", []uint32{OIDText, OIDVarchar, OIDBPChar}, []uint32{OIDVarchar, OIDBPChar, OIDText}, true},
		{"json and jsonb", []uint32{OIDJSON}, []uint32{OIDJSONB}, false},
		{"timestamp and timestamptz", []uint32{OIDTimestamp}, []uint32{OIDTimestamptz}, false},
		{"text[] and varchar[]", []uint32{1009}, []uint32{1015}, false},
		{"order counts", []uint32{OIDInt8, OIDText}, []uint32{OIDText, OIDInt8}, false},
	} {
		fa, fb := f(tc.a...), f(tc.b...)
		if fa == "" || fb == "" || (fa == fb) != tc.same {
			t.Errorf("%s: %q and %q", tc.name, fa, fb)
		}
	}
	if got := f(OIDInt8, 16385); got != "" {
		t.Errorf("an extension type has format %q", got)
	}
	for _, reg := range []uint32{2205, 2206, 2210, 24} { // regclass, regtype, regclass[], regproc
		if got := f(OIDInt8, reg); got != "" {
			t.Errorf("type %d, a reference to an object, has format %q", reg, got)
		}
	}
	if got := f(); got != "" {
		t.Errorf("no columns have format %q", got)
	}
}

// TestSplitterBadStreams: a broken stream is an error that says what is
// wrong, and frees what it had split.
func TestSplitterBadStreams(t *testing.T) {
	sc, ts, rec, stream := fuzzStream(t)
	rec.Release()
	head := stream[:len(Signature)+8]
	rows := rowsOf(stream)
	wrongCount := append(append([]byte{}, head...), 0, 3)
	negLen := append(append([]byte{}, head...), 0, byte(len(fuzzCols)), 0xff, 0xff, 0xff, 0xfe)
	for _, tc := range []struct {
		name, want string
		stream     []byte
	}{
		{"not COPY", "not a binary COPY stream", append([]byte("PGCOPY\n\377\r\n\x01"), make([]byte, 20)...)},
		{"wrong field count", "row 1 has 3 fields", wrongCount},
		{"negative length", "field 1 has length -2", negLen},
		{"data after the trailer", "data after the COPY trailer", append(append([]byte{}, stream...), 0, 1)},
		{"no trailer", "truncated COPY stream", stream[:len(stream)-2]},
		{"cut within a row", "truncated COPY stream", append(append([]byte{}, head...), rows[:len(rows)-3]...)},
		{"empty", "truncated COPY stream", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer checked.AssertSize(t, 0)
			src := &RawSource{Mem: checked, Schema: sc, Cols: fuzzCols, Types: ts, Format: PassthroughFormat(fuzzCols)}
			bs, err := split(t, src, 2, 0, tc.stream)
			release(bs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRawBatchBytes: a batch ends once it holds BatchBytes of tuples.
func TestRawBatchBytes(t *testing.T) {
	ots := ordersTypes()
	osc := ordersSchema(t, ots)
	oenc, err := NewEncoder(osc, ordersCols, ots)
	if err != nil {
		t.Fatal(err)
	}
	orec := recordOf(t, memory.DefaultAllocator, osc, ordersRows(1000), nil)
	defer orec.Release()
	stream := encode(t, oenc, orec)
	checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer checked.AssertSize(t, 0)
	src := &RawSource{Mem: checked, Schema: osc, Cols: ordersCols, Types: ots, Format: PassthroughFormat(ordersCols)}
	bs, err := split(t, src, 0, 10000, stream[:5000], stream[5000:])
	if err != nil {
		t.Fatal(err)
	}
	defer release(bs)
	var n int64
	for i, b := range bs {
		n += b.NumRows()
		if i < len(bs)-1 && (b.DataBytes() < 10000 || b.DataBytes() > 10000+200) {
			t.Errorf("batch %d: %d bytes, want just over 10000", i, b.DataBytes())
		}
	}
	if n != 1000 || len(bs) < 10 {
		t.Fatalf("%d rows in %d batches", n, len(bs))
	}
}

// TestRawUndecodable: a value Arrow cannot carry (an infinite timestamp)
// passes through as it is, and decodes as null when a column is asked for.
func TestRawUndecodable(t *testing.T) {
	cols := []Column{{Name: "ts", OID: OIDTimestamptz}}
	ts := Types{OIDTimestamptz: {OID: OIDTimestamptz, Kind: 'b'}}
	var fields []arrow.Field
	for _, c := range cols {
		f, err := Field(c, ts)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	sc := arrow.NewSchema(fields, nil)
	stream := stream1(be64(1<<63-1), be64(5))
	checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer checked.AssertSize(t, 0)
	src := &RawSource{Mem: checked, Schema: sc, Cols: cols, Types: ts, Format: PassthroughFormat(cols)}
	bs, err := split(t, src, 0, 0, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer release(bs)
	enc, err := NewEncoder(sc, cols, ts)
	if err != nil {
		t.Fatal(err)
	}
	if got := encode(t, enc, bs[0]); !bytes.Equal(got, stream) {
		t.Fatalf("passed through as %x, want %x", got, stream)
	}
	if c := bs[0].Column(0); c.Len() != 2 || !c.IsNull(0) || !c.IsNull(1) {
		t.Fatalf("decoded as %v", bs[0].Columns())
	}
}

// FuzzSplit: any bytes either split, and then encode back to the same
// tuples, or fail with an error; never a panic or a leak.
func FuzzSplit(f *testing.F) {
	sc, ts, rec, stream := fuzzStream(f)
	rec.Release()
	f.Add(stream, 7)
	f.Add(stream[:40], 1)
	f.Add([]byte("PGCOPY\n\377\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff"), 3)
	enc, err := NewEncoder(sc, fuzzCols, ts)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, step int) {
		step = max(1, step%64)
		checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer checked.AssertSize(t, 0)
		src := &RawSource{Mem: checked, Schema: sc, Cols: fuzzCols, Types: ts, Format: PassthroughFormat(fuzzCols)}
		var pieces [][]byte
		for rest := data; len(rest) > 0; rest = rest[min(step, len(rest)):] {
			pieces = append(pieces, rest[:min(step, len(rest))])
		}
		bs, err := split(t, src, 3, 64, pieces...)
		defer release(bs)
		if err != nil {
			return
		}
		var got []byte
		for _, b := range bs {
			out, err := io.ReadAll(enc.Reader(b))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rowsOf(out)...)
			b.Columns() // decoding never panics, whatever the values
		}
		head := len(Signature) + 8 + int(int32(be32u(data[15:19])))
		if want := data[head : len(data)-2]; !bytes.Equal(got, want) {
			t.Fatalf("tuples %x, want %x", got, want)
		}
	})
}

func be32u(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// BenchmarkSplit splits an orders stream written one tuple per Write, as
// CopyTo delivers it.
func BenchmarkSplit(b *testing.B) {
	ts := ordersTypes()
	sc := ordersSchema(b, ts)
	enc, err := NewEncoder(sc, ordersCols, ts)
	if err != nil {
		b.Fatal(err)
	}
	rec := recordOf(b, memory.DefaultAllocator, sc, ordersRows(10000), func(r, c int) bool { return sc.Field(c).Nullable && r%7 == c })
	defer rec.Release()
	stream := encode(b, enc, rec)
	var msgs [][]byte
	s := NewSplitter(&RawSource{Mem: memory.DefaultAllocator, Schema: sc, Cols: ordersCols, Types: ts}, 0, func(rb *RawBatch) error {
		for i := 0; i < len(rb.offs)-1; i++ {
			msgs = append(msgs, rb.data[rb.offs[i]:rb.offs[i+1]])
		}
		return nil
	})
	s.Write(stream)
	s.Flush()
	msgs[0] = append(append([]byte{}, stream[:19]...), msgs[0]...)
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for range b.N {
		s := NewSplitter(&RawSource{Mem: memory.DefaultAllocator, Schema: sc, Cols: ordersCols, Types: ts}, 0, func(rb *RawBatch) error {
			rb.Release()
			return nil
		})
		s.BatchBytes = 256 << 10
		for _, m := range msgs {
			if _, err := s.Write(m); err != nil {
				b.Fatal(err)
			}
		}
		s.Write([]byte{0xff, 0xff})
		if err := s.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/row")
}

// TestSplitterLargeRows: tuples larger than a batch's buffer grow it (in
// recycled buffers too) and still encode back byte for byte.
func TestSplitterLargeRows(t *testing.T) {
	cols := []Column{{Name: "t", OID: OIDText}}
	ts := Types{OIDText: {OID: OIDText, Kind: 'b'}}
	f, err := Field(cols[0], ts)
	if err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema([]arrow.Field{f}, nil)
	big := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB
	stream := stream1([]byte("a"), big, nil, big[:5000], []byte("z"))
	enc, err := NewEncoder(sc, cols, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, pooled := range []bool{false, true} {
		checked := memory.NewCheckedAllocator(memory.DefaultAllocator)
		src := &RawSource{Mem: checked, Schema: sc, Cols: cols, Types: ts, Format: PassthroughFormat(cols)}
		var pool *bufpool.Pool
		if pooled {
			pool = bufpool.New(checked, 64<<20)
			src.Pool = pool
		}
		var pieces [][]byte
		for rest := stream; len(rest) > 0; rest = rest[min(65536, len(rest)):] {
			pieces = append(pieces, rest[:min(65536, len(rest))])
		}
		bs, err := split(t, src, 0, 4096, pieces...)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		var rows int64
		for _, b := range bs {
			rows += b.NumRows()
			got = append(got, rowsOf(readIn(t, enc.Reader(b), 65536))...)
		}
		if rows != 5 || !bytes.Equal(got, rowsOf(stream)) {
			t.Fatalf("pooled %v: %d rows, tuples equal %v", pooled, rows, bytes.Equal(got, rowsOf(stream)))
		}
		if s := bs[0].Column(0).(*array.String); s.Value(0) != "a" {
			t.Fatalf("first row decoded as %q", s.Value(0))
		}
		last := bs[len(bs)-1]
		if s := last.Column(0).(*array.String); s.Value(s.Len()-1) != "z" {
			t.Fatalf("last row decoded as %q", s.Value(s.Len()-1))
		}
		release(bs)
		if pool != nil {
			pool.Close()
		}
		checked.AssertSize(t, 0)
	}
}
