package fileset

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// Encoder writes batches of one format into one file.
type Encoder interface {
	// Write encodes b; it must not keep b.
	Write(b arrow.RecordBatch) error
	// Close writes what the format needs at the end (a footer). It does not
	// close the underlying writer.
	Close() error
}

// NewEncoderFunc starts a file of schema on w.
type NewEncoderFunc func(w io.Writer, schema *arrow.Schema) (Encoder, error)

// OutputConfig describes the files of a file writer.
type OutputConfig struct {
	// Pkg prefixes errors ("csvwriter").
	Pkg string
	// Path is the output file, or a directory when it ends with a slash or
	// is an existing directory.
	Path string
	// Ext is the extension of generated names, with the dot (".csv"); a
	// file Path's own extension takes its place.
	Ext string
	// Mode is ferry.ModeInsert (the default) or ferry.ModeOverwrite.
	Mode ferry.WriteMode
	// MaxFileRows and MaxFileBytes, when positive, start a new file after
	// that many rows or (about) that many bytes.
	MaxFileRows  int64
	MaxFileBytes int64
	// NewEncoder starts one file.
	NewEncoder NewEncoderFunc
}

// Output manages the files of one run of a file writer: every file is
// written under a hidden temporary name next to its final name; Commit
// renames them into place and Abort removes them.
//
// Names: with a file Path, no rolling and one worker, the output is Path
// itself; otherwise files are named <base>-<worker>-<seq><ext> beside it. In
// a directory, files are named part-<run>-<worker>-<seq><ext>.
//
// ModeInsert never replaces an existing file: Prepare fails when Path
// exists and Commit fails (before renaming anything) when a generated name
// exists. In a directory, insert adds new files. ModeOverwrite replaces the
// old output at Commit: Path and the <base>-N-N<ext> files (or, in a
// directory, the part-*<ext> files) of earlier runs are removed then.
type Output struct {
	cfg    OutputConfig
	dir    string
	base   string // file mode: Path without Ext
	isDir  bool
	run    string
	schema *arrow.Schema

	mu      sync.Mutex
	workers int
	files   []*outFile
	done    bool
}

type outFile struct {
	worker, seq int
	tmp         string
}

// NewOutput checks cfg and returns an Output.
func NewOutput(cfg OutputConfig) (*Output, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("%s: no output path", cfg.Pkg)
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ferry.ModeInsert
	case ferry.ModeInsert, ferry.ModeOverwrite:
	default:
		return nil, fmt.Errorf("%s: write mode %q not supported (want insert or overwrite)", cfg.Pkg, cfg.Mode)
	}
	o := &Output{cfg: cfg}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	o.run = time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(rnd[:])
	st, err := os.Stat(cfg.Path)
	if strings.HasSuffix(cfg.Path, "/") || strings.HasSuffix(cfg.Path, string(os.PathSeparator)) || (err == nil && st.IsDir()) {
		o.isDir = true
		o.dir = filepath.Clean(cfg.Path)
	} else {
		o.dir = filepath.Dir(cfg.Path)
		if ext := filepath.Ext(cfg.Path); ext != "" {
			o.cfg.Ext = ext // out.tsv rolls to out-0-0.tsv
		}
		o.base = strings.TrimSuffix(cfg.Path, o.cfg.Ext)
	}
	return o, nil
}

// Prepare creates the output directory and, in insert mode, checks that
// the output file does not exist yet.
func (o *Output) Prepare(schema *arrow.Schema) error {
	o.schema = schema
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("%s: create directory %s: %w", o.cfg.Pkg, o.dir, err)
	}
	if !o.isDir && o.cfg.Mode == ferry.ModeInsert {
		if _, err := os.Stat(o.cfg.Path); err == nil {
			return fmt.Errorf("%s: %s already exists (insert mode never replaces a file; use mode=overwrite, or a directory path to add files)", o.cfg.Pkg, o.cfg.Path)
		}
	}
	return nil
}

func (o *Output) rolling() bool { return o.cfg.MaxFileRows > 0 || o.cfg.MaxFileBytes > 0 }

// finalName returns where f goes at Commit.
func (o *Output) finalName(f *outFile, single bool) string {
	if o.isDir {
		return filepath.Join(o.dir, fmt.Sprintf("part-%s-%d-%d%s", o.run, f.worker, f.seq, o.cfg.Ext))
	}
	if single {
		return o.cfg.Path
	}
	return fmt.Sprintf("%s-%d-%d%s", o.base, f.worker, f.seq, o.cfg.Ext)
}

func (o *Output) newTemp(worker, seq int) (*os.File, *outFile, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil, nil, fmt.Errorf("%s: output already committed or aborted", o.cfg.Pkg)
	}
	name := filepath.Base(o.cfg.Path)
	if o.isDir {
		name = "part"
	}
	tmp := filepath.Join(o.dir, fmt.Sprintf(".%s.%s.%d-%d.tmp", name, o.run, worker, seq))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: create %s: %w", o.cfg.Pkg, tmp, err)
	}
	of := &outFile{worker: worker, seq: seq, tmp: tmp}
	o.files = append(o.files, of)
	return f, of, nil
}

// NewWriter returns the rolling BatchWriter of one worker.
func (o *Output) NewWriter() *RollingWriter {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := &RollingWriter{o: o, worker: o.workers}
	o.workers++
	return w
}

