package jsonlreader

import (
	"bufio"
	"bytes"
	"context"
	"io"
)

// cutChunk is the size of the blocks cutLines reads (a variable for the
// tests, which make it tiny so that cuts and line breaks meet block ends).
var cutChunk = 1 << 20

// cutLines returns the splits of a file of size bytes read from r: one
// starting at the first line start at or after every bytes past the last
// cut (never at the end of the file), with the number of lines before it.
// That is what reading the file line by line gives (cutLinesSlow, in the
// tests), found by looking up and counting line breaks a block at a time.
func cutLines(ctx context.Context, r io.Reader, path string, size, every int64) ([]splitSpec, error) {
	specs := []splitSpec{{Path: path, End: -1}}
	buf := make([]byte, cutChunk)
	var off, line int64
	next := every
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := io.ReadFull(r, buf)
		b := buf[:n]
		counted := 0 // the line breaks of b[:counted] are in line
		for next < size {
			// the first line start at or after next follows the first
			// line break at or after next-1
			from := max(int(next-1-off), counted)
			if from >= n {
				break
			}
			k := bytes.IndexByte(b[from:], '\n')
			if k < 0 {
				break
			}
			end := from + k + 1
			line += int64(bytes.Count(b[counted:end], nl))
			counted = end
			pos := off + int64(end)
			if pos >= size {
				break
			}
			specs[len(specs)-1].End = pos
			specs = append(specs, splitSpec{Path: path, Start: pos, End: -1, Line: line})
			next = pos + every
		}
		line += int64(bytes.Count(b[counted:], nl))
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return specs, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var nl = []byte{'\n'}

// cutLinesSlow is the line-by-line cut that cutLines replaces, kept for
// the tests to compare with.
func cutLinesSlow(r io.Reader, path string, size, every int64) []splitSpec {
	specs := []splitSpec{{Path: path, End: -1}}
	lr := &lineReader{r: bufio.NewReaderSize(r, 256<<10)}
	next := every
	for {
		if lr.off >= next && lr.off < size {
			specs[len(specs)-1].End = lr.off
			specs = append(specs, splitSpec{Path: path, Start: lr.off, End: -1, Line: lr.line})
			next = lr.off + every
		}
		b, err := lr.next()
		if len(b) == 0 || err != nil {
			break
		}
	}
	return specs
}
