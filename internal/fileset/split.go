package fileset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
)

// SplitWriter writes one attempt at one split into the stage, rolling to
// new files as MaxFileRows and MaxFileBytes say. Close fsyncs the files and
// renames the split's marker into place, which replaces an earlier attempt;
// Discard removes the attempt's files.
type SplitWriter struct {
	o       *Output
	stage   string
	schema  *arrow.Schema
	split   string
	key     string
	attempt string

	cur   *fileWriter
	files []string
	rows  int64
	err   error
	ended bool
}

var _ ferry.SplitWriter = (*SplitWriter)(nil)

func (w *SplitWriter) start() error {
	name := fmt.Sprintf("%s%s-%s-%d%s", dataPrefix, w.key, w.attempt, len(w.files), w.o.ext)
	fw, err := w.o.startFile(filepath.Join(w.stage, name), w.schema)
	if err != nil {
		return err
	}
	w.cur = fw
	w.files = append(w.files, name)
	return nil
}

func (w *SplitWriter) finish() error {
	if w.cur == nil {
		return nil
	}
	fw := w.cur
	w.cur = nil
	if err := fw.finish(); err != nil {
		return fmt.Errorf("%s: write %s: %w", w.o.cfg.Pkg, fw.f.Name(), err)
	}
	return nil
}

// Write writes b, starting new files as the limits say.
func (w *SplitWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if w.ended {
		return fmt.Errorf("%s: split %s: write after Close", w.o.cfg.Pkg, w.split)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg := &w.o.cfg
	n := b.NumRows()
	for off := int64(0); off < n; {
		if w.cur == nil {
			if err := w.start(); err != nil {
				w.err = err
				return err
			}
		}
		take := n - off
		if max := cfg.MaxFileRows; max > 0 && take > max-w.cur.rows {
			take = max - w.cur.rows
		}
		part := b
		if take != n {
			part = b.NewSlice(off, off+take)
		}
		err := w.cur.enc.Write(part)
		if take != n {
			part.Release()
		}
		if err != nil {
			w.err = fmt.Errorf("%s: write %s: %w", cfg.Pkg, w.cur.f.Name(), err)
			return w.err
		}
		w.cur.rows += take
		w.rows += take
		off += take
		if (cfg.MaxFileRows > 0 && w.cur.rows >= cfg.MaxFileRows) || (cfg.MaxFileBytes > 0 && w.cur.cw.n >= cfg.MaxFileBytes) {
			if err := w.finish(); err != nil {
				w.err = err
				return err
			}
		}
	}
	return nil
}

// Close finishes the files and marks the split done: its marker, naming
// the attempt's files and rows, is renamed into place (replacing an earlier
// attempt's, whose files are then removed). An attempt that failed is
// discarded and its error returned.
func (w *SplitWriter) Close(ctx context.Context) error {
	if w.ended {
		return nil
	}
	if w.err != nil {
		err := w.err
		w.Discard(ctx)
		return err
	}
	if err := w.finish(); err != nil {
		w.err = err
		w.Discard(ctx)
		return err
	}
	w.ended = true
	o := w.o
	o.mu.Lock()
	err := o.writable()
	o.mu.Unlock()
	if err != nil {
		w.removeFiles()
		return err
	}
	m := splitMark{Split: w.split, Attempt: w.attempt, Rows: w.rows, Files: w.files}
	if m.Files == nil {
		m.Files = []string{}
	}
	markName := markPrefix + w.key + ".json"
	var old splitMark
	hadOld := readJSON(filepath.Join(w.stage, markName), &old) == nil
	if err := syncDir(w.stage); err != nil {
		w.removeFiles()
		return fmt.Errorf("%s: sync stage %s: %w", o.cfg.Pkg, w.stage, err)
	}
	crashpoint.Hit("fileset.split.before-mark")
	if err := writeJSONAtomic(w.stage, markName, m); err != nil {
		w.removeFiles()
		return fmt.Errorf("%s: mark split %s done in %s: %w", o.cfg.Pkg, w.split, w.stage, err)
	}
	crashpoint.Hit("fileset.split.after-mark")
	if hadOld && old.Attempt != w.attempt {
		for _, f := range old.Files {
			os.Remove(filepath.Join(w.stage, f))
		}
	}
	return nil
}

// Discard ends the attempt without marking the split and removes its files.
func (w *SplitWriter) Discard(ctx context.Context) error {
	if w.cur != nil {
		w.cur.abandon()
		w.cur = nil
	}
	w.ended = true
	return w.removeFiles()
}

func (w *SplitWriter) removeFiles() error {
	var errs []error
	for _, f := range w.files {
		if err := os.Remove(filepath.Join(w.stage, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	w.files = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: discard split %s: %w", w.o.cfg.Pkg, w.split, err)
	}
	return nil
}