// Commit renames every file into place (creating one empty file when no
// rows were written at all), and in overwrite mode removes the old output.
func (o *Output) Commit(ctx context.Context) error {
	o.mu.Lock()
	files := o.files
	o.mu.Unlock()
	if len(files) == 0 {
		if err := o.writeEmpty(); err != nil {
			o.Abort()
			return err
		}
		o.mu.Lock()
		files = o.files
		o.mu.Unlock()
	}
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
	single := !o.isDir && !o.rolling() && o.workers <= 1 && len(files) == 1
	finals := make([]string, len(files))
	for i, f := range files {
		finals[i] = o.finalName(f, single)
	}
	if o.cfg.Mode == ferry.ModeInsert {
		for _, fn := range finals {
			if _, err := os.Stat(fn); err == nil {
				o.removeTemps()
				return fmt.Errorf("%s: %s already exists (insert mode never replaces a file; use mode=overwrite)", o.cfg.Pkg, fn)
			}
		}
	} else {
		if err := o.removeOld(finals); err != nil {
			o.removeTemps()
			return err
		}
	}
	for i, f := range files {
		if err := os.Rename(f.tmp, finals[i]); err != nil {
			o.removeTemps()
			return fmt.Errorf("%s: rename %s to %s: %w", o.cfg.Pkg, f.tmp, finals[i], err)
		}
	}
	return nil
}

var partRe = regexp.MustCompile(`^part-.+-\d+-\d+`)

// removeOld removes earlier output that the new files do not replace.
func (o *Output) removeOld(keep []string) error {
	var old []string
	if o.isDir {
		m, _ := filepath.Glob(filepath.Join(o.dir, "part-*"+o.cfg.Ext))
		// only names this package generates: part-<run>-<worker>-<seq><ext>
		for _, p := range m {
			if partRe.MatchString(filepath.Base(p)) {
				old = append(old, p)
			}
		}
	} else {
		old = append(old, o.cfg.Path)
		re := regexp.MustCompile("^" + regexp.QuoteMeta(filepath.Base(o.base)) + `-\d+-\d+` + regexp.QuoteMeta(o.cfg.Ext) + "$")
		m, _ := filepath.Glob(o.base + "-*-*" + o.cfg.Ext)
		for _, p := range m {
			if re.MatchString(filepath.Base(p)) {
				old = append(old, p)
			}
		}
	}
	for _, p := range old {
		kept := false
		for _, k := range keep {
			kept = kept || filepath.Clean(k) == filepath.Clean(p)
		}
		if kept {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: remove old output %s: %w", o.cfg.Pkg, p, err)
		}
	}
	return nil
}

func (o *Output) writeEmpty() error {
	w := &RollingWriter{o: o}
	if err := w.start(); err != nil {
		return err
	}
	return w.finish()
}

// Abort removes every temporary file. The existing output is untouched.
func (o *Output) Abort() error {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
	return o.removeTemps()
}

func (o *Output) removeTemps() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for _, f := range o.files {
		if err := os.Remove(f.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: remove temporary files: %w", o.cfg.Pkg, err)
	}
	return nil
}

// RollingWriter is a BatchWriter writing one worker's files.
type RollingWriter struct {
	o      *Output
	worker int
	seq    int

	f    *os.File
	bw   *bufio.Writer
	cw   countingWriter
	enc  Encoder
	rows int64
	err  error
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (w *RollingWriter) start() error {
	f, _, err := w.o.newTemp(w.worker, w.seq)
	if err != nil {
		return err
	}
	w.seq++
	w.f = f
	w.bw = bufio.NewWriterSize(f, 1<<20)
	w.cw = countingWriter{w: w.bw}
	w.rows = 0
	enc, err := w.o.cfg.NewEncoder(&w.cw, w.o.schema)
	if err != nil {
		f.Close()
		w.f = nil
		return fmt.Errorf("%s: start %s: %w", w.o.cfg.Pkg, f.Name(), err)
	}
	w.enc = enc
	return nil
}

func (w *RollingWriter) finish() error {
	if w.f == nil {
		return nil
	}
	name := w.f.Name()
	err := w.enc.Close()
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f, w.enc = nil, nil
	if err != nil {
		return fmt.Errorf("%s: write %s: %w", w.o.cfg.Pkg, name, err)
	}
	return nil
}

// Write writes b, starting new files as the limits say.
func (w *RollingWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n := b.NumRows()
	for off := int64(0); off < n; {
		if w.f == nil {
			if err := w.start(); err != nil {
				w.err = err
				return err
			}
		}
		take := n - off
		if max := w.o.cfg.MaxFileRows; max > 0 && take > max-w.rows {
			take = max - w.rows
		}
		part := b
		if take != n {
			part = b.NewSlice(off, off+take)
		}
		err := w.enc.Write(part)
		if take != n {
			part.Release()
		}
		if err != nil {
			w.err = fmt.Errorf("%s: write %s: %w", w.o.cfg.Pkg, w.f.Name(), err)
			return w.err
		}
		w.rows += take
		off += take
		if (w.o.cfg.MaxFileRows > 0 && w.rows >= w.o.cfg.MaxFileRows) || (w.o.cfg.MaxFileBytes > 0 && w.cw.n >= w.o.cfg.MaxFileBytes) {
			if err := w.finish(); err != nil {
				w.err = err
				return err
			}
		}
	}
	return nil
}

// Close finishes the current file.
func (w *RollingWriter) Close(ctx context.Context) error {
	if w.err != nil {
		if w.f != nil {
			w.f.Close()
			w.f = nil
		}
		return w.err
	}
	return w.finish()
}

var _ ferry.BatchWriter = (*RollingWriter)(nil)
