package csvreader

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"reflect"
	"testing"
)

// FuzzScanCuts: the scanner with its skips outside quotes finds exactly the
// cuts and line counts of the byte-at-a-time state machine it replaced
// (scanCutsRef below, kept as the reference), for every cut size and block size.
func FuzzScanCuts(f *testing.F) {
	for _, s := range []string{
		"id,s,n\n1,a,2\n",
		"id,s,n\n1,\"q\"\"uote\nnl\",3\n2,,\n",
		"id,s,n\n1,\"unterminated\n2,x,3\n",
		"id,s,n\n1,\"a\"b,3\n\n\n4,\xff,5\r\n",
		"a,b\"c,\"d\ne\"\n\"x\"\r\ny,z\n",
		"id,s,n\n1,abcdefghijklmnopqrstuvwxyz,2\n3,\"a\nbbbbbbbbbbbbbbbbbb\n\",4\n5,c,6\n",
	} {
		f.Add([]byte(s), int64(3), int64(1<<20), byte(','), uint8(0))
		f.Add([]byte(s), int64(1), int64(12), byte(';'), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, every, maxRecord int64, delim byte, chunk uint8) {
		if every <= 0 || maxRecord <= 0 || delim == '"' || delim == '\n' {
			return
		}
		size := int64(len(data))
		if chunk > 0 { // blocks of 1..255 bytes: states carried across blocks
			scanChunk = int(chunk)
			defer func() { scanChunk = 1 << 20 }()
		}
		got, err1 := scanCuts(context.Background(), bytes.NewReader(data), "f", size, every, maxRecord, delim, '"')
		want, err2 := scanCutsRef(context.Background(), bytes.NewReader(data), "f", size, every, maxRecord, delim, '"')
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("scanCuts %v %v, reference %v %v", got, err1, want, err2)
		}
	})
}

var _ = bufio.NewReaderSize
var _ = io.EOF

