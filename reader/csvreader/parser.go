package csvreader

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Record errors. The record is consumed; reading goes on with the next one.
var (
	// ErrUnterminatedQuote is a quoted field that runs to the end of the file.
	ErrUnterminatedQuote = errors.New("unterminated quoted field")
	// ErrAfterQuote is a character other than the delimiter or a line end
	// after a closing quote.
	ErrAfterQuote = errors.New("unexpected character after closing quote")
	// ErrFieldCount is a record with the wrong number of fields.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrRecordTooLarge is a record longer than Config.MaxRecordBytes.
	ErrRecordTooLarge = errors.New("record too large")
)

// errLineTooLong is a line longer than the record limit; its bytes past
// the limit were skipped.
var errLineTooLong = errors.New("line too long")

// parser reads RFC 4180 records: fields separated by delim, optionally
// enclosed in quote with doubled quotes inside; quoted fields may hold
// delimiters and line breaks; records end with \n or \r\n. A quote inside an
// unquoted field is an ordinary character. An empty line is a record of
// one empty field.
type parser struct {
	r            *bufio.Reader
	delim, quote byte

	off  int64 // offset of the next unread byte
	line int64 // number of lines read

	long []byte // holds a line longer than the bufio buffer
	// the fields of the last record: field i is raw[starts[i]:ends[i]]
	// (read in place: unquoted, or quoted without a doubled quote and closed
	// on its line) or, when inBuf[i], buf[starts[i]:ends[i]] (unquoted)
	buf    []byte
	starts []int
	ends   []int
	inBuf  []bool
	quoted []bool
	raw    []byte // the record's raw text: its line as read (valid until the next read), or rawBuf
	rawBuf []byte
	// owned: raw is in rawBuf (a record of several lines, or a line too long)
	owned bool

	// record position
	startOff  int64
	startLine int64

	max     int    // the most bytes of one record
	pending []byte // lines to read again before r (after a resync)
	// long maps the pending lines that were too long (by line number) to
	// the bytes skipped of them
	longLines map[int64]int64
	skipped   int64 // by the last readLine of a too long line
}

func newParser(r io.Reader, delim, quote byte, off, line int64, max int) *parser {
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	return &parser{r: bufio.NewReaderSize(r, 256<<10), delim: delim, quote: quote, off: off, line: line, max: max}
}

// readLine returns the next line with its line break. A line longer than
// the record limit returns errLineTooLong with its first max bytes, the
// rest skipped.
func (p *parser) readLine() ([]byte, error) {
	if len(p.pending) > 0 {
		// pending holds whole lines; only its last may lack a line break,
		// and then it is the file's last
		l := p.pending
		if i := bytes.IndexByte(l, '\n'); i >= 0 {
			l = l[:i+1]
		}
		p.pending = p.pending[len(l):]
		p.off += int64(len(l))
		p.line++
		if skipped, ok := p.longLines[p.line]; ok {
			delete(p.longLines, p.line)
			p.off += skipped
			return l[:len(l)-1], errLineTooLong
		}
		return l, nil
	}
	l, err := p.r.ReadSlice('\n')
	var tooLong bool
	p.skipped = 0
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], l...)
		n := int64(len(l))
		for err == bufio.ErrBufferFull {
			l, err = p.r.ReadSlice('\n')
			n += int64(len(l))
			if len(p.long) <= p.max {
				p.long = append(p.long, l...)
			} else {
				tooLong = true
			}
		}
		if len(p.long) > p.max {
			tooLong = true
			p.long = p.long[:p.max]
		}
		l = p.long
		p.skipped = n - int64(len(l))
		p.off += p.skipped
	}
	p.off += int64(len(l))
	if len(l) > 0 {
		p.line++
	}
	if err == io.EOF && len(l) > 0 {
		err = nil
	}
	if tooLong && err == nil {
		err = errLineTooLong
	}
	return l, err
}

// resync gives up the current record after its first line: the lines that
// followed are read again as records of their own, so a stray quote costs
// one line, not the rest of the file.
func (p *parser) resync() {
	first := len(p.raw)
	if i := bytes.IndexByte(p.raw, '\n'); i >= 0 {
		first = i + 1
	}
	rest := make([]byte, 0, len(p.raw)-first+len(p.pending))
	rest = append(rest, p.raw[first:]...)
	p.pending = append(rest, p.pending...)
	p.raw = p.raw[:first]
	p.off = p.startOff + int64(first)
	p.line = p.startLine
}

// own copies raw into rawBuf, unless it is there.
func (p *parser) own() {
	if !p.owned {
		p.raw = append(p.rawBuf[:0], p.raw...)
		p.owned = true
	}
}

func lineEnd(l []byte) int {
	n := len(l)
	if n > 0 && l[n-1] == '\n' {
		n--
		if n > 0 && l[n-1] == '\r' {
			n--
		}
	}
	return n
}

