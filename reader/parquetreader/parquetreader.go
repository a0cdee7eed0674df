package parquetreader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
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
	// INT96 is the unit INT96 timestamps (Impala, Hive, old Spark) are read
	// in: "ns" (default: exact, and a value outside the years 1677..2262 is
	// a dirty row) or "us" (years up to ±290,000; digits below the
	// microsecond are dropped).
	INT96 string
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a parquet:// URL (see the package documentation).
func ParseConfig(urlstr string) (Config, error) {
	return fileset.ParseURL("parquetreader", urlstr, configFromURL)
}

func configFromURL(u *url.URL) (Config, error) {
	path, q, err := fileset.URLParams("parquetreader", "parquet", u)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Path: path}
	cfg.Columns = q.List("columns")
	cfg.BatchRows = q.Int("batchRows", 0)
	cfg.INT96 = q.String("int96", "")
	if err := q.Done(); err != nil {
		return Config{}, err
	}
	if cfg.Path == "" {
		return Config{}, urlparam.Invalid(errors.New("parquetreader: URL has no path (want parquet:///path/to/file.parquet)"))
	}
	return cfg, nil
}

func init() {
	fileset.RegisterReader("parquet", func(ctx context.Context, u *url.URL) (*Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
}

// Reader reads Parquet files, one split per row group. It is safe for
// concurrent use.
type Reader struct {
	cfg    Config
	unit   arrow.TimeUnit // of INT96 columns
	files  []string
	schema *arrow.Schema // what Read returns
	cols   []int         // top-level columns read (nil: all)
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
	r := &Reader{cfg: cfg, unit: arrow.Nanosecond}
	switch strings.ToLower(cfg.INT96) {
	case "", "ns":
	case "us":
		r.unit = arrow.Microsecond
	default:
		return nil, fmt.Errorf("parquetreader: int96 %q not supported (want ns or us)", cfg.INT96)
	}
	files, err := fileset.Expand(cfg.Path, ".parquet", ".parq")
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %w", err)
	}
	r.files = files
	var fields []arrow.Field
	var md arrow.Metadata
	err = r.withFile(files[0], func(pf *pqFile) error {
		raw, err := pf.fr.Schema()
		if err != nil {
			return err
		}
		md = raw.Metadata()
		idx := make([]int, raw.NumFields())
		for i := range idx {
			idx[i] = i
		}
		if cfg.Columns != nil {
			idx = nil
			for _, c := range cfg.Columns {
				ii := raw.FieldIndices(c)
				if len(ii) == 0 {
					return fmt.Errorf("no column %q", c)
				}
				r.cols = append(r.cols, ii[0])
				idx = append(idx, ii[0])
			}
		}
		for _, c := range idx {
			col, err := r.column(pf, raw, c)
			if err != nil {
				return err
			}
			fields = append(fields, col.field)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.schema = arrow.NewSchema(fields, &md)
	return r, nil
}

// pqFile is one open Parquet file.
type pqFile struct {
	f    *os.File
	pf   *file.Reader
	fr   *pqarrow.FileReader
	maps map[string]bool // top-level maps with optional keys, read as lists
}

func (p *pqFile) close() {
	p.pf.Close()
	p.f.Close()
}

// DefaultBatchBytes is the size a batch aims at: BatchRows is lowered for
// wide rows (from the file's uncompressed size per row) so that a batch
// holds about this many bytes, which bounds the memory of the batches in
// flight whatever the row width. (2 MiB rather than 4: Parquet→CSV with 2
// workers peaked at 201 instead of 246 MB RSS on 5M rows, at the same CPU.)
const DefaultBatchBytes = 2 << 20

// batchRows returns the rows per batch for a file: fewer than most when
// the file's rows are wide (never below 1024): at most most.
func batchRows(md *metadata.FileMetaData, most int) int64 {
	var rows, size int64
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		rows += rg.NumRows()
		size += rg.TotalByteSize()
	}
	n := int64(most)
	if rows > 0 && size > 0 {
		if per := size / rows; per > 0 {
			n = min(n, max(1024, DefaultBatchBytes/per))
		}
	}
	return n
}

// maxPreAlloc bounds what a batch's text or binary column may reserve up
// front (see preAllocOK).
const maxPreAlloc = 64 << 20

// preAllocOK tells whether pqarrow may reserve each batch's text and
// binary data from the column chunks' uncompressed sizes (rows of the
// batch × bytes per row of the chunk) instead of growing it by doubling
// and copying (Parquet→CSV: the reader's byte-array appends spent 3/4 of
// their time growing). Only when every such reservation stays under
// maxPreAlloc: the sizes come from the footer, which a corrupt file may
// overstate.
func preAllocOK(md *metadata.FileMetaData, batch int64) bool {
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		rows := rg.NumRows()
		if rows <= 0 {
			continue
		}
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return false
			}
			if cc.Type() != parquet.Types.ByteArray {
				continue
			}
			size := cc.TotalUncompressedSize()
			if size < 0 || size/rows > maxPreAlloc/max(batch, 1) {
				return false
			}
		}
	}
	return true
}