func scanCutsRef(ctx context.Context, r io.Reader, path string, size, every, maxRecord int64, delim, quote byte) ([]splitSpec, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	specs := []splitSpec{{Path: path}}
	next := every
	var off, line, recStart int64
	state := sFieldStart
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := io.ReadFull(br, buf)
		chunk := buf[:n]
		counted := 0 // newlines of chunk[:counted] are in line
		for i := 0; i < n; i++ {
			// skip runs no state cares about
			switch state {
			case sQuoted:
				k := bytes.IndexByte(chunk[i:], quote)
				if k < 0 {
					i = n
					continue
				}
				i += k
			case sSkipLine:
				k := bytes.IndexByte(chunk[i:], '\n')
				if k < 0 {
					i = n
					continue
				}
				i += k
			}
			c := chunk[i]
			boundary := false
			switch state {
			case sFieldStart:
				switch c {
				case quote:
					state = sQuoted
				case '\n':
					boundary = true
				case delim:
				default:
					state = sUnquoted
				}
			case sUnquoted:
				switch c {
				case '\n':
					boundary = true
				case delim:
					state = sFieldStart
				}
			case sQuoted:
				state = sAfterQuote // c is the quote
			case sAfterQuote:
				switch c {
				case quote:
					state = sQuoted
				case delim:
					state = sFieldStart
				case '\n':
					boundary = true
				case '\r':
					state = sCRAfterQuote
				default:
					// a bad record, which the parser skips and
					// resynchronises after: no more cuts
					specs[len(specs)-1].End = -1
					return specs, nil
				}
			case sCRAfterQuote:
				if c == '\n' {
					boundary = true
				} else {
					specs[len(specs)-1].End = -1
					return specs, nil
				}
			case sSkipLine:
				boundary = true // c is the line break
			}
			if boundary {
				state = sFieldStart
				pos := off + int64(i) + 1
				if pos-recStart > maxRecord {
					specs[len(specs)-1].End = -1
					return specs, nil
				}
				recStart = pos
				if pos >= next && pos < size {
					line += int64(bytes.Count(chunk[counted:i+1], nl))
					counted = i + 1
					specs[len(specs)-1].End = pos
					specs = append(specs, splitSpec{Path: path, Start: pos, End: -1, Line: line})
					next = pos + every
				}
			}
		}
		line += int64(bytes.Count(chunk[counted:], nl))
		off += int64(n)
		if state != sFieldStart && off-recStart > maxRecord {
			break // an oversized record: no more cuts
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	specs[len(specs)-1].End = -1
	return specs, nil
}

// BenchmarkScanCuts: the split scan of a 1M-row file of the bench's table
// shape (FERRY_BENCH_CSV, default /tmp/ferrybench/files-1000000/orders.csv
// as cmd/ferrybench generates it), against the old byte-at-a-time scanner.
func BenchmarkScanCuts(b *testing.B) {
	path := os.Getenv("FERRY_BENCH_CSV")
	if path == "" {
		path = "/tmp/ferrybench/files-1000000/orders.csv"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("no input (run cmd/ferrybench -cases csv2parquet first): %v", err)
	}
	for _, fn := range []struct {
		name string
		scan func(context.Context, io.Reader, string, int64, int64, int64, byte, byte) ([]splitSpec, error)
	}{{"new", scanCuts}, {"ref", scanCutsRef}} {
		b.Run(fn.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := fn.scan(context.Background(), bytes.NewReader(data), path, int64(len(data)), 64<<20, 16<<20, ',', '"'); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzScanAligned: the aligned cut for every multiple k*every is the first
// record boundary at or after it, every boundary being what the scan with
// every = 1 cuts at (each one, until the scan stops cutting, which does not
// depend on every); multiples past the last boundary get no cut.
func FuzzScanAligned(f *testing.F) {
	for _, s := range []string{
		"id,s,n\n1,a,2\n",
		"id,s,n\n1,\"q\"\"uote\nnl\",3\n2,,\n",
		"id,s,n\n1,\"unterminated\n2,x,3\n",
		"id,s,n\n1,\"a\"b,3\n\n\n4,\xff,5\r\n",
		"id,s,n\n1,abcdefghijklmnopqrstuvwxyz,2\n3,\"a\nbbbbbbbbbbbbbbbbbb\n\",4\n5,c,6\n",
	} {
		f.Add([]byte(s), int64(3), int64(1<<20), uint8(0))
		f.Add([]byte(s), int64(1), int64(12), uint8(3))
		f.Add([]byte(s), int64(7), int64(20), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, every, maxRecord int64, chunk uint8) {
		if every <= 0 || maxRecord <= 0 {
			return
		}
		if chunk > 0 {
			scanChunk = int(chunk)
			defer func() { scanChunk = 1 << 20 }()
		}
		size := int64(len(data))
		type cut struct{ pos, line int64 }
		var all, got []cut
		if err := scanBounds(context.Background(), bytes.NewReader(data), size, 1, maxRecord, ',', '"', false, func(pos, line int64) { all = append(all, cut{pos, line}) }); err != nil {
			t.Fatal(err)
		}
		if err := scanBounds(context.Background(), bytes.NewReader(data), size, every, maxRecord, ',', '"', true, func(pos, line int64) { got = append(got, cut{pos, line}) }); err != nil {
			t.Fatal(err)
		}
		var want []cut
		for k := every; ; k += every {
			i := 0
			for i < len(all) && all[i].pos < k {
				i++
			}
			if i == len(all) {
				break
			}
			if len(want) == 0 || want[len(want)-1] != all[i] {
				want = append(want, all[i])
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("aligned cuts %v, want %v (all boundaries %v)", got, want, all)
		}
		for _, c := range all {
			if want := int64(bytes.Count(data[:c.pos], nl)); c.line != want {
				t.Fatalf("cut %d: %d lines before, want %d", c.pos, c.line, want)
			}
		}
	})
}

func TestSplitGrid(t *testing.T) {
	for _, c := range []struct {
		size, most int64
		hint       int
		want       int64
	}{
		{349_000_000, 64 << 20, 2, 58_166_667}, // 6 ranges, 3 per worker
		{349_000_000, 64 << 20, 1, 58_166_667},
		{349_000_000, 64 << 20, 4, 43_625_000}, // 8 ranges
		{100, 10, 3, 9},                        // 12 ranges of 9 (the last 1)
		{5, 1, 4, 1},                           // 8 ranges wanted, 5 bytes: 1 each
		{65, 64, 0, 33},
	} {
		got := splitGrid(c.size, c.most, c.hint)
		if got != c.want {
			t.Errorf("splitGrid(%d, %d, %d) = %d, want %d", c.size, c.most, c.hint, got, c.want)
		}
		if got > c.most || got < 1 {
			t.Errorf("splitGrid(%d, %d, %d) = %d: not in [1, %d]", c.size, c.most, c.hint, got, c.most)
		}
	}
}
