package csvreader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// next1Copy is next1 as it was before fields were read in place: every
// field copied into buf (the reference of TestInLineFieldsMatchCopied).
func (p *parser) next1Copy() error {
	if p.owned {
		p.rawBuf = p.raw[:0]
	}
	p.buf, p.ends, p.quoted, p.raw, p.owned = p.buf[:0], p.ends[:0], p.quoted[:0], nil, false
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
	pos := 0
	for {
		if pos < end && l[pos] == p.quote {
			pos++
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

// refNext1 runs next1Copy and states its fields as next1 does.
func refNext1(p *parser) error {
	err := p.next1Copy()
	p.starts, p.inBuf = p.starts[:0], p.inBuf[:0]
	for i := range p.ends {
		start := 0
		if i > 0 {
			start = p.ends[i-1]
		}
		p.starts = append(p.starts, start)
		p.inBuf = append(p.inBuf, true)
	}
	return err
}

// parseAll returns everything the parser reports record by record.
func parseAll(data []byte, max int, inLine bool) []string {
	if !inLine {
		next1Ref = refNext1
		defer func() { next1Ref = nil }()
	}
	p := newParser(bytes.NewReader(data), ',', '"', 0, 0, max)
	var out []string
	for range 10000 {
		err := p.next()
		var fields []string
		for i := range p.ends {
			fields = append(fields, fmt.Sprintf("%q/%v", p.field(i), p.quoted[i]))
		}
		if err == nil {
			fields = append(fields, fmt.Sprintf("blank=%v", p.blank()))
		}
		out = append(out, fmt.Sprintf("err=%v fields=%v raw=%q off=%d line=%d start=%d,%d", err, fields, p.raw, p.off, p.line, p.startOff, p.startLine))
		if err != nil && !errors.Is(err, ErrAfterQuote) && !errors.Is(err, ErrUnterminatedQuote) && !errors.Is(err, ErrRecordTooLarge) {
			if err != io.EOF {
				out = append(out, "fatal")
			}
			break
		}
	}
	return out
}

// TestInLineFieldsMatchCopied: records split in place give exactly the
// fields, errors, raw text, offsets and lines of the copying parse, on
// the cases below and on random text made of the bytes that matter.
func TestInLineFieldsMatchCopied(t *testing.T) {
	cases := []string{
		"", "\n", "\r\n", "a", "a,b\n", "a,b,\n", ",\n", ",,\r\n", "\"\"\n", "\"\",\"\"\n", "\"a\",b\n", "\"a\"\r\n",
		"\"a\"\"b\",c\n", "\"a\nb\",c\n", "\"a\"b,c\n", "\"a\"\rx\n", "\"unterminated\n", "ab\"c,d\n", "\"a,b\",\"c\nd\"\"e\"\n",
		"\"last\"", "x,\"last\"", "\"a\" ,b\n", " \"a\",b\n", "a,\"\"\"\"\n", "\xEF\xBB\xBFa,b\n", "1," + strings.Repeat("x", 300<<10) + "\n2,y\n",
		"\"" + strings.Repeat("q", 300<<10) + "\",z\n",
		"a,\"b\",c,\"d\ne\",f,\"g\",\"h\"\"i\",j\n", "1,\"x\",\"multi\nline \"\"q\"\"\r\n\",\"y\",z\r\n2,\"\",,\n",
		"\"a\nb\"\"c\nd\",\"e\"\n", "x,\"\n\",\"\"\n",
	}
	rng := rand.New(rand.NewSource(7))
	alphabet := []byte("a,\"\n\r ")
	for range 20000 {
		n := rng.Intn(60)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		for _, max := range []int{DefaultMaxRecordBytes, 8} {
			got, want := parseAll([]byte(c), max, true), parseAll([]byte(c), max, false)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%.80q (max %d):\nin line %v\ncopied  %v", c, max, got, want)
			}
		}
	}
}
