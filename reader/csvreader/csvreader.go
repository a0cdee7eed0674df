package csvreader

import (
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

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
	// DefaultMaxRecordBytes is the default limit of one record's size.
	DefaultMaxRecordBytes = 16 << 20
)

// Config configures a Reader. The zero value of every field but Path means
// its default.
type Config struct {
	// Path is a file, a glob ("/data/*.csv") or a directory (every *.csv
	// file under it, recursively).
	Path string
	// NoHeader says the files have no header line. Columns are then named
	// c1, c2, ... unless Schema names them, and matched by position.
	NoHeader bool
	// Delimiter separates fields; 0 means ','.
	Delimiter byte
	// Quote encloses fields; 0 means '"'.
	Quote byte
	// NullString is the text of NULL when it appears unquoted; the default
	// "" makes an empty unquoted field NULL while a quoted "" is an empty
	// string. With NullString `\N`, an empty field is an empty string. For
	// columns that are not text or binary, an empty field (quoted or not) is
	// always NULL.
	NullString string
	// Encoding is the files' character encoding: "utf-8" (default), "gbk",
	// "gb18030" or "latin1". Files in other encodings are not split.
	Encoding string
	// Schema gives the columns and their types. With a header, columns are
	// matched by name (the file may have more columns, in any order);
	// without, by position. nil means: infer the types from the first
	// SampleRows records of the first file (int64, float64, date32,
	// timestamp[us] (with a zone: timestamp[us, UTC]), bool, else utf8).
	Schema *arrow.Schema
	// SampleRows is how many records type inference reads; 0 means 1000.
	SampleRows int
	// BatchRows is the most rows per batch; 0 means 65536.
	BatchRows int
	// BatchBytes ends a batch early, after about this many bytes of input,
	// so that the batches in flight stay small when rows are wide; 0 means
	// 8 MiB, negative means no limit (BatchRows only).
	BatchBytes int64
	// SplitBytes: files larger than this are read as several splits of
	// at most about this size (as many as a multiple of the wanted
	// parallelism, of equal size), bounded by record starts that a scan of
	// the file finds while the splits are read (so quoted line breaks are
	// handled exactly; see the package documentation). 0 means 64 MiB;
	// negative means one split per file.
	SplitBytes int64
	// MaxRecordBytes is the most bytes one record (with its quoted line
	// breaks) may take; 0 means 16 MiB. A longer record is a dirty row
	// (ErrRecordTooLarge) and reading goes on at the line after its start.
	// It bounds the memory one record takes (a few copies of it: the line,
	// the field, the Arrow column).
	MaxRecordBytes int
	// Compress is how the files are compressed: "auto" or "" (default: by
	// the extension, .gz is gzip and .bz2 bzip2), "none", "gzip" or
	// "bzip2". Compressed files are not split.
	Compress string
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a csv:// URL (see the package documentation).
func ParseConfig(urlstr string) (Config, error) {
	return fileset.ParseURL("csvreader", urlstr, configFromURL)
}

func configFromURL(u *url.URL) (Config, error) {
	path, q, err := fileset.URLParams("csvreader", "csv", u)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Path: path}
	cfg.NoHeader = !q.Bool("header", true)
	cfg.Delimiter = byteParam(q, "delimiter", ',')
	cfg.Quote = byteParam(q, "quote", '"')
	cfg.NullString = q.String("nullString", "")
	cfg.Encoding = q.String("encoding", "utf-8")
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
	cfg.MaxRecordBytes = q.Int("maxRecordBytes", 0)
	cfg.Compress = q.String("compress", "")
	if err := q.Done(); err != nil {
		return Config{}, err
	}
	if cfg.Path == "" {
		return Config{}, urlparam.Invalid(errors.New("csvreader: URL has no path (want csv:///path/to/file.csv)"))
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
	fileset.RegisterReader("csv", func(ctx context.Context, u *url.URL) (*Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
}

// Reader reads CSV files. It is safe for concurrent use.
type Reader struct {
	cfg    Config
	enc    encoding.Encoding // nil for UTF-8
	files  []string
	schema *arrow.Schema

	mu      sync.Mutex
	closed  bool
	cutters map[cutterKey]*cutter // the scans of split files
}

var _ ferry.Reader = (*Reader)(nil)

// Open checks cfg, lists the files and determines the schema (reading the
// first file's header and, without a Schema, a sample of it).
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if cfg.Delimiter == 0 {
		cfg.Delimiter = ','
	}
	if cfg.Quote == 0 {
		cfg.Quote = '"'
	}
	if cfg.Delimiter == cfg.Quote || cfg.Delimiter == '\n' || cfg.Delimiter == '\r' || cfg.Quote == '\n' || cfg.Quote == '\r' {
		return nil, fmt.Errorf("csvreader: delimiter %q and quote %q must differ and not be line breaks", cfg.Delimiter, cfg.Quote)
	}
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
	if cfg.MaxRecordBytes <= 0 {
		cfg.MaxRecordBytes = DefaultMaxRecordBytes
	}
	switch strings.ToLower(cfg.Compress) {
	case "", "auto":
		cfg.Compress = "auto"
	case "none", "gzip", "bzip2":
		cfg.Compress = strings.ToLower(cfg.Compress)
	case "gz":
		cfg.Compress = "gzip"
	case "bz2":
		cfg.Compress = "bzip2"
	default:
		return nil, fmt.Errorf("csvreader: compress %q not supported (want auto, none, gzip or bzip2)", cfg.Compress)
	}
	r := &Reader{cfg: cfg}
	switch strings.ToLower(strings.ReplaceAll(cfg.Encoding, "-", "")) {
	case "", "utf8":
	case "gbk":
		r.enc = simplifiedchinese.GBK
	case "gb18030":
		r.enc = simplifiedchinese.GB18030
	case "latin1", "iso88591":
		r.enc = charmap.ISO8859_1
	default:
		return nil, fmt.Errorf("csvreader: unknown encoding %q (want utf-8, gbk, gb18030 or latin1)", cfg.Encoding)
	}
	if cfg.Schema != nil {
		for _, f := range cfg.Schema.Fields() {
			if err := fileset.Supported(f.Type); err != nil {
				return nil, fmt.Errorf("csvreader: column %q: %w", f.Name, err)
			}
		}
	}
	files, err := fileset.Expand(cfg.Path, ".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz", ".csv.bz2", ".tsv.bz2", ".txt.bz2")
	if err != nil {
		return nil, fmt.Errorf("csvreader: %w", err)
	}
	r.files = files
	if r.schema, err = r.detectSchema(); err != nil {
		return nil, err
	}
	return r, nil
}

// Files returns the files the Reader reads.
func (r *Reader) Files() []string { return r.files }

// compression returns how path is compressed: "", "gzip" or "bzip2".
func (r *Reader) compression(path string) string {
	switch c := r.cfg.Compress; c {
	case "gzip", "bzip2":
		return c
	case "auto":
		switch strings.ToLower(filepath.Ext(path)) {
		case ".gz":
			return "gzip"
		case ".bz2":
			return "bzip2"
		}
	}
	return ""
}

// plain reports whether path is read byte for byte (so it can be split).
func (r *Reader) plain(path string) bool { return r.enc == nil && r.compression(path) == "" }

func (r *Reader) open(path string) (io.ReadCloser, io.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("csvreader: %w", err)
	}
	var rd io.Reader = f
	switch r.compression(path) {
	case "gzip":
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("csvreader: %s: gzip: %w", path, err)
		}
		rd = zr
	case "bzip2":
		rd = bzip2.NewReader(f)
	}
	if r.enc != nil {
		rd = transform.NewReader(rd, r.enc.NewDecoder())
	}
	return f, rd, nil
}

