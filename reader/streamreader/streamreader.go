// Package streamreader is DataX's streamreader in Ferry: a source of
// generated rows, for trying a job out and for load tests.
//
// # URL
//
//	stream:///?column=[{"value":"DataX","type":"string"},{"random":"1,100","type":"long"}]&sliceRecordCount=10&slices=3
//
// Parameters:
//
//	column            DataX's column list (JSON): each entry has a type
//	                  (string, long, double, bool, date, bytes) and one of
//	                  value (a constant), random ("min,max": a number in
//	                  the range, or for string a text of that many
//	                  letters) or incr ("start[,step]", long only); an
//	                  entry with none of them is NULL. dateFormat is the
//	                  Java pattern of a date value (default
//	                  yyyy-MM-dd HH:mm:ss).
//	sliceRecordCount  rows per slice (DataX: per channel).
//	slices            number of slices (splits); default the Pipeline's
//	                  hint, so the total is sliceRecordCount × slices.
//	batchRows         rows per batch; default 4096.
//
// The columns are named c1, c2, ... Random values are generated from a seed
// fixed per slice, so a run is repeatable.
package streamreader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

func init() {
	ferry.DefaultURLMux().RegisterReader("stream", urlreg.Reader(params, ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(cfg)
	})))
}

// Column is one generated column, in DataX's form.
type Column struct {
	// Type is string, long, double, bool (boolean), date or bytes.
	Type string `json:"type"`
	// Value is a constant (a JSON string, number or boolean).
	Value any `json:"value,omitempty"`
	// Random is "min,max".
	Random string `json:"random,omitempty"`
	// Incr is "start[,step]" (long only).
	Incr string `json:"incr,omitempty"`
	// DateFormat is the Java pattern of a date Value.
	DateFormat string `json:"dateFormat,omitempty"`
}

// Config configures a Reader. Columns and SliceRecordCount are required.
type Config struct {
	Columns          []Column
	SliceRecordCount int64
	// Slices is the number of splits; 0 means the Pipeline's hint.
	Slices int
	// BatchRows is the most rows per batch; 0 means 4096.
	BatchRows int
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a stream:// reader URL.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("streamreader: malformed URL %q", urlstr)
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	p := params.Values("streamreader", u)
	cfg := Config{
		SliceRecordCount: p.Int64("sliceRecordCount", -1),
		Slices:           p.Int("slices", 0),
		BatchRows:        p.Int("batchRows", 0),
	}
	col := p.String("column", "")
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	if col == "" {
		return Config{}, errors.New("streamreader: column is required (a JSON list of {type, value|random|incr})")
	}
	dec := json.NewDecoder(strings.NewReader(col))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&cfg.Columns); err != nil {
		return Config{}, fmt.Errorf("streamreader: column: %w", err)
	}
	return cfg, nil
}

type gen struct {
	field arrow.Field
	fill  func(b array.Builder, rng *rand.Rand, row int64)
}

// Reader generates the configured rows.
type Reader struct {
	cfg    Config
	schema *arrow.Schema
	gens   []gen
	mem    memory.Allocator
}

var _ ferry.Reader = (*Reader)(nil)

// New checks cfg and returns a Reader.
func New(cfg Config) (*Reader, error) {
	if len(cfg.Columns) == 0 {
		return nil, errors.New("streamreader: no columns")
	}
	if cfg.SliceRecordCount < 0 {
		return nil, errors.New("streamreader: sliceRecordCount is required (rows per slice, ≥ 0)")
	}
	if cfg.Slices < 0 || cfg.BatchRows < 0 {
		return nil, errors.New("streamreader: slices and batchRows must not be negative")
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = 4096
	}
	r := &Reader{cfg: cfg, mem: cfg.Allocator}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	fields := make([]arrow.Field, len(cfg.Columns))
	for i, c := range cfg.Columns {
		g, err := newGen(c)
		if err != nil {
			return nil, fmt.Errorf("streamreader: column %d: %w", i, err)
		}
		g.field.Name = "c" + strconv.Itoa(i+1)
		fields[i] = g.field
		r.gens = append(r.gens, g)
	}
	r.schema = arrow.NewSchema(fields, nil)
	return r, nil
}

func valueString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case int:
		return strconv.Itoa(t), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

func minMax(s string) (string, string, error) {
	lo, hi, ok := strings.Cut(s, ",")
	if !ok {
		return "", "", fmt.Errorf("random %q: want \"min,max\"", s)
	}
	return strings.TrimSpace(lo), strings.TrimSpace(hi), nil
}

