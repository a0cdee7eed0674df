package parquetreader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// DefaultBatchRows is the default number of rows per batch.
const DefaultBatchRows = 65536

// Config configures a Reader. Zero values mean defaults.
type Config struct {
	// Path is a file, a glob or a directory (every *.parquet file under it).
	Path string
	// Columns, when set, reads only these top-level columns, in this order.
	Columns []string
	// BatchRows is the most rows per batch; 0 means 65536.
	BatchRows int
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a parquet:// URL (see the package documentation).
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("parquetreader: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	if u.Scheme != "parquet" {
		return Config{}, fmt.Errorf("parquetreader: URL scheme %q is not parquet", u.Scheme)
	}
	q := urlparam.New("parquetreader", u)
	cfg := Config{Path: u.Host + u.Path}
	if u.Opaque != "" {
		cfg.Path = u.Opaque
	}
	cfg.Columns = q.List("columns")
	cfg.BatchRows = q.Int("batchRows", 0)
	if err := q.Done(); err != nil {
		return Config{}, err
	}
	if cfg.Path == "" {
		return Config{}, errors.New("parquetreader: URL has no path (want parquet:///path/to/file.parquet)")
	}
	return cfg, nil
}

func init() {
	ferry.DefaultURLMux().RegisterReader("parquet", ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	}))
}

// Reader reads Parquet files, one split per row group. It is safe for
// concurrent use.
type Reader struct {
	cfg     Config
	files   []string
	schema  *arrow.Schema // what Read returns
	cols    []int         // top-level columns read (nil: all)
	restore []arrow.DataType
}

var _ ferry.Reader = (*Reader)(nil)

// Open lists the files and reads the first file's schema.
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	files, err := fileset.Expand(cfg.Path, ".parquet", ".parq")
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %w", err)
	}
	r := &Reader{cfg: cfg, files: files}
	var raw *arrow.Schema
	err = r.withFile(files[0], func(fr *pqarrow.FileReader) error {
		s, err := fr.Schema()
		raw = s
		return err
	})
	if err != nil {
		return nil, err
	}
	fields := raw.Fields()
	if cfg.Columns != nil {
		fields = nil
		for _, c := range cfg.Columns {
			idx := raw.FieldIndices(c)
			if len(idx) == 0 {
				return nil, fmt.Errorf("parquetreader: %s has no column %q", files[0], c)
			}
			r.cols = append(r.cols, idx[0])
			fields = append(fields, raw.Field(idx[0]))
		}
	}
	out := make([]arrow.Field, len(fields))
	r.restore = make([]arrow.DataType, len(fields))
	for i, f := range fields {
		nf, changed, err := fileset.ParquetRestore(f)
		if err != nil {
			return nil, fmt.Errorf("parquetreader: %s: %w", files[0], err)
		}
		out[i] = nf
		if changed {
			r.restore[i] = nf.Type
		}
	}
	md := raw.Metadata()
	r.schema = arrow.NewSchema(out, &md)
	return r, nil
}

// withFile opens path, calls fn and closes it. A panic of the Parquet
// decoder on a corrupt file is returned as an error.
func (r *Reader) withFile(path string, fn func(fr *pqarrow.FileReader) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("parquetreader: %w", err)
	}
	defer f.Close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquetreader: %s: corrupt file: %v", path, p)
		}
	}()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(r.cfg.BatchRows)}, r.cfg.Allocator)
	if err != nil {
		return fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	if err := fn(fr); err != nil {
		return fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	return nil
}

// Files returns the files the Reader reads.
func (r *Reader) Files() []string { return r.files }

// Schema returns the schema of the batches: the Arrow schema stored in the
// first file (extension types, time zones and Ferry's own type markers
// restored).
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

type splitSpec struct {
	Path     string `json:"path"`
	RowGroup int    `json:"rowGroup"`
}

// Splits returns one split per row group of every file (one per file for
// a file without row groups).
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	var out []ferry.Split
	for _, path := range r.files {
		var n int
		if err := r.withFile(path, func(fr *pqarrow.FileReader) error {
			n = fr.ParquetReader().NumRowGroups()
			return nil
		}); err != nil {
			return nil, err
		}
		if n == 0 {
			spec, _ := json.Marshal(splitSpec{Path: path, RowGroup: -1})
			out = append(out, ferry.Split{ID: path, Spec: spec})
		}
		for g := 0; g < n; g++ {
			spec, _ := json.Marshal(splitSpec{Path: path, RowGroup: g})
			out = append(out, ferry.Split{ID: fmt.Sprintf("%s#rg%d", path, g), Spec: spec})
		}
	}
	return out, nil
}