// header reads the first record of path; it returns nil for an empty file.
func (r *Reader) header(path string) ([]string, error) {
	f, rd, err := r.open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := newParser(skipBOM(rd), r.cfg.Delimiter, r.cfg.Quote, 0, 0, r.cfg.MaxRecordBytes)
	switch err := p.next(); {
	case err == io.EOF:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("csvreader: %s line %d: header: %w", path, p.startLine, err)
	}
	names := make([]string, len(p.ends))
	for i := range names {
		names[i] = string(p.field(i))
	}
	return names, nil
}

func (r *Reader) detectSchema() (*arrow.Schema, error) {
	path := r.files[0]
	var names []string
	if !r.cfg.NoHeader {
		h, err := r.header(path)
		if err != nil {
			return nil, err
		}
		if h == nil && r.cfg.Schema == nil {
			return nil, fmt.Errorf("csvreader: %s is empty: no header to name the columns (give columns=...)", path)
		}
		names = h
	}
	if r.cfg.Schema != nil {
		if names != nil {
			if _, err := mapColumns(path, names, r.cfg.Schema); err != nil {
				return nil, err
			}
		}
		return r.cfg.Schema, nil
	}
	return r.infer(path, names)
}

// mapColumns returns, for each schema field, the index of its column in a
// file with header names.
func mapColumns(path string, names []string, schema *arrow.Schema) ([]int, error) {
	idx := make(map[string]int, len(names))
	for i, n := range names {
		if _, dup := idx[n]; !dup {
			idx[n] = i
		}
	}
	m := make([]int, schema.NumFields())
	var missing []string
	for i, f := range schema.Fields() {
		j, ok := idx[f.Name]
		if !ok {
			missing = append(missing, f.Name)
		}
		m[i] = j
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("csvreader: %s: header has no column %s (header: %s)", path, strings.Join(missing, ", "), strings.Join(names, ","))
	}
	return m, nil
}

