package jsonlreader

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// Defaults of Config.
const (
	DefaultBatchRows  = 65536
	DefaultBatchBytes = 8 << 20
	DefaultSampleRows = 1000
	DefaultSplitBytes = 64 << 20
)

// Config configures a Reader. Zero values mean defaults.
type Config struct {
	// Path is a file, a glob or a directory (every *.jsonl, *.ndjson and
	// *.json file under it).
	Path string
	// Schema gives the columns (object keys) and their types. Keys not in
	// the schema are ignored; missing keys are NULL. nil means: infer from
	// the first SampleRows lines of the first file (int64, float64, bool,
	// utf8; objects, arrays and mixed types as the JSON extension type).
	Schema *arrow.Schema
	// SampleRows is how many lines type inference reads; 0 means 1000.
	SampleRows int
	// BatchRows is the most rows per batch; 0 means 65536.
	BatchRows int
	// BatchBytes ends a batch early, after about this many bytes of input,
	// so that the batches in flight stay small when rows are wide; 0 means
	// 8 MiB, negative means no limit (BatchRows only).
	BatchBytes int64
	// SplitBytes: files larger than this are read as several splits of
	// about this size, cut at line starts. 0 means 64 MiB; negative means
	// one split per file.
	SplitBytes int64
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a jsonl:// URL (see the package documentation).
func ParseConfig(urlstr string) (Config, error) {
	return fileset.ParseURL("jsonlreader", urlstr, configFromURL)
}

func configFromURL(u *url.URL) (Config, error) {
	path, q, err := fileset.URLParams("jsonlreader", "jsonl", u)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Path: path}
	if spec := q.String("columns", ""); spec != "" {
		s, err := fileset.ParseColumns(spec)
		if err != nil {
			q.Fail("columns", err)
		}
		cfg.Schema = s
	}
	cfg.SampleRows = q.Int("sampleRows", 0)
	cfg.BatchRows = q.Int("batchRows", 0)
	cfg.BatchBytes = q.Int64("batchBytes", 0)
	cfg.SplitBytes = q.Int64("splitBytes", 0)
	if err := q.Done(); err != nil {
		return Config{}, err
	}
	if cfg.Path == "" {
		return Config{}, urlparam.Invalid(errors.New("jsonlreader: URL has no path (want jsonl:///path/to/file.jsonl)"))
	}
	return cfg, nil
}