// Read returns the rows of one row group.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (rr array.RecordReader, err error) {
	var spec splitSpec
	if err := json.Unmarshal(s.Spec, &spec); err != nil || spec.Path == "" {
		return nil, fmt.Errorf("parquetreader: bad split %s", s.ID)
	}
	path := spec.Path
	if spec.RowGroup < 0 {
		return &emptyReader{schema: r.schema}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %w", err)
	}
	var pf *file.Reader
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquetreader: %s: corrupt file: %v", path, p)
		}
		if err != nil {
			if pf != nil {
				pf.Close()
			}
			f.Close()
		}
	}()
	pf, err = file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(r.cfg.BatchRows)}, r.cfg.Allocator)
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	fs, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	cols := r.cols
	if cols == nil {
		if fs.NumFields() != r.schema.NumFields() {
			return nil, fmt.Errorf("parquetreader: %s has %d columns, %s has %d", path, fs.NumFields(), r.files[0], r.schema.NumFields())
		}
		cols = make([]int, fs.NumFields())
		for i := range cols {
			cols[i] = i
		}
	}
	// check the file's columns against the schema, by name and type
	leaves := []int{}
	for i, c := range cols {
		want := r.schema.Field(i)
		name := want.Name
		if r.cols != nil {
			idx := fs.FieldIndices(name)
			if len(idx) == 0 {
				return nil, fmt.Errorf("parquetreader: %s has no column %q", path, name)
			}
			c = idx[0]
		}
		got, _, err := fileset.ParquetRestore(fs.Field(c))
		if err != nil {
			return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
		}
		if got.Name != name || !arrow.TypeEqual(got.Type, want.Type) {
			return nil, fmt.Errorf("parquetreader: %s: column %d is %s %s, %s has %s %s", path, i, got.Name, got.Type, r.files[0], name, want.Type)
		}
		leaves = append(leaves, leafIndices(fr, c)...)
	}
	prr, err := fr.GetRecordReader(ctx, leaves, []int{spec.RowGroup})
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s row group %d: %w", path, spec.RowGroup, err)
	}
	out := &recordReader{r: r, ctx: ctx, prr: prr, path: path, close: func() { pf.Close(); f.Close() }}
	out.refs.Store(1)
	return out, nil
}

// leafIndices returns the Parquet leaf columns of top-level field c.
func leafIndices(fr *pqarrow.FileReader, c int) []int {
	var out []int
	var walk func(f pqarrow.SchemaField)
	walk = func(f pqarrow.SchemaField) {
		if f.ColIndex >= 0 && len(f.Children) == 0 {
			out = append(out, f.ColIndex)
		}
		for _, ch := range f.Children {
			walk(ch)
		}
	}
	walk(fr.Manifest.Fields[c])
	slices.Sort(out)
	return out
}

// Close does nothing: files are opened per split.
func (r *Reader) Close() error { return nil }

type recordReader struct {
	refs  atomic.Int64
	r     *Reader
	ctx   context.Context
	prr   pqarrow.RecordReader
	path  string
	close func()
	cur   arrow.RecordBatch
	err   error
	done  bool
}

func (rr *recordReader) Schema() *arrow.Schema { return rr.r.schema }

func (rr *recordReader) Next() (ok bool) {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if rr.done {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			rr.err = fmt.Errorf("parquetreader: %s: corrupt file: %v", rr.path, p)
			rr.done = true
			ok = false
		}
	}()
	if err := rr.ctx.Err(); err != nil {
		rr.err = fmt.Errorf("parquetreader: %s: %w", rr.path, err)
		rr.done = true
		return false
	}
	if !rr.prr.Next() {
		if err := rr.prr.Err(); err != nil && !errors.Is(err, context.Canceled) {
			rr.err = fmt.Errorf("parquetreader: %s: %w", rr.path, err)
		} else if err != nil {
			rr.err = fmt.Errorf("parquetreader: %s: %w", rr.path, err)
		}
		rr.done = true
		return false
	}
	b := rr.prr.RecordBatch()
	cols := make([]arrow.Array, b.NumCols())
	for i, c := range b.Columns() {
		if dt := rr.r.restore[i]; dt != nil {
			a, err := fileset.FromParquet(rr.r.cfg.Allocator, c, dt)
			if err != nil {
				for _, x := range cols[:i] {
					x.Release()
				}
				rr.err = fmt.Errorf("parquetreader: %s column %q: %w", rr.path, b.ColumnName(i), err)
				rr.done = true
				return false
			}
			cols[i] = a
			continue
		}
		c.Retain()
		cols[i] = c
	}
	rr.cur = array.NewRecordBatch(rr.r.schema, cols, b.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return true
}

func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }
func (rr *recordReader) Record() arrow.RecordBatch      { return rr.cur }
func (rr *recordReader) Err() error                     { return rr.err }
func (rr *recordReader) Retain()                        { rr.refs.Add(1) }
func (rr *recordReader) Release() {
	if rr.refs.Add(-1) != 0 {
		return
	}
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	rr.prr.Release()
	rr.close()
}

type emptyReader struct{ schema *arrow.Schema }

func (e *emptyReader) Schema() *arrow.Schema          { return e.schema }
func (e *emptyReader) Next() bool                     { return false }
func (e *emptyReader) RecordBatch() arrow.RecordBatch { return nil }
func (e *emptyReader) Record() arrow.RecordBatch      { return nil }
func (e *emptyReader) Err() error                     { return nil }
func (e *emptyReader) Retain()                        {}
func (e *emptyReader) Release()                       {}