func skipBOM(rd io.Reader) io.Reader {
	return &bomSkipper{r: rd}
}

type bomSkipper struct {
	r    io.Reader
	done bool
	pend []byte
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if !b.done {
		b.done = true
		var head [3]byte
		n, err := io.ReadFull(b.r, head[:])
		if n == 3 && head == [3]byte{0xEF, 0xBB, 0xBF} {
			// skipped
		} else {
			b.pend = append(b.pend, head[:n]...)
		}
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, err
		}
	}
	if len(b.pend) > 0 {
		n := copy(p, b.pend)
		b.pend = b.pend[n:]
		return n, nil
	}
	return b.r.Read(p)
}

// splitSpec is the Spec of a split: the records starting in [Start, End)
// of Path (End < 0: to the end); Line is the number of lines before Start.
// With Every, Start and End are multiples of Every on the grid of the
// file's splits, and the split holds the records starting in
// [B(Start), B(End)), B(x) being the first cut of the file's scan at or
// after x (see cutter); Line is then unused.
type splitSpec struct {
	Path  string `json:"path"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Line  int64  `json:"line"`
	Every int64  `json:"every,omitempty"`
}

// Schema returns the schema of the batches.
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

// Splits returns one split per file, and several for a UTF-8 file larger
// than SplitBytes: the byte ranges of SplitBytes each, whose records are
// found by a scan of the file that runs while the splits are read (see
// splitSpec), so planning reads nothing.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	var out []ferry.Split
	for _, path := range r.files {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("csvreader: %w", err)
		}
		var specs []splitSpec
		if size := st.Size(); r.plain(path) && r.cfg.SplitBytes > 0 && size > r.cfg.SplitBytes {
			every := splitGrid(size, r.cfg.SplitBytes, hint)
			for start := int64(0); start < size; start += every {
				end := start + every
				if end >= size {
					end = -1
				}
				specs = append(specs, splitSpec{Path: path, Start: start, End: end, Every: every})
			}
		} else {
			specs = []splitSpec{{Path: path, Start: 0, End: -1}}
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

// Read returns the rows of split s.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	var spec splitSpec
	if err := json.Unmarshal(s.Spec, &spec); err != nil || spec.Path == "" {
		return nil, fmt.Errorf("csvreader: bad split %s", s.ID)
	}
	path := spec.Path
	var cuts *cutter
	if spec.Every > 0 {
		if spec.Start%spec.Every != 0 || spec.End%spec.Every != 0 && spec.End != -1 || spec.End >= 0 && spec.End <= spec.Start {
			return nil, fmt.Errorf("csvreader: bad split %s", s.ID)
		}
		var err error
		if cuts, err = r.cutter(path, spec.Every); err != nil {
			return nil, err
		}
		if spec.Start > 0 {
			b, err := cuts.bound(ctx, spec.Start)
			if err != nil {
				return nil, err
			}
			if b.pos < 0 { // no record starts in the split
				return r.emptyReader(ctx, path), nil
			}
			spec.Start, spec.Line = b.pos, b.line
		}
	}
	nfields := r.schema.NumFields()
	colmap := make([]int, nfields)
	for i := range colmap {
		colmap[i] = i
	}
	want := nfields
	if !r.cfg.NoHeader {
		names, err := r.header(path)
		if err != nil {
			return nil, err
		}
		if names == nil { // empty file
			return r.emptyReader(ctx, path), nil
		}
		if colmap, err = mapColumns(path, names, r.schema); err != nil {
			return nil, err
		}
		want = len(names)
	}
	f, rd, err := r.open(path)
	if err != nil {
		return nil, err
	}
	start := spec.Start
	if !r.plain(path) {
		rd = skipBOM(rd) // never split: offsets do not matter
	} else {
		if start == 0 {
			var head [3]byte
			if n, _ := f.(*os.File).ReadAt(head[:], 0); n == 3 && head == [3]byte{0xEF, 0xBB, 0xBF} {
				start = 3
			}
		}
		if _, err := f.(*os.File).Seek(start, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("csvreader: seek %s: %w", path, err)
		}
	}
	p := newParser(rd, r.cfg.Delimiter, r.cfg.Quote, start, spec.Line, r.cfg.MaxRecordBytes)
	skipHeader := !r.cfg.NoHeader && spec.Start == 0
	types := make([]arrow.DataType, nfields)
	textual := make([]bool, nfields)
	for i, f := range r.schema.Fields() {
		types[i] = f.Type
		switch f.Type.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
			textual[i] = true
		}
	}
	decs := make([]fileset.Cell, nfields)
	for i := range decs {
		decs[i] = fileset.NewCell(types[i])
	}
	null := []byte(r.cfg.NullString)
	end := spec.End         // the records start before end (< 0: to the end)
	endKnown := cuts == nil // else end is B(spec.End), once the parser passed spec.End
	// clean: the parser started at a cut and met no record it
	// resynchronises after, so its record starts are the scan's (hints
	// for the cutter); last is the start of the record it read last
	clean := cuts != nil
	last, first := bound{}, start
	firstFill := true
	fill := func(ctx context.Context, b *array.RecordBuilder, max int) (int, []dirty.RowError, bool, error) {
		var bad []dirty.RowError
		n := 0
		start := p.off
		ahead := firstFill
		firstFill = false
		defer func() {
			if clean && p.off > first {
				cuts.hint(p.off, p.line)
			}
		}()
		for n < max && (r.cfg.BatchBytes < 0 || p.off-start < r.cfg.BatchBytes) {
			if end >= 0 && p.off >= end && !endKnown {
				// B(spec.End) >= spec.End: only now is it needed; the scan
				// goes on from the last record start before it
				if clean && last.pos > first {
					cuts.hint(last.pos, last.line)
				}
				b, err := cuts.bound(ctx, end)
				if err != nil {
					return n, bad, true, err
				}
				end, endKnown = b.pos, true
			}
			if end >= 0 && p.off >= end {
				return n, bad, true, nil
			}
			last = bound{p.off, p.line}
			err := p.next()
			if err == io.EOF {
				return n, bad, true, nil
			}
			if skipHeader {
				skipHeader = false
				if err == nil {
					continue
				}
			}
			if err != nil {
				clean = false
				switch {
				case errors.Is(err, ErrUnterminatedQuote):
					bad = append(bad, dirty.RowError{Row: p.startLine, Value: string(p.raw), Err: fmt.Errorf("csvreader: %s line %d: %w (the line is skipped; reading goes on at the next one)", path, p.startLine, err)})
					continue
				case errors.Is(err, ErrAfterQuote):
					bad = append(bad, dirty.RowError{Row: p.startLine, Value: string(p.raw), Err: fmt.Errorf("csvreader: %s line %d: %w", path, p.startLine, err)})
					continue
				case errors.Is(err, ErrRecordTooLarge):
					bad = append(bad, dirty.RowError{Row: p.startLine, Value: string(p.raw), Err: fmt.Errorf("csvreader: %s line %d: %w: more than maxRecordBytes=%d bytes (the line is skipped, its value cut at the limit)", path, p.startLine, err, r.cfg.MaxRecordBytes)})
					continue
				}
				return n, bad, true, fmt.Errorf("csvreader: read %s near line %d: %w", path, p.line, err)
			}
			if want > 1 && p.blank() {
				continue // a blank line
			}
			if len(p.ends) != want {
				bad = append(bad, dirty.RowError{Row: p.startLine, Value: strings.TrimRight(string(p.raw), "\r\n"), Err: fmt.Errorf("csvreader: %s line %d: %w: got %d, want %d", path, p.startLine, ErrFieldCount, len(p.ends), want)})
				continue
			}
			ok := true
			for i := range decs {
				d := &decs[i]
				j := colmap[i]
				fb := p.field(j)
				if (!p.quoted[j] && string(fb) == string(null)) || (len(fb) == 0 && !textual[i]) {
					d.SetNull()
					continue
				}
				if err := d.ParseText(view(fb)); err != nil {
					name := r.schema.Field(i).Name
					bad = append(bad, dirty.RowError{Row: p.startLine, Column: name, Value: string(fb), Err: fmt.Errorf("csvreader: %s line %d column %s: %w", path, p.startLine, name, err)})
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for i := range decs {
				// the types are the schema's, so Append cannot fail here
				_ = decs[i].Append(b.Field(i))
			}
			n++
			if ahead && n == aheadRows && n < max {
				// the first batch: reserve the rest from its first rows
				rest := max - n
				if r.cfg.BatchBytes > 0 {
					if per := (p.off - start) / int64(n); per > 0 {
						rest = int(min(int64(rest), (r.cfg.BatchBytes-(p.off-start))/per+1))
					}
				}
				fileset.ReserveAhead(b, n, min(rest+rest/8, max-n))
			}
		}
		return n, bad, false, nil
	}
	return fileset.NewRecordReader(ctx, r.cfg.Allocator, r.schema, r.cfg.BatchRows, fill, f.Close, "csvreader: "+path), nil
}

// aheadRows is after how many rows of a split's first batch the rest of
// the batch is reserved (fileset.ReserveAhead).
const aheadRows = 1024

// splitGrid returns the size of the byte ranges a file of size bytes is
// cut into: at most most, and as many ranges as a multiple of the wanted
// parallelism hint, of equal size, so that the workers finish together.
func splitGrid(size, most int64, hint int) int64 {
	n := (size + most - 1) / most
	if h := int64(hint); h > 1 {
		n = (n + h - 1) / h * h
	}
	return max(1, (size+n-1)/n)
}

// emptyReader returns a reader of no rows.
func (r *Reader) emptyReader(ctx context.Context, path string) array.RecordReader {
	return fileset.NewRecordReader(ctx, r.cfg.Allocator, r.schema, r.cfg.BatchRows, func(context.Context, *array.RecordBuilder, int) (int, []dirty.RowError, bool, error) {
		return 0, nil, true, nil
	}, nil, "csvreader: "+path)
}

// Close ends the use of r: a later Read of a split file fails (files are
// opened per split, and the scans of split files run in Reads).
func (r *Reader) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return nil
}

var _ = time.UTC

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
