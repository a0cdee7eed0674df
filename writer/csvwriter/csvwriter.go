package csvwriter

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// Config configures a Writer. Zero values mean defaults.
type Config struct {
	// Path is the output file, or a directory (ending with "/" or
	// existing) to write part-*.csv files into.
	Path string
	// Mode is ferry.ModeInsert (default: never replaces a file) or
	// ferry.ModeOverwrite (replaces the old output at Commit).
	Mode ferry.WriteMode
	// NoHeader leaves out the header line.
	NoHeader bool
	// Delimiter separates fields; 0 means ','.
	Delimiter byte
	// Quote encloses fields that need it; 0 means '"'.
	Quote byte
	// NullString is written, unquoted, for NULL; the default "" writes an
	// empty field (and quotes empty strings as ""). A text value equal to
	// NullString is quoted, so csvreader tells them apart.
	NullString string
	// CRLF ends lines with \r\n instead of \n.
	CRLF bool
	// MaxFileRows and MaxFileBytes roll to a new file after that many rows
	// or bytes; 0 means no limit.
	MaxFileRows  int64
	MaxFileBytes int64
	// Compress is "" or "none" (default), or "gzip": every file is
	// gzipped and part files end in .csv.gz.
	Compress string
}

// ParseConfig parses a csv:// URL (see the package documentation).
func ParseConfig(urlstr string) (Config, error) {
	return fileset.ParseURL("csvwriter", urlstr, configFromURL)
}

func configFromURL(u *url.URL) (Config, error) {
	path, q, err := fileset.URLParams("csvwriter", "csv", u)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Path: path}
	cfg.Mode, cfg.MaxFileRows, cfg.MaxFileBytes = fileset.OutputParams(q)
	cfg.NoHeader = !q.Bool("header", true)
	cfg.Delimiter = byteParam(q, "delimiter", ',')
	cfg.Quote = byteParam(q, "quote", '"')
	cfg.NullString = q.String("nullString", "")
	cfg.CRLF = q.Bool("crlf", false)
	cfg.Compress = q.String("compress", "")
	if err := q.Done(); err != nil {
		return Config{}, err
	}
	if cfg.Path == "" {
		return Config{}, urlparam.Invalid(errors.New("csvwriter: URL has no path (want csv:///path/to/out.csv)"))
	}
	return cfg, nil
}

func byteParam(q *urlparam.Values, name string, def byte) byte {
	s := q.String(name, "")
	switch s {
	case "":
		return def
	case `\t`, "tab", "TAB":
		return '\t'
	}
	if len(s) != 1 {
		q.Fail(name, fmt.Errorf("%q is not a single byte (use \\t or tab for a tab)", s))
		return def
	}
	return s[0]
}

func init() {
	fileset.RegisterWriter("csv", func(ctx context.Context, u *url.URL) (*Writer, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
}

// Writer writes CSV files. The embedded fileset.Output gives it the
// staged protocol (ferry.StageWriter), Commit, Abort, CollectStages and
// Outputs; see fileset.Output for the names of the files and how Commit
// switches them in.
type Writer struct {
	*fileset.Output
	cfg Config
}

var _ ferry.StageWriter = (*Writer)(nil)

// Open checks cfg and returns a Writer. Nothing is created before Prepare.
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	if cfg.Delimiter == 0 {
		cfg.Delimiter = ','
	}
	if cfg.Quote == 0 {
		cfg.Quote = '"'
	}
	if cfg.Delimiter == cfg.Quote || cfg.Delimiter == '\n' || cfg.Delimiter == '\r' {
		return nil, fmt.Errorf("csvwriter: delimiter %q and quote %q must differ and not be line breaks", cfg.Delimiter, cfg.Quote)
	}
	var gz bool
	switch strings.ToLower(cfg.Compress) {
	case "", "none":
	case "gzip", "gz":
		gz = true
	default:
		return nil, fmt.Errorf("csvwriter: compress %q not supported (want none or gzip)", cfg.Compress)
	}
	w := &Writer{cfg: cfg}
	out, err := fileset.NewOutput(fileset.OutputConfig{
		Pkg: "csvwriter", Path: cfg.Path, Ext: ".csv", Mode: cfg.Mode,
		MaxFileRows: cfg.MaxFileRows, MaxFileBytes: cfg.MaxFileBytes, Gzip: gz,
		Check:      checkSchema,
		NewEncoder: w.newEncoder,
	})
	if err != nil {
		return nil, err
	}
	w.Output = out
	return w, nil
}

func checkSchema(schema *arrow.Schema) error {
	for _, f := range schema.Fields() {
		if err := fileset.Supported(f.Type); err != nil {
			return fmt.Errorf("csvwriter: column %q: %w", f.Name, err)
		}
	}
	return nil
}

type encoder struct {
	w      *Writer
	out    io.Writer
	schema *arrow.Schema
	buf    []byte
	cell   []byte
	eol    []byte
	cols   []column
	// special marks the bytes that make a field need quotes: the
	// delimiter, the quote and the line breaks
	special [256]bool
	rep     [4]uint64 // each special byte, 8 times
}

// hasZero is not 0 when a byte of x is 0.
func hasZero(x uint64) uint64 {
	return (x - 0x0101010101010101) &^ x & 0x8080808080808080
}

func (w *Writer) newEncoder(out io.Writer, schema *arrow.Schema) (fileset.Encoder, error) {
	e := &encoder{w: w, out: out, schema: schema, eol: []byte("\n")}
	for k, b := range []byte{w.cfg.Delimiter, w.cfg.Quote, '\n', '\r'} {
		e.special[b] = true
		e.rep[k] = uint64(b) * 0x0101010101010101
	}
	if w.cfg.CRLF {
		e.eol = []byte("\r\n")
	}
	if !w.cfg.NoHeader {
		for i, f := range schema.Fields() {
			if i > 0 {
				e.buf = append(e.buf, w.cfg.Delimiter)
			}
			e.buf = e.appendField(e.buf, []byte(f.Name), true)
		}
		e.buf = append(e.buf, e.eol...)
		if _, err := out.Write(e.buf); err != nil {
			return nil, err
		}
		e.buf = e.buf[:0]
	}
	return e, nil
}

// appendField appends s, quoted when it must be: when it holds the
// delimiter, the quote, a line break, starts or ends with a space, equals
// the null string or (text) is empty while the null string is empty.
func (e *encoder) appendField(dst, s []byte, text bool) []byte {
	if !e.needQuote(s) {
		return append(dst, s...)
	}
	return e.appendQuoted(dst, s)
}

// needQuote tells whether s must be quoted (see appendField).
func (e *encoder) needQuote(s []byte) bool {
	c := &e.w.cfg
	if string(s) == c.NullString || (len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '\t')) {
		return true
	}
	k := 0
	for ; k+8 <= len(s); k += 8 {
		// 8 bytes at a time: is any of them special (the exact SWAR
		// test for a zero byte, of x xor each special byte repeated)?
		x := binary.LittleEndian.Uint64(s[k:])
		if hasZero(x^e.rep[0])|hasZero(x^e.rep[1])|hasZero(x^e.rep[2])|hasZero(x^e.rep[3]) != 0 {
			return true
		}
	}
	for ; k < len(s); k++ {
		if e.special[s[k]] {
			return true
		}
	}
	return false
}

