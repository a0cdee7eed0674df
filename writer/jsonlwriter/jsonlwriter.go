package jsonlwriter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// Config configures a Writer. Zero values mean defaults.
type Config struct {
	// Path is the output file, or a directory (ending with "/" or
	// existing) to write part-*.jsonl files into.
	Path string
	// Mode is ferry.ModeInsert (default: never replaces a file) or
	// ferry.ModeOverwrite (replaces the old output at Commit).
	Mode ferry.WriteMode
	// OmitNulls leaves NULL values out of the objects instead of writing null.
	OmitNulls bool
	// MaxFileRows and MaxFileBytes roll to a new file after that many rows
	// or bytes; 0 means no limit.
	MaxFileRows  int64
	MaxFileBytes int64
}

// ParseConfig parses a jsonl:// URL (see the package documentation).
func ParseConfig(urlstr string) (Config, error) {
	return fileset.ParseURL("jsonlwriter", urlstr, configFromURL)
}

func configFromURL(u *url.URL) (Config, error) {
	path, q, err := fileset.URLParams("jsonlwriter", "jsonl", u)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Path: path}
	cfg.Mode, cfg.MaxFileRows, cfg.MaxFileBytes = fileset.OutputParams(q)
	cfg.OmitNulls = q.Bool("omitNulls", false)
	if err := q.Done(); err != nil {
		return Config{}, err
	}
	if cfg.Path == "" {
		return Config{}, urlparam.Invalid(errors.New("jsonlwriter: URL has no path (want jsonl:///path/to/out.jsonl)"))
	}
	return cfg, nil
}

func init() {
	fileset.RegisterWriter("jsonl", func(ctx context.Context, u *url.URL) (*Writer, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
}

// Writer writes JSON Lines files. The embedded fileset.Output gives it the
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
	w := &Writer{cfg: cfg}
	out, err := fileset.NewOutput(fileset.OutputConfig{
		Pkg: "jsonlwriter", Path: cfg.Path, Ext: ".jsonl", Mode: cfg.Mode,
		MaxFileRows: cfg.MaxFileRows, MaxFileBytes: cfg.MaxFileBytes,
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
			return fmt.Errorf("jsonlwriter: column %q: %w", f.Name, err)
		}
	}
	return nil
}

type encoder struct {
	w    *Writer
	out  io.Writer
	keys [][]byte // `"name":`
	buf  []byte
}

func (w *Writer) newEncoder(out io.Writer, schema *arrow.Schema) (fileset.Encoder, error) {
	e := &encoder{w: w, out: out}
	for _, f := range schema.Fields() {
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		e.keys = append(e.keys, append(k, ':'))
	}
	return e, nil
}

func (e *encoder) Write(b arrow.RecordBatch) error {
	cols := b.Columns()
	n := int(b.NumRows())
	for i := 0; i < n; i++ {
		e.buf = append(e.buf, '{')
		first := true
		for c, col := range cols {
			if e.w.cfg.OmitNulls && fileset.IsNull(col, i) {
				continue
			}
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			e.buf = append(e.buf, e.keys[c]...)
			e.buf = fileset.AppendJSON(e.buf, col, i)
		}
		e.buf = append(e.buf, '}', '\n')
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
