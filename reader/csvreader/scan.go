package csvreader

import (
	"bufio"
	"context"
	"io"
)

// scanner states; they mirror parser.next exactly, so that the record
// boundaries found here are the ones the parser sees.
const (
	sFieldStart = iota // at the start of a field
	sUnquoted          // inside an unquoted field
	sQuoted            // inside a quoted field
	sAfterQuote        // just after a quote inside a quoted field
	sCRAfterQuote      // a \r right after a closing quote
	sSkipLine          // after a character following a closing quote: the rest of the line is the bad record's
)

// scanCuts reads a CSV stream and returns the splits of about every bytes,
// starting at record boundaries (offsets right after a record's final
// line break), with the number of lines before each.
func scanCuts(ctx context.Context, r io.Reader, path string, size, every int64, delim, quote byte) ([]splitSpec, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	specs := []splitSpec{{Path: path}}
	next := every
	var off, line int64
	state := sFieldStart
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := br.Read(buf)
		for i := 0; i < n; i++ {
			c := buf[i]
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
				if c == quote {
					state = sAfterQuote
				}
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
					state = sSkipLine
				}
			case sCRAfterQuote:
				if c == '\n' {
					boundary = true
				} else {
					state = sSkipLine
				}
			case sSkipLine:
				if c == '\n' {
					boundary = true
				}
			}
			if c == '\n' {
				line++
			}
			if boundary {
				state = sFieldStart
				pos := off + int64(i) + 1
				if pos >= next && pos < size {
					specs[len(specs)-1].End = pos
					specs = append(specs, splitSpec{Path: path, Start: pos, End: -1, Line: line})
					next = pos + every
				}
			}
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	specs[len(specs)-1].End = -1
	return specs, nil
}
