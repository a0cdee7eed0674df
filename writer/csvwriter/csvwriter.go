package csvwriter

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

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
	c := &e.w.cfg
	need := string(s) == c.NullString || (len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '\t'))
	k := 0
	for ; !need && k+8 <= len(s); k += 8 {
		// 8 bytes at a time: is any of them special (the exact SWAR
		// test for a zero byte, of x xor each special byte repeated)?
		x := binary.LittleEndian.Uint64(s[k:])
		if hasZero(x^e.rep[0])|hasZero(x^e.rep[1])|hasZero(x^e.rep[2])|hasZero(x^e.rep[3]) != 0 {
			break
		}
	}
	for ; k < len(s) && !need; k++ {
		need = e.special[s[k]]
	}
	if !need {
		return append(dst, s...)
	}
	dst = append(dst, c.Quote)
	for {
		i := bytes.IndexByte(s, c.Quote)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, c.Quote)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, c.Quote)
}

func (e *encoder) Write(b arrow.RecordBatch) error {
	cols := b.Columns()
	n := int(b.NumRows())
	for i := 0; i < n; i++ {
		for c, col := range cols {
			if c > 0 {
				e.buf = append(e.buf, e.w.cfg.Delimiter)
			}
			if fileset.IsNull(col, i) {
				e.buf = append(e.buf, e.w.cfg.NullString...)
				continue
			}
			e.cell = fileset.AppendText(e.cell[:0], col, i)
			_, text := col.(*array.String)
			e.buf = e.appendField(e.buf, e.cell, text)
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