// field returns field i of the last record.
func (p *parser) field(i int) []byte {
	if p.inBuf[i] {
		return p.buf[p.starts[i]:p.ends[i]]
	}
	return p.raw[p.starts[i]:p.ends[i]]
}

// blank tells whether the last record is an empty line.
func (p *parser) blank() bool {
	return len(p.ends) == 1 && !p.quoted[0] && p.starts[0] == p.ends[0]
}

// add appends a field: [start, end) of raw, or of buf when inBuf.
func (p *parser) add(start, end int, inBuf, quoted bool) {
	p.starts = append(p.starts, start)
	p.ends = append(p.ends, end)
	p.inBuf = append(p.inBuf, inBuf)
	p.quoted = append(p.quoted, quoted)
}

// next1Ref, when set (by the tests), parses instead of next1.
var next1Ref func(*parser) error

// next reads the next record. It returns io.EOF at the end, an I/O error,
// or one of the record errors above. After a bad record only its first
// line is skipped: reading goes on at the line after it, so a stray quote
// costs one line, not the rest of the file.
func (p *parser) next() error {
	var err error
	if next1Ref != nil {
		err = next1Ref(p)
	} else {
		err = p.next1()
	}
	switch {
	case err == errLineTooLong && len(p.raw) > 0 && bytes.IndexByte(p.raw, '\n') == len(p.raw)-1:
		return ErrRecordTooLarge // the record's first line itself: skipped
	case err == errLineTooLong, err == ErrRecordTooLarge, err == ErrUnterminatedQuote, err == ErrAfterQuote:
		p.resync()
		if err == errLineTooLong {
			return ErrRecordTooLarge
		}
		return err
	case err == nil && len(p.raw) > p.max:
		p.resync()
		return ErrRecordTooLarge
	}
	return err
}

func (p *parser) next1() error {
	if p.owned {
		p.rawBuf = p.raw[:0]
	}
	p.buf, p.starts, p.ends, p.inBuf, p.quoted, p.raw, p.owned = p.buf[:0], p.starts[:0], p.ends[:0], p.inBuf[:0], p.quoted[:0], nil, false
	p.startOff = p.off
	l, err := p.readLine()
	if err == errLineTooLong {
		p.startLine = p.line
		p.own()
		p.raw = append(p.raw, l...)
		p.raw = append(p.raw, '\n')
		return err
	}
	if err != nil {
		return err
	}
	if len(l) == 0 {
		return io.EOF
	}
	p.startLine = p.line
	p.raw = l[:len(l):len(l)] // no copy: most records are one line
	end := lineEnd(l)
	base := 0 // where l starts in raw
	pos := 0
	for {
		if pos < end && l[pos] == p.quote {
			pos++
			if k := indexNear(l, pos, p.quote); k < len(l) && (k+1 >= len(l) || l[k+1] != p.quote) {
				// closed on this line without a doubled quote: in place
				p.add(base+pos, base+k, false, true)
				pos = k + 1
			} else {
				start := len(p.buf)
				for {
					i := indexNear(l, pos, p.quote) - pos
					if pos+i == len(l) {
						p.buf = append(p.buf, l[pos:]...)
						p.own() // the next read may overwrite the line
						var err error
						l, err = p.readLine()
						if err == io.EOF {
							return ErrUnterminatedQuote
						}
						if err == errLineTooLong {
							// replayed by resync as a too long line of its own
							if p.longLines == nil {
								p.longLines = map[int64]int64{}
							}
							p.longLines[p.line] = max(p.skipped-1, 0) // the '\n' added below
							p.raw = append(p.raw, l...)
							p.raw = append(p.raw, '\n')
							return ErrRecordTooLarge
						}
						if err != nil {
							return err
						}
						if len(l) == 0 {
							return ErrUnterminatedQuote
						}
						p.raw = append(p.raw, l...)
						if len(p.raw) > p.max {
							return ErrRecordTooLarge
						}
						end, pos, base = lineEnd(l), 0, len(p.raw)-len(l)
						continue
					}
					p.buf = append(p.buf, l[pos:pos+i]...)
					pos += i + 1
					if pos < len(l) && l[pos] == p.quote {
						p.buf = append(p.buf, p.quote)
						pos++
						continue
					}
					break
				}
				p.add(start, len(p.buf), true, true)
			}
			switch {
			case pos >= end:
				return nil
			case l[pos] == p.delim:
				pos++
				if pos >= end {
					// a trailing delimiter: one more empty field
					p.add(base+pos, base+pos, false, false)
					return nil
				}
			default:
				return ErrAfterQuote
			}
			continue
		}
		i := bytes.IndexByte(l[pos:end], p.delim)
		if i < 0 {
			p.add(base+pos, base+end, false, false)
			return nil
		}
		p.add(base+pos, base+pos+i, false, false)
		pos += i + 1
		if pos >= end {
			p.add(base+pos, base+pos, false, false)
			return nil
		}
	}
}
