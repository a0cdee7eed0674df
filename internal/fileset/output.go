package fileset

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// DefaultStaleAge is how old an abandoned stage of another run (one no
// process holds) must be before a new run on the same target removes it:
// the default min-age of ferry gc. A younger one is kept for a resume.
// Removing a stage costs a resume its finished splits, never data: the
// resumed run finds no marks and copies every split again.
const DefaultStaleAge = time.Hour

// OutputConfig describes the files of a file writer. Zero values mean
// defaults.
type OutputConfig struct {
	// Pkg prefixes errors ("csvwriter").
	Pkg string
	// Path is the output file, or a directory when it ends with a slash or
	// is an existing directory.
	Path string
	// Ext is the extension of the part files of a directory output, with
	// the dot (".csv"); a file Path's own extension takes its place.
	Ext string
	// Mode is ferry.ModeInsert (the default) or ferry.ModeOverwrite.
	Mode ferry.WriteMode
	// MaxFileRows and MaxFileBytes, when positive, start a new file after
	// that many rows or (about) that many bytes.
	MaxFileRows  int64
	MaxFileBytes int64
	// Gzip compresses every file with gzip (".gz" is added to the part
	// files' extension).
	Gzip bool
	// Check, when set, is called with the schema by Prepare and
	// PrepareStage before anything is created.
	Check func(schema *arrow.Schema) error
	// NewEncoder starts one file.
	NewEncoder NewEncoderFunc
	// StaleAge is how old another run's abandoned stage of the same target
	// must be before PrepareStage of a new run removes it; 0 means
	// DefaultStaleAge. Committed and aborted stages are removed at any age;
	// a stage a live process holds is never removed.
	StaleAge time.Duration
}

// Output is the staged output of a file writer: it implements
// ferry.Writer, ferry.StageWriter, ferry.StageCollector and
// ferry.OutputReporter, so a connector embeds it and adds only its
// Encoder and schema check.
//
// A run's files are written into its stage, a hidden directory next to the
// target named .ferry-stage.<target name>.<run ID>. Each split attempt
// writes its own files there; SplitWriter.Close fsyncs them and renames a
// marker file (m-<hash of the split ID>.json, listing the attempt's files
// and rows) into place, which is the split's commit point and replaces an
// earlier attempt. Commit moves the marked files into the new output and
// switches it with the old one in one rename:
//
//   - a file target written as one file is that file;
//   - a file target written as several files (several splits, or rolling)
//     becomes a directory of that name holding part-<run>-<n><ext> files and
//     a _ferry_run.json marker (the layout Spark uses; every reader of Ferry
//     reads the directory by the same URL);
//   - a directory target is replaced as a whole in overwrite mode (it must
//     hold only files Ferry wrote), and created in insert mode; insert into
//     an existing directory adds the part files one rename each (not one
//     step: a reader listing the directory during Commit can see some of
//     them).
//
// Overwrite swaps old and new with renameat2(RENAME_EXCHANGE), so a reader
// sees the old output or the new one, never neither; where the file system
// lacks it, the old output is first renamed into the stage, and a reader
// can see no output between the two renames (a rerun of Commit, a resume,
// or CollectStages puts one back). Each process attached to a stage holds a
// shared flock on its lock file; stages nobody holds can be collected.
type Output struct {
	cfg       OutputConfig
	target    string // absolute
	dirTarget bool
	parent    string
	base      string
	ext       string // of part files

	mu      sync.Mutex
	schema  *arrow.Schema
	runID   string
	stage   string
	lock    *os.File
	legacy  bool // Prepare (not PrepareStage) made the run: Close removes its stage
	workers int
	outputs []string
}

// NewOutput checks cfg and returns an Output. Nothing is created before
// Prepare or PrepareStage.
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
	if cfg.StaleAge <= 0 {
		cfg.StaleAge = DefaultStaleAge
	}
	o := &Output{cfg: cfg}
	abs, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: output path %s: %w", cfg.Pkg, cfg.Path, err)
	}
	st, err := os.Stat(abs)
	o.target = filepath.Clean(abs)
	// a directory that a run made from a file path (several files) is
	// still a file target: the next run may write it as one file again
	o.dirTarget = strings.HasSuffix(cfg.Path, "/") || strings.HasSuffix(cfg.Path, string(os.PathSeparator)) ||
		(err == nil && st.IsDir() && !madeFromFilePath(o.target))
	o.parent, o.base = filepath.Dir(o.target), filepath.Base(o.target)
	if o.target == o.parent {
		return nil, fmt.Errorf("%s: cannot write to the root directory %s", cfg.Pkg, o.target)
	}
	o.ext = cfg.Ext
	if !o.dirTarget {
		name := o.base
		gz := ""
		if e := filepath.Ext(name); e == ".gz" || e == ".bz2" {
			gz, name = e, strings.TrimSuffix(name, e)
		}
		if e := filepath.Ext(name); e != "" {
			o.ext = e + gz // out.tsv writes part-...tsv
		}
	}
	if cfg.Gzip && !strings.HasSuffix(o.ext, ".gz") {
		o.ext += ".gz"
	}
	return o, nil
}