func newGen(c Column) (gen, error) {
	set := 0
	if c.Value != nil {
		set++
	}
	if c.Random != "" {
		set++
	}
	if c.Incr != "" {
		set++
	}
	if set > 1 {
		return gen{}, errors.New("set one of value, random and incr")
	}
	val, _ := valueString(c.Value)
	if c.Value != nil {
		if _, ok := valueString(c.Value); !ok {
			return gen{}, fmt.Errorf("value %v is not a string, number or boolean", c.Value)
		}
	}
	null := set == 0
	switch strings.ToLower(c.Type) {
	case "string", "":
		f := arrow.Field{Type: arrow.BinaryTypes.String, Nullable: true}
		switch {
		case c.Random != "":
			lo, hi, err := minMax(c.Random)
			if err != nil {
				return gen{}, err
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || a < 0 || a > b {
				return gen{}, fmt.Errorf("random %q: want two lengths min ≤ max", c.Random)
			}
			return gen{f, func(bl array.Builder, rng *rand.Rand, _ int64) {
				n := a + rng.IntN(b-a+1)
				buf := make([]byte, n)
				for i := range buf {
					buf[i] = byte('a' + rng.IntN(26))
				}
				bl.(*array.StringBuilder).Append(string(buf))
			}}, nil
		case c.Incr != "":
			return gen{}, errors.New("incr is for long columns")
		}
		return gen{f, func(bl array.Builder, _ *rand.Rand, _ int64) {
			if null {
				bl.AppendNull()
				return
			}
			bl.(*array.StringBuilder).Append(val)
		}}, nil
	case "long", "int":
		f := arrow.Field{Type: arrow.PrimitiveTypes.Int64, Nullable: true}
		switch {
		case c.Random != "":
			lo, hi, err := minMax(c.Random)
			if err != nil {
				return gen{}, err
			}
			a, err1 := strconv.ParseInt(lo, 10, 64)
			b, err2 := strconv.ParseInt(hi, 10, 64)
			if err1 != nil || err2 != nil || a > b || b-a < 0 {
				return gen{}, fmt.Errorf("random %q: want two integers min ≤ max", c.Random)
			}
			return gen{f, func(bl array.Builder, rng *rand.Rand, _ int64) {
				bl.(*array.Int64Builder).Append(a + rng.Int64N(b-a+1))
			}}, nil
		case c.Incr != "":
			start, step := c.Incr, "1"
			if s, st, ok := strings.Cut(c.Incr, ","); ok {
				start, step = strings.TrimSpace(s), strings.TrimSpace(st)
			}
			a, err1 := strconv.ParseInt(start, 10, 64)
			d, err2 := strconv.ParseInt(step, 10, 64)
			if err1 != nil || err2 != nil {
				return gen{}, fmt.Errorf("incr %q: want \"start[,step]\" integers", c.Incr)
			}
			return gen{f, func(bl array.Builder, _ *rand.Rand, row int64) {
				bl.(*array.Int64Builder).Append(a + row*d)
			}}, nil
		}
		var v int64
		if !null {
			var err error
			if v, err = strconv.ParseInt(strings.TrimSpace(val), 10, 64); err != nil {
				return gen{}, fmt.Errorf("value %q is not a long", val)
			}
		}
		return gen{f, func(bl array.Builder, _ *rand.Rand, _ int64) {
			if null {
				bl.AppendNull()
				return
			}
			bl.(*array.Int64Builder).Append(v)
		}}, nil
	case "double":
		f := arrow.Field{Type: arrow.PrimitiveTypes.Float64, Nullable: true}
		if c.Incr != "" {
			return gen{}, errors.New("incr is for long columns")
		}
		if c.Random != "" {
			lo, hi, err := minMax(c.Random)
			if err != nil {
				return gen{}, err
			}
			a, err1 := strconv.ParseFloat(lo, 64)
			b, err2 := strconv.ParseFloat(hi, 64)
			if err1 != nil || err2 != nil || a > b {
				return gen{}, fmt.Errorf("random %q: want two numbers min ≤ max", c.Random)
			}
			return gen{f, func(bl array.Builder, rng *rand.Rand, _ int64) {
				bl.(*array.Float64Builder).Append(a + rng.Float64()*(b-a))
			}}, nil
		}
		var v float64
		if !null {
			var err error
			if v, err = strconv.ParseFloat(strings.TrimSpace(val), 64); err != nil {
				return gen{}, fmt.Errorf("value %q is not a double", val)
			}
		}
		return gen{f, func(bl array.Builder, _ *rand.Rand, _ int64) {
			if null {
				bl.AppendNull()
				return
			}
			bl.(*array.Float64Builder).Append(v)
		}}, nil
	case "bool", "boolean":
		f := arrow.Field{Type: arrow.FixedWidthTypes.Boolean, Nullable: true}
		if c.Random != "" || c.Incr != "" {
			return gen{}, errors.New("bool columns take a value")
		}
		var v bool
		if !null {
			var err error
			if v, err = strconv.ParseBool(strings.ToLower(strings.TrimSpace(val))); err != nil {
				return gen{}, fmt.Errorf("value %q is not a bool", val)
			}
		}
		return gen{f, func(bl array.Builder, _ *rand.Rand, _ int64) {
			if null {
				bl.AppendNull()
				return
			}
			bl.(*array.BooleanBuilder).Append(v)
		}}, nil
	case "date":
		f := arrow.Field{Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true}
		if c.Random != "" || c.Incr != "" {
			return gen{}, errors.New("date columns take a value")
		}
		var v arrow.Timestamp
		if !null {
			layout := "2006-01-02 15:04:05"
			if c.DateFormat != "" {
				var err error
				if layout, err = javaLayout(c.DateFormat); err != nil {
					return gen{}, err
				}
			}
			t, err := time.ParseInLocation(layout, strings.TrimSpace(val), time.UTC)
			if err != nil {
				return gen{}, fmt.Errorf("value %q does not match the date format", val)
			}
			v = arrow.Timestamp(t.UnixMicro())
		}
		return gen{f, func(bl array.Builder, _ *rand.Rand, _ int64) {
			if null {
				bl.AppendNull()
				return
			}
			bl.(*array.TimestampBuilder).Append(v)
		}}, nil
	case "bytes":
		f := arrow.Field{Type: arrow.BinaryTypes.Binary, Nullable: true}
		if c.Random != "" || c.Incr != "" {
			return gen{}, errors.New("bytes columns take a value")
		}
		return gen{f, func(bl array.Builder, _ *rand.Rand, _ int64) {
			if null {
				bl.AppendNull()
				return
			}
			bl.(*array.BinaryBuilder).Append([]byte(val))
		}}, nil
	}
	return gen{}, fmt.Errorf("type %q is not string, long, double, bool, date or bytes", c.Type)
}

// javaLayout supports the common date pattern letters (yyyy MM dd HH mm ss).
func javaLayout(p string) (string, error) {
	r := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05", "SSS", "000")
	out := r.Replace(p)
	if strings.ContainsAny(strings.NewReplacer("Jan", "", "Mon", "").Replace(out), "yMdHmsS") {
		return "", fmt.Errorf("dateFormat %q: only yyyy MM dd HH mm ss SSS are supported", p)
	}
	return out, nil
}

// Schema returns the columns c1..cN.
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

type splitSpec struct {
	Slice int `json:"slice"`
}

// Splits returns one split per slice.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	n := r.cfg.Slices
	if n == 0 {
		n = max(1, hint)
	}
	out := make([]ferry.Split, n)
	for i := range out {
		spec, _ := json.Marshal(splitSpec{Slice: i})
		out[i] = ferry.Split{ID: "slice" + strconv.Itoa(i), Spec: spec}
	}
	return out, nil
}