// openFile opens path for reading through pqarrow, with the schema fixes
// other writers' files need. A panic of the decoder on a corrupt file is
// returned as an error.
func (r *Reader) openFile(path string) (p *pqFile, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %w", err)
	}
	var pf *file.Reader
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("parquetreader: %s: corrupt file: %v", path, x)
		}
		if err != nil {
			if pf != nil {
				pf.Close()
			}
			f.Close()
		}
	}()
	// a buffered stream reads each column chunk a page buffer at a time
	// instead of loading whole column chunks of the row group into memory
	// (from Go's allocator, as without the option: arrow-go does not
	// release the stream's buffers to the allocator; the GC frees them)
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	props.BufferedStreamEnabled = true
	props.BufferSize = 1 << 20
	pf, err = file.NewParquetReader(f, file.WithReadProps(props))
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	sc, fixed := optionalKeyMaps(pf)
	pf.MetaData().Schema = sc
	batch := batchRows(pf.MetaData(), r.cfg.BatchRows)
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batch, PreAllocBinaryData: preAllocOK(pf.MetaData(), batch)}, r.cfg.Allocator)
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	p = &pqFile{f: f, pf: pf, fr: fr, maps: map[string]bool{}}
	for _, path := range fixed {
		if strings.Count(path, ".") == 1 {
			p.maps[path[1:]] = true
		}
	}
	return p, nil
}

// withFile opens path, calls fn and closes it.
func (r *Reader) withFile(path string, fn func(p *pqFile) error) (err error) {
	p, err := r.openFile(path)
	if err != nil {
		return err
	}
	defer p.close()
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("parquetreader: %s: corrupt file: %v", path, x)
		}
	}()
	if err := fn(p); err != nil {
		return fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	return nil
}

// How a column read by pqarrow becomes the column Read returns.
const (
	convNone    = iota
	convRestore // a type Ferry's writer stored as another (fileset.ParquetRestore)
	convMap     // a map with optional keys, read as struct<key_value: list<struct<key,value>>>
	convInt96   // a flat INT96 column: read by readInt96, not by pqarrow
)

type column struct {
	field arrow.Field
	conv  int
	leaf  int // of an INT96 column
}

