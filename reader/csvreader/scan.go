package csvreader

import (
	"bufio"
	"bytes"
	"context"
	"io"
)

// scanner states; they mirror parser.next exactly, so that the record
// boundaries found here are the ones the parser sees.
var nl = []byte{'\n'}

// scanChunk is the size of the blocks scanCuts reads (a variable for the
// tests, which make blocks tiny to exercise states across blocks).
var scanChunk = 1 << 20

const (
	sFieldStart   = iota // at the start of a field
	sUnquoted            // inside an unquoted field
	sQuoted              // inside a quoted field
	sAfterQuote          // just after a quote inside a quoted field
	sCRAfterQuote        // a \r right after a closing quote
	sSkipLine            // after a character following a closing quote: the rest of the line is the bad record's
)

// scanCuts reads a CSV stream and returns the splits of about every bytes,
// starting at record boundaries (offsets right after a record's final
// line break), with the number of lines before each. After a record longer
// than maxRecord (which the parser skips and resynchronises after) it cuts
// no more: the rest of the file is one split, so that no record the
// resynchronised parser sees can straddle a cut.
func scanCuts(ctx context.Context, r io.Reader, path string, size, every, maxRecord int64, delim, quote byte) ([]splitSpec, error) {
	specs := []splitSpec{{Path: path}}
	err := scanBounds(ctx, r, size, every, maxRecord, delim, quote, false, func(pos, line int64) {
		specs[len(specs)-1].End = pos
		specs = append(specs, splitSpec{Path: path, Start: pos, End: -1, Line: line})
	})
	if err != nil {
		return nil, err
	}
	specs[len(specs)-1].End = -1
	return specs, nil
}

// scanBounds reads a CSV stream and calls cut with the record boundaries
// (offsets right after a record's final line break, before size) where
// the stream is cut, and the number of lines before each: the first
// boundary at or after every, then the first at or after the last cut
// plus every, or, aligned, the first at or after the next multiple of
// every (so that the cut for each multiple k*every is the first boundary
// at or after it, whatever came before). It stops cutting (and returns
// nil) at the first record the parser does not see as the state machine
// does: a character after a closing quote, or a record longer than
// maxRecord; the rest of the stream is then one split.
func scanBounds(ctx context.Context, r io.Reader, size, every, maxRecord int64, delim, quote byte, aligned bool, cut func(pos, line int64)) error {
	_, err := scanBoundsFrom(ctx, r, 0, 0, size, every, maxRecord, delim, quote, aligned, func(pos, line int64) bool {
		cut(pos, line)
		return false
	})
	return err
}

// scanBoundsFrom is scanBounds from start, a record start with line lines
// before it, r reading from there: the first cut is then the first
// boundary at or after the first multiple of every after start (aligned)
// or start+every. It stops early, done false, when cut returns true; done
// is true when the stream ended or cutting stopped (see scanBounds).
func scanBoundsFrom(ctx context.Context, r io.Reader, start, line, size, every, maxRecord int64, delim, quote byte, aligned bool, cut func(pos, line int64) (stop bool)) (done bool, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	next := start + every
	if aligned {
		next = (start/every + 1) * every
	}
	off, recStart := start, start
	state := sFieldStart
	buf := make([]byte, scanChunk)
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n, err := io.ReadFull(br, buf)
		chunk := buf[:n]
		counted := 0          // newlines of chunk[:counted] are in line
		qpos, nlpos := -1, -1 // the next quote and line break at or after i, once looked up
		for i := 0; i < n; i++ {
			// skip runs no state cares about
			switch state {
			case sFieldStart, sUnquoted:
				// outside quotes only a quote and a line break matter;
				// the byte before a quote tells whether it opens a
				// quoted field (after a delimiter) or is a literal
				if qpos < i {
					qpos = indexFrom(chunk, i, quote)
				}
				if nlpos < i {
					nlpos = indexFrom(chunk, i, '\n')
				}
				j := min(qpos, nlpos)
				if j > i {
					if chunk[j-1] == delim {
						state = sFieldStart
					} else {
						state = sUnquoted
					}
				}
				if j >= n {
					i = n
					continue
				}
				i = j
			case sQuoted:
				// to the closing quote: a doubled one ("") stays inside
				// the field (sAfterQuote then sQuoted again)
				for {
					k := indexNear(chunk, i, quote)
					if k+1 < n && chunk[k+1] == quote {
						i = k + 2
						continue
					}
					i = k
					break
				}
				if i >= n {
					i = n
					continue
				}
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
					return true, nil
				}
			case sCRAfterQuote:
				if c == '\n' {
					boundary = true
				} else {
					return true, nil
				}
			case sSkipLine:
				boundary = true // c is the line break
			}
			if boundary {
				state = sFieldStart
				pos := off + int64(i) + 1
				if pos-recStart > maxRecord {
					return true, nil
				}
				recStart = pos
				if pos >= next && pos < size {
					line += int64(bytes.Count(chunk[counted:i+1], nl))
					counted = i + 1
					stop := cut(pos, line)
					if aligned {
						next = (pos/every + 1) * every
					} else {
						next = pos + every
					}
					if stop {
						return false, nil
					}
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
			return false, err
		}
	}
	return true, nil
}

// indexNear is indexFrom for a c most likely near: quoted text in CSV
// (JSON, doubled quotes) has quotes a few bytes apart, where a byte loop
// beats the call and setup of bytes.IndexByte.
func indexNear(b []byte, i int, c byte) int {
	end := min(len(b), i+16)
	for j := i; j < end; j++ {
		if b[j] == c {
			return j
		}
	}
	if end == len(b) {
		return end
	}
	return indexFrom(b, end, c)
}

// indexFrom returns the index of the first c in b at or after i, or len(b).
func indexFrom(b []byte, i int, c byte) int {
	k := bytes.IndexByte(b[i:], c)
	if k < 0 {
		return len(b)
	}
	return i + k
}
