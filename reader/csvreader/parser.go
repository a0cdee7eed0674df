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
)

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

	long   []byte // holds a line longer than the bufio buffer
	buf    []byte // field contents
	ends   []int
	quoted []bool
	raw    []byte // the record's raw text

	// record position
	startOff  int64
	startLine int64
}

func newParser(r io.Reader, delim, quote byte, off, line int64) *parser {
	return &parser{r: bufio.NewReaderSize(r, 256<<10), delim: delim, quote: quote, off: off, line: line}
}

func (p *parser) readLine() ([]byte, error) {
	l, err := p.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], l...)
		for err == bufio.ErrBufferFull {
			l, err = p.r.ReadSlice('\n')
			p.long = append(p.long, l...)
		}
		l = p.long
	}
	p.off += int64(len(l))
	if len(l) > 0 {
		p.line++
	}
	if err == io.EOF && len(l) > 0 {
		err = nil
	}
	return l, err
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
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.buf[start:p.ends[i]]
}

// next reads the next record. It returns io.EOF at the end, an I/O error,
// or one of the record errors above (the record is then skipped).
func (p *parser) next() error {
	p.buf, p.ends, p.quoted, p.raw = p.buf[:0], p.ends[:0], p.quoted[:0], p.raw[:0]
	p.startOff = p.off
	l, err := p.readLine()
	if err != nil {
		return err
	}
	if len(l) == 0 {
		return io.EOF
	}
	p.startLine = p.line
	p.raw = append(p.raw, l...)
	end := lineEnd(l)
	pos := 0
	for {
		if pos < end && l[pos] == p.quote {
			pos++
			for {
				i := bytes.IndexByte(l[pos:], p.quote)
				if i < 0 {
					p.buf = append(p.buf, l[pos:]...)
					var err error
					l, err = p.readLine()
					if err == io.EOF {
						return ErrUnterminatedQuote
					}
					if err != nil {
						return err
					}
					if len(l) == 0 {
						return ErrUnterminatedQuote
					}
					p.raw = append(p.raw, l...)
					end, pos = lineEnd(l), 0
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
			p.ends = append(p.ends, len(p.buf))
			p.quoted = append(p.quoted, true)
			switch {
			case pos >= end:
				return nil
			case l[pos] == p.delim:
				pos++
				if pos >= end {
					// a trailing delimiter: one more empty field
					p.ends = append(p.ends, len(p.buf))
					p.quoted = append(p.quoted, false)
					return nil
				}
			default:
				return ErrAfterQuote
			}
			continue
		}
		i := bytes.IndexByte(l[pos:end], p.delim)
		if i < 0 {
			p.buf = append(p.buf, l[pos:end]...)
			p.ends = append(p.ends, len(p.buf))
			p.quoted = append(p.quoted, false)
			return nil
		}
		p.buf = append(p.buf, l[pos:pos+i]...)
		p.ends = append(p.ends, len(p.buf))
		p.quoted = append(p.quoted, false)
		pos += i + 1
		if pos >= end {
			p.ends = append(p.ends, len(p.buf))
			p.quoted = append(p.quoted, false)
			return nil
		}
	}
}