// column returns what top-level column c of p (whose Arrow schema is raw)
// reads as.
func (r *Reader) column(p *pqFile, raw *arrow.Schema, c int) (column, error) {
	f := raw.Field(c)
	sf := p.fr.Manifest.Fields[c]
	if len(sf.Children) == 0 && sf.ColIndex >= 0 && p.pf.MetaData().Schema.Column(sf.ColIndex).PhysicalType() == parquet.Types.Int96 {
		nf, _, err := fileset.ParquetRestore(f)
		if err != nil {
			return column{}, err
		}
		nf.Type = &arrow.TimestampType{Unit: r.unit}
		return column{field: nf, conv: convInt96, leaf: sf.ColIndex}, nil
	}
	if p.maps[f.Name] {
		mt, err := mapOfList(f.Type)
		if err != nil {
			return column{}, fmt.Errorf("column %q: %w", f.Name, err)
		}
		nf, _, err := fileset.ParquetRestore(arrow.Field{Name: f.Name, Type: mt, Nullable: f.Nullable, Metadata: f.Metadata})
		return column{field: nf, conv: convMap}, err
	}
	nf, changed, err := fileset.ParquetRestore(f)
	if err != nil {
		return column{}, err
	}
	if changed {
		return column{field: nf, conv: convRestore}, nil
	}
	return column{field: nf}, nil
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
		if err := r.withFile(path, func(p *pqFile) error {
			n = p.pf.NumRowGroups()
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

// Read returns the rows of one row group. An INT96 value outside the range
// of the INT96 unit is a dirty row (the reader is a ferry.DirtyReporter).
func (r *Reader) Read(ctx context.Context, s ferry.Split) (rr array.RecordReader, err error) {
	var spec splitSpec
	if err := json.Unmarshal(s.Spec, &spec); err != nil || spec.Path == "" {
		return nil, fmt.Errorf("parquetreader: bad split %s", s.ID)
	}
	path := spec.Path
	if spec.RowGroup < 0 {
		return &emptyReader{schema: r.schema}, nil
	}
	p, err := r.openFile(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("parquetreader: %s: corrupt file: %v", path, x)
		}
		if err != nil {
			p.close()
		}
	}()
	if spec.RowGroup >= p.pf.NumRowGroups() {
		return nil, fmt.Errorf("parquetreader: %s has no row group %d", path, spec.RowGroup)
	}
	fs, err := p.fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
	}
	idx := r.cols
	if idx == nil {
		if fs.NumFields() != r.schema.NumFields() {
			return nil, fmt.Errorf("parquetreader: %s has %d columns, %s has %d", path, fs.NumFields(), r.files[0], r.schema.NumFields())
		}
		idx = make([]int, fs.NumFields())
		for i := range idx {
			idx[i] = i
		}
	}
	// check the file's columns against the schema, by name and type
	out := &recordReader{r: r, ctx: ctx, path: path, file: p, group: spec.RowGroup}
	var leaves []int
	for i, c := range idx {
		want := r.schema.Field(i)
		if r.cols != nil {
			ii := fs.FieldIndices(want.Name)
			if len(ii) == 0 {
				return nil, fmt.Errorf("parquetreader: %s has no column %q", path, want.Name)
			}
			c = ii[0]
		}
		col, err := r.column(p, fs, c)
		if err != nil {
			return nil, fmt.Errorf("parquetreader: %s: %w", path, err)
		}
		if col.field.Name != want.Name || !arrow.TypeEqual(col.field.Type, want.Type) {
			return nil, fmt.Errorf("parquetreader: %s: column %d is %s %s, %s has %s %s", path, i, col.field.Name, col.field.Type, r.files[0], want.Name, want.Type)
		}
		out.cols = append(out.cols, col)
		if col.conv == convInt96 {
			cr, err := p.pf.RowGroup(spec.RowGroup).Column(col.leaf)
			if err != nil {
				return nil, fmt.Errorf("parquetreader: %s row group %d: %w", path, spec.RowGroup, err)
			}
			out.int96 = append(out.int96, cr.(*file.Int96ColumnChunkReader))
			continue
		}
		out.pqPos = append(out.pqPos, i)
		leaves = append(leaves, leafIndices(p.fr, c)...)
	}
	out.rows = p.pf.MetaData().RowGroup(spec.RowGroup).NumRows()
	for g := 0; g < spec.RowGroup; g++ {
		out.firstRow += p.pf.MetaData().RowGroup(g).NumRows()
	}
	if len(leaves) > 0 {
		prr, err := p.fr.GetRecordReader(ctx, leaves, []int{spec.RowGroup})
		if err != nil {
			return nil, fmt.Errorf("parquetreader: %s row group %d: %w", path, spec.RowGroup, err)
		}
		out.prr = prr
	}
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
	refs     atomic.Int64
	r        *Reader
	ctx      context.Context
	prr      pqarrow.RecordReader // nil when every column is INT96
	path     string
	file     *pqFile
	group    int
	cols     []column
	pqPos    []int // the positions of prr's columns in cols
	int96    []*file.Int96ColumnChunkReader
	rows     int64 // of the row group
	firstRow int64 // rows of the file before the row group
	read     int64
	cur      arrow.RecordBatch
	dirty    []dirty.RowError
	err      error
	done     bool
}

func (rr *recordReader) Schema() *arrow.Schema { return rr.r.schema }

func (rr *recordReader) fail(err error) bool {
	rr.err = fmt.Errorf("parquetreader: %s: %w", rr.path, err)
	rr.done = true
	return false
}

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
			ok = rr.fail(fmt.Errorf("corrupt file: %v", p))
		}
	}()
	if err := rr.ctx.Err(); err != nil {
		return rr.fail(err)
	}
	var b arrow.RecordBatch
	n := min(int64(rr.r.cfg.BatchRows), rr.rows-rr.read)
	if rr.prr != nil {
		if !rr.prr.Next() {
			if err := rr.prr.Err(); err != nil {
				return rr.fail(err)
			}
			rr.done = true
			return false
		}
		b = rr.prr.RecordBatch()
		n = b.NumRows()
	} else if n <= 0 {
		rr.done = true
		return false
	}
	mem := rr.r.cfg.Allocator
	cols := make([]arrow.Array, len(rr.cols))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	var bad []int
	for k, i := range rr.pqPos {
		c := b.Column(k)
		var err error
		switch rr.cols[i].conv {
		case convRestore:
			c, err = fileset.FromParquet(mem, c, rr.cols[i].field.Type)
		case convMap:
			c, err = mapFromList(c, rr.cols[i].field.Type.(*arrow.MapType))
		default:
			c.Retain()
		}
		if err != nil {
			release()
			return rr.fail(fmt.Errorf("column %q: %w", rr.cols[i].field.Name, err))
		}
		cols[i] = c
	}
	j := 0
	for i, col := range rr.cols {
		if col.conv != convInt96 {
			continue
		}
		a, badRows, err := readInt96(mem, rr.int96[j], n, rr.r.unit, col.field.Type)
		j++
		if err != nil {
			release()
			return rr.fail(fmt.Errorf("column %q: %w", col.field.Name, err))
		}
		cols[i] = a
		for _, k := range badRows {
			row := rr.firstRow + rr.read + int64(k.row) + 1
			rr.dirty = append(rr.dirty, dirty.RowError{Row: row, Column: col.field.Name, Value: k.text,
				Err: fmt.Errorf("parquetreader: %s row %d column %s: INT96 timestamp %s is outside %s (read with int96=us for ±290,000 years)", rr.path, row, col.field.Name, k.text, col.field.Type)})
			bad = append(bad, k.row)
		}
	}
	rec := array.NewRecordBatch(rr.r.schema, cols, n)
	release()
	rr.read += n
	if len(bad) > 0 {
		kept, err := dropRows(mem, rec, bad)
		rec.Release()
		if err != nil {
			return rr.fail(err)
		}
		if kept.NumRows() == 0 {
			kept.Release()
			return rr.Next()
		}
		rec = kept
	}
	rr.cur = rec
	return true
}

// TakeDirty returns the rows dropped since the last call.
func (rr *recordReader) TakeDirty() []dirty.RowError {
	d := rr.dirty
	rr.dirty = nil
	return d
}

var _ ferry.DirtyReporter = (*recordReader)(nil)

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
	if rr.prr != nil {
		rr.prr.Release()
	}
	rr.file.close()
}

type emptyReader struct{ schema *arrow.Schema }

func (e *emptyReader) Schema() *arrow.Schema          { return e.schema }
func (e *emptyReader) Next() bool                     { return false }
func (e *emptyReader) RecordBatch() arrow.RecordBatch { return nil }
func (e *emptyReader) Record() arrow.RecordBatch      { return nil }
func (e *emptyReader) Err() error                     { return nil }
func (e *emptyReader) Retain()                        {}
func (e *emptyReader) Release()                       {}