// madeFromFilePath reports whether dir is the output of a run given a file
// path.
func madeFromFilePath(dir string) bool {
	var m runMarker
	return readJSON(filepath.Join(dir, RunMarker), &m) == nil && m.FilePath
}

// Target returns the absolute path of the output.
func (o *Output) Target() string { return o.target }

// RunID returns the run the Output is prepared for ("" before).
func (o *Output) RunID() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runID
}

// Prepare starts a run of its own (with a new run ID) for a writer used
// without the staged protocol. Its stage is removed at Close.
func (o *Output) Prepare(ctx context.Context, schema *arrow.Schema) error {
	if err := o.PrepareStage(ctx, ferry.NewRunID(), schema); err != nil {
		return err
	}
	o.mu.Lock()
	o.legacy = true
	o.mu.Unlock()
	return nil
}

// Open returns the BatchWriter of one worker: a split of its own, marked
// done at Close.
func (o *Output) Open(ctx context.Context) (ferry.BatchWriter, error) {
	o.mu.Lock()
	n := o.workers
	o.workers++
	o.mu.Unlock()
	return o.OpenSplit(ctx, fmt.Sprintf("worker-%d", n))
}

// Close releases the stage's lock. For a run started with Prepare it also
// removes the stage (after Commit only its markers are left; without
// Commit or Abort its files are dropped, as Abort does).
func (o *Output) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stage == "" {
		return nil
	}
	var err error
	if o.legacy {
		if !o.committedLocked() {
			err = o.abortLocked()
		}
		if rerr := os.RemoveAll(o.stage); rerr != nil && err == nil {
			err = fmt.Errorf("%s: remove stage %s: %w", o.cfg.Pkg, o.stage, rerr)
		}
	}
	if o.lock != nil {
		o.lock.Close()
		o.lock = nil
	}
	o.stage = ""
	return err
}

// Outputs returns the files of the committed run.
func (o *Output) Outputs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.outputs...)
}

var (
	_ ferry.Writer         = (*Output)(nil)
	_ ferry.StageWriter    = (*Output)(nil)
	_ ferry.StageCollector = (*Output)(nil)
	_ ferry.OutputReporter = (*Output)(nil)
)

// fileWriter is one file being written: buffered, optionally gzipped,
// counted, fsynced at finish.
type fileWriter struct {
	f    *os.File
	wb   writebackFile
	bw   *bufio.Writer
	gz   *gzip.Writer
	cw   countingWriter
	enc  Encoder
	rows int64
}

// WritebackBytes is how many bytes a file writer writes between two
// requests to the kernel to start writing them to disk. Without them the
// fsync that ends a split finds the whole file dirty in the page cache and
// stalls its worker (and the worker's reader, once the batches in flight
// are full) for as long as the disk takes to write it: a serial stage at
// the end of every split.
const WritebackBytes = 8 << 20

// writebackFile writes to f and starts the writeback of every
// WritebackBytes written, without waiting for it.
type writebackFile struct {
	f            *os.File
	off, started int64
}

func (w *writebackFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= WritebackBytes {
		startWriteback(w.f, w.started, w.off-w.started)
		w.started = w.off
	}
	return n, err
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

func (o *Output) startFile(path string, schema *arrow.Schema) (*fileWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: create %s: %w", o.cfg.Pkg, path, err)
	}
	fw := &fileWriter{f: f}
	fw.wb.f = f
	fw.bw = bufio.NewWriterSize(&fw.wb, 1<<20)
	var w io.Writer = fw.bw
	if o.cfg.Gzip {
		fw.gz = gzip.NewWriter(fw.bw)
		w = fw.gz
	}
	fw.cw = countingWriter{w: w}
	enc, err := o.cfg.NewEncoder(&fw.cw, schema)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: start %s: %w", o.cfg.Pkg, path, err)
	}
	fw.enc = enc
	return fw, nil
}

// finish writes the end of the file, fsyncs and closes it.
func (fw *fileWriter) finish() error {
	err := fw.enc.Close()
	if err == nil && fw.gz != nil {
		err = fw.gz.Close()
	}
	if err == nil {
		err = fw.bw.Flush()
	}
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// abandon closes the file without finishing it.
func (fw *fileWriter) abandon() { fw.f.Close() }