func init() {
	fileset.RegisterReader("jsonl", func(ctx context.Context, u *url.URL) (*Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
}

// Reader reads JSON Lines files. It is safe for concurrent use.
type Reader struct {
	cfg    Config
	files  []string
	schema *arrow.Schema
}

var _ ferry.Reader = (*Reader)(nil)

// Open lists the files and determines the schema.
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if cfg.SampleRows <= 0 {
		cfg.SampleRows = DefaultSampleRows
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	if cfg.BatchBytes == 0 {
		cfg.BatchBytes = DefaultBatchBytes
	}
	if cfg.SplitBytes == 0 {
		cfg.SplitBytes = DefaultSplitBytes
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	files, err := fileset.Expand(cfg.Path, ".jsonl", ".ndjson", ".json")
	if err != nil {
		return nil, fmt.Errorf("jsonlreader: %w", err)
	}
	r := &Reader{cfg: cfg, files: files, schema: cfg.Schema}
	if r.schema == nil {
		if r.schema, err = r.infer(files[0]); err != nil {
			return nil, err
		}
	} else {
		for _, f := range r.schema.Fields() {
			if err := fileset.Supported(f.Type); err != nil {
				return nil, fmt.Errorf("jsonlreader: column %q: %w", f.Name, err)
			}
		}
		f, err := os.Open(files[0])
		if err != nil {
			return nil, fmt.Errorf("jsonlreader: %w", err)
		}
		f.Close()
	}
	return r, nil
}

// Files returns the files the Reader reads.
func (r *Reader) Files() []string { return r.files }

// Schema returns the schema of the batches.
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

type splitSpec struct {
	Path  string `json:"path"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Line  int64  `json:"line"`
}

type lineReader struct {
	r    *bufio.Reader
	long []byte
	off  int64
	line int64
}

func (l *lineReader) next() ([]byte, error) {
	b, err := l.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = l.r.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	l.off += int64(len(b))
	if len(b) > 0 {
		l.line++
		if err == io.EOF {
			err = nil
		}
	}
	return b, err
}

// Splits returns one split per file and several, cut at line starts, for
// files larger than SplitBytes.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	var out []ferry.Split
	for _, path := range r.files {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("jsonlreader: %w", err)
		}
		specs := []splitSpec{{Path: path, End: -1}}
		if r.cfg.SplitBytes > 0 && st.Size() > r.cfg.SplitBytes {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("jsonlreader: %w", err)
			}
			specs, err = cutLines(ctx, f, path, st.Size(), r.cfg.SplitBytes)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("jsonlreader: scan %s: %w", path, err)
			}
		}
		for _, s := range specs {
			spec, _ := json.Marshal(s)
			id := path
			if len(specs) > 1 {
				end := fmt.Sprint(s.End)
				if s.End < 0 {
					end = "EOF"
				}
				id = fmt.Sprintf("%s[%d,%s)", path, s.Start, end)
			}
			out = append(out, ferry.Split{ID: id, Spec: spec})
		}
	}
	return out, nil
}

// Read returns the rows of split s. A line that is not a JSON object, is
// not valid UTF-8 or has a value that does not fit its column is a dirty
// row (Row is the line number).
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	var spec splitSpec
	if err := json.Unmarshal(s.Spec, &spec); err != nil || spec.Path == "" {
		return nil, fmt.Errorf("jsonlreader: bad split %s", s.ID)
	}
	path := spec.Path
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("jsonlreader: %w", err)
	}
	if _, err := f.Seek(spec.Start, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("jsonlreader: seek %s: %w", path, err)
	}
	lr := &lineReader{r: bufio.NewReaderSize(f, 256<<10), off: spec.Start, line: spec.Line}
	fields := r.schema.Fields()
	dec := newLineDecoder(fields)
	fill := func(ctx context.Context, b *array.RecordBuilder, max int) (int, []dirty.RowError, bool, error) {
		var bad []dirty.RowError
		n := 0
		start := lr.off
		for n < max && (r.cfg.BatchBytes < 0 || lr.off-start < r.cfg.BatchBytes) {
			if spec.End >= 0 && lr.off >= spec.End {
				return n, bad, true, nil
			}
			line, err := lr.next()
			if err != nil && err != io.EOF {
				return n, bad, true, fmt.Errorf("jsonlreader: read %s near line %d: %w", path, lr.line, err)
			}
			if len(line) == 0 {
				return n, bad, true, nil
			}
			text := bytes.TrimSpace(line)
			if len(text) == 0 {
				continue
			}
			if lr.line == 1 && bytes.HasPrefix(text, []byte("\xEF\xBB\xBF")) {
				text = text[3:]
			}
			no := lr.line
			if !utf8.Valid(text) {
				bad = append(bad, dirty.RowError{Row: no, Value: string(text), Err: fmt.Errorf("jsonlreader: %s line %d: invalid UTF-8", path, no)})
				continue
			}
			if err := dec.scan(text); err != nil {
				bad = append(bad, dirty.RowError{Row: no, Value: string(text), Err: fmt.Errorf("jsonlreader: %s line %d: not a JSON object: %w", path, no, err)})
				continue
			}
			ok := true
			for i := range dec.cols {
				c := &dec.cols[i]
				if err := c.parse(); err != nil {
					k := fields[i].Name
					bad = append(bad, dirty.RowError{Row: no, Column: k, Value: string(c.raw), Err: fmt.Errorf("jsonlreader: %s line %d column %s: %w", path, no, k, err)})
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for i := range dec.cols {
				if err := dec.cols[i].commit(b.Field(i)); err != nil {
					return n, bad, true, fmt.Errorf("jsonlreader: %s line %d: %w", path, no, err)
				}
			}
			n++
		}
		return n, bad, false, nil
	}
	return fileset.NewRecordReader(ctx, r.cfg.Allocator, r.schema, r.cfg.BatchRows, fill, f.Close, "jsonlreader: "+path), nil
}

// Close does nothing: files are opened per split.
func (r *Reader) Close() error { return nil }

// infer guesses the schema from the first SampleRows lines of path.
func (r *Reader) infer(path string) (*arrow.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("jsonlreader: %w", err)
	}
	defer f.Close()
	lr := &lineReader{r: bufio.NewReaderSize(f, 256<<10)}
	type guess struct {
		kind  string // "", "int", "float", "bool", "string", "json"
		order int
	}
	guesses := map[string]*guess{}
	var names []string
	for n := 0; n < r.cfg.SampleRows; {
		line, err := lr.next()
		if len(line) == 0 || (err != nil && err != io.EOF) {
			break
		}
		text := bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF")))
		if len(text) == 0 {
			continue
		}
		n++
		var obj map[string]json.RawMessage
		d := json.NewDecoder(bytes.NewReader(text))
		if err := d.Decode(&obj); err != nil {
			continue
		}
		for k, raw := range obj {
			g, ok := guesses[k]
			if !ok {
				g = &guess{}
				guesses[k] = g
				names = append(names, k)
			}
			var kind string
			switch c := raw[0]; {
			case c == 'n':
				continue
			case c == 't' || c == 'f':
				kind = "bool"
			case c == '"':
				kind = "string"
			case c == '{' || c == '[':
				kind = "json"
			case bytes.ContainsAny(raw, ".eE"):
				kind = "float"
			default:
				kind = "int"
			}
			switch {
			case g.kind == "" || g.kind == kind:
				g.kind = kind
			case (g.kind == "int" && kind == "float") || (g.kind == "float" && kind == "int"):
				g.kind = "float"
			default:
				g.kind = "json"
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("jsonlreader: %s has no JSON objects in its first %d lines to infer columns from (give columns=...)", path, r.cfg.SampleRows)
	}
	// keys keep the order of their first appearance, which a map does not
	// give: re-read the first line's key order where possible
	names = keyOrder(path, names, r.cfg.SampleRows)
	fields := make([]arrow.Field, len(names))
	for i, k := range names {
		var dt arrow.DataType
		switch guesses[k].kind {
		case "int":
			dt = arrow.PrimitiveTypes.Int64
		case "float":
			dt = arrow.PrimitiveTypes.Float64
		case "bool":
			dt = arrow.FixedWidthTypes.Boolean
		case "json":
			dt = fileset.JSONType()
		default:
			dt = arrow.BinaryTypes.String
		}
		fields[i] = arrow.Field{Name: k, Type: dt, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// keyOrder returns names in the order the keys first appear in the file.
func keyOrder(path string, names []string, sample int) []string {
	f, err := os.Open(path)
	if err != nil {
		return names
	}
	defer f.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []string
	lr := &lineReader{r: bufio.NewReaderSize(f, 256<<10)}
	for n := 0; n < sample && len(out) < len(names); n++ {
		line, err := lr.next()
		if len(line) == 0 || (err != nil && err != io.EOF) {
			break
		}
		d := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))))
		if t, err := d.Token(); err != nil || t != json.Delim('{') {
			continue
		}
		for d.More() {
			t, err := d.Token()
			if err != nil {
				break
			}
			k, _ := t.(string)
			if want[k] {
				out = append(out, k)
				want[k] = false
			}
			var skip json.RawMessage
			if d.Decode(&skip) != nil {
				break
			}
		}
	}
	if len(out) != len(names) {
		return names
	}
	return out
}

// ParseColumns parses a column specification as the columns URL parameter
// takes it: "id:int64,name:utf8,amount:decimal(12,2),ts:timestamp[us]".
// Types: int8..int64, uint8..uint64, float32, float64, bool, utf8,
// large_utf8, binary, date32, date64, time32[s|ms], time64[us|ns],
// timestamp[unit] and timestamp[unit,zone], decimal(p,s) (decimal256 when
// p > 38), uuid, json, interval, list<T> and fixed_size_list<T>[n]; a name
// without a type is utf8.
func ParseColumns(spec string) (*arrow.Schema, error) {
	return fileset.ParseColumns(spec)
}