// Read generates one slice's rows.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	var spec splitSpec
	if err := json.Unmarshal(s.Spec, &spec); err != nil {
		return nil, fmt.Errorf("streamreader: split %s: %w", s.ID, err)
	}
	return &recordReader{r: r, ctx: ctx, rng: rand.New(rand.NewPCG(uint64(spec.Slice), 0x5eed)), refs: 1}, nil
}

// Close does nothing.
func (r *Reader) Close() error { return nil }

type recordReader struct {
	r    *Reader
	ctx  context.Context
	rng  *rand.Rand
	row  int64
	cur  arrow.RecordBatch
	err  error
	refs int64
}

func (rr *recordReader) Retain()                        { rr.refs++ }
func (rr *recordReader) Schema() *arrow.Schema          { return rr.r.schema }
func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }
func (rr *recordReader) Record() arrow.RecordBatch      { return rr.cur }
func (rr *recordReader) Err() error                     { return rr.err }

func (rr *recordReader) Release() {
	rr.refs--
	if rr.refs == 0 && rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
}

func (rr *recordReader) Next() bool {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if rr.err != nil || rr.row >= rr.r.cfg.SliceRecordCount {
		return false
	}
	if err := rr.ctx.Err(); err != nil {
		rr.err = fmt.Errorf("streamreader: %w", err)
		return false
	}
	n := min(int64(rr.r.cfg.BatchRows), rr.r.cfg.SliceRecordCount-rr.row)
	b := array.NewRecordBuilder(rr.r.mem, rr.r.schema)
	defer b.Release()
	for k, g := range rr.r.gens {
		fb := b.Field(k)
		fb.Reserve(int(n))
		for i := int64(0); i < n; i++ {
			g.fill(fb, rr.rng, rr.row+i)
		}
	}
	rr.row += n
	rr.cur = b.NewRecordBatch()
	return true
}