// appendQuoted appends s quoted, its quotes doubled.
func (e *encoder) appendQuoted(dst, s []byte) []byte {
	q := e.w.cfg.Quote
	dst = append(dst, q)
	for {
		i := bytes.IndexByte(s, q)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, q)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, q)
}

// A column binds one column of a batch to how its values are written.
type column struct {
	a     arrow.Array
	nulls bool // a may have NULLs (IsNull must be asked)
	// text (str true): values are data[offs[i]:offs[i+1]], quoted from
	// the array itself
	str  bool
	offs []int32
	data []byte
	// format appends the text form of value i (nil: fileset.AppendText)
	format func(dst []byte, i int) []byte
}

// bind returns the columns of cols for Write: text (utf8 and JSON in
// utf8) is read in place, the common fixed-width types are formatted by
// a function picked once per batch instead of a type switch per value.
func (e *encoder) bind(cols []arrow.Array) []column {
	e.cols = e.cols[:0]
	for _, a := range cols {
		c := column{a: a, nulls: a.NullN() > 0 || a.DataType().ID() == arrow.NULL}
		switch t := a.(type) {
		case *array.String:
			c.bindString(t)
		case array.ExtensionArray:
			if _, ok := t.ExtensionType().(*extensions.JSONType); ok {
				if s, ok := t.Storage().(*array.String); ok {
					c.bindString(s) // AppendText writes JSON text as stored
				}
			}
		case *array.Int64:
			v := t.Int64Values()
			c.format = func(dst []byte, i int) []byte { return strconv.AppendInt(dst, v[i], 10) }
		case *array.Int32:
			v := t.Int32Values()
			c.format = func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(v[i]), 10) }
		case *array.Float64:
			v := t.Float64Values()
			c.format = func(dst []byte, i int) []byte { return strconv.AppendFloat(dst, v[i], 'g', -1, 64) }
		}
		e.cols = append(e.cols, c)
	}
	return e.cols
}

func (c *column) bindString(a *array.String) {
	c.str, c.offs = true, a.ValueOffsets() // absolute offsets into the data buffer
	if buf := a.Data().Buffers()[2]; buf != nil {
		c.data = buf.Bytes()
	}
}

func (e *encoder) Write(b arrow.RecordBatch) error {
	cols := e.bind(b.Columns())
	delim := e.w.cfg.Delimiter
	n := int(b.NumRows())
	for i := 0; i < n; i++ {
		for k := range cols {
			c := &cols[k]
			if k > 0 {
				e.buf = append(e.buf, delim)
			}
			if c.nulls && fileset.IsNull(c.a, i) {
				e.buf = append(e.buf, e.w.cfg.NullString...)
				continue
			}
			if c.str {
				v := c.data[c.offs[i]:c.offs[i+1]]
				e.buf = e.appendField(e.buf, v, true)
				continue
			}
			// format straight into the buffer; quote (rarely: a
			// delimiter among the characters of numbers, dates...)
			// from a copy
			start := len(e.buf)
			if c.format != nil {
				e.buf = c.format(e.buf, i)
			} else {
				e.buf = fileset.AppendText(e.buf, c.a, i)
			}
			if v := e.buf[start:]; e.needQuote(v) {
				e.cell = append(e.cell[:0], v...)
				e.buf = e.appendQuoted(e.buf[:start], e.cell)
			}
		}
		e.buf = append(e.buf, e.eol...)
		if len(e.buf) >= 256<<10 {
			if _, err := e.out.Write(e.buf); err != nil {
				return err
			}
			e.buf = e.buf[:0]
		}
	}
	if len(e.buf) > 0 {
		if _, err := e.out.Write(e.buf); err != nil {
			return err
		}
		e.buf = e.buf[:0]
	}
	return nil
}

func (e *encoder) Close() error { return nil }
