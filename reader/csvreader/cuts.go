package csvreader

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// A file larger than SplitBytes is planned without reading it: its splits
// are the byte ranges [k*every, (k+1)*every) (splitSpec.Every = every),
// and split k holds the records that start in [B(k*every), B((k+1)*every)),
// where B(x) is the first record boundary at or after x that the scan
// (scanBounds, aligned) cuts at: the same exact scan that planned the cuts
// before, now run on demand while the splits are copied (no goroutine of its
// own), by a cutter per file and grid. The first split starts at once; split k waits only until
// the scan has passed k*every, and a split learns where it ends when its
// parser reaches (k+1)*every. The scan skips what parsers have read (see
// cutter), so it reads a fraction of the file. A B(x) the scan never cuts
// at (past the end, or past a record the scan stops cutting at) is the end
// of the file: the split before reads to the end, the splits after are
// empty. In another process (a distributed run), the first Read of a
// file's split starts that process's own scan.

// cutter scans one file and publishes its cuts. The scan runs on demand
// only, in the goroutine of a Read that needs a cut not known yet (a
// split's start, or its end once its parser passed it; other Reads wait
// for it), and stops once that cut is known. Before each stretch it jumps
// ahead to the furthest record start a parser reached cleanly (hint)
// before the next multiple of every: from a record start the scan and a
// parser that met no bad record see the same records, so the cuts are the
// ones one scan from the start of the file makes, and each stretch is
// short (the part of a split its parser has not read yet) instead of the
// whole file. (A scan from the start stops cutting at a record the parser
// resynchronises after, which a clean parser never met; a record it only
// thinks too long may be jumped over: the cuts after it are still record
// starts of the parsers on both sides.)
type cutter struct {
	every     int64
	path      string
	maxRecord int64
	delim     byte
	quote     byte

	mu       sync.Mutex
	cuts     []bound // cuts[k-1] is B(k*every), for the k known so far
	done     bool    // the scan ended: the missing B are the end of the file
	err      error
	changed  chan struct{} // closed (and replaced) at every change
	scanning bool          // a Read scans
	need     int           // the most cuts a Read waits for
	at       bound         // where the scan goes on from (a record start)
	hints    []bound       // record starts parsers reached cleanly, beyond the last cut, in order
}

type bound struct{ pos, line int64 }

func newCutter(path string, every, maxRecord int64, delim, quote byte) *cutter {
	return &cutter{every: every, path: path, maxRecord: maxRecord, delim: delim, quote: quote, changed: make(chan struct{})}
}

// bound returns B(x) and the lines before it for x a positive multiple of
// every, scanning or waiting for the Read that scans; pos < 0 means the
// end of the file.
func (c *cutter) bound(ctx context.Context, x int64) (bound, error) {
	k := int(x / c.every)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if k <= len(c.cuts) {
			return c.cuts[k-1], nil
		}
		if c.err != nil {
			return bound{}, c.err
		}
		if c.done {
			return bound{pos: -1}, nil
		}
		c.need = max(c.need, k)
		if !c.scanning {
			c.scanning = true
			from := c.resumeLocked()
			c.mu.Unlock()
			done, err := c.scan(ctx, from)
			c.mu.Lock()
			c.scanning = false
			switch {
			case err != nil && ctx.Err() != nil:
				// this Read gave up; another one may scan on
				c.notifyLocked()
				return bound{}, err
			case err != nil:
				c.err = fmt.Errorf("csvreader: scan %s: %w", c.path, err)
				c.done = true
			case done:
				c.done = true
			}
			c.notifyLocked()
			continue
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
			c.mu.Lock()
		case <-ctx.Done():
			c.mu.Lock()
			return bound{}, ctx.Err()
		}
	}
}

// hint tells the scan that a parser which started at a cut (or at the
// start of the file) and met no bad record since reached pos, a record
// start with line lines before it.
func (c *cutter) hint(pos, line int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done || pos <= c.at.pos {
		return
	}
	i := len(c.hints)
	for i > 0 && c.hints[i-1].pos > pos {
		i-- // parsers of several splits: keep them in order
	}
	if i > 0 && c.hints[i-1].pos == pos {
		return
	}
	c.hints = append(c.hints, bound{})
	copy(c.hints[i+1:], c.hints[i:])
	c.hints[i] = bound{pos, line}
}

// resumeLocked returns where the scan goes on from: where it stopped, or
// the furthest hint before the next multiple of every (all the cuts before
// that are known); hints it passes are dropped.
func (c *cutter) resumeLocked() bound {
	from := c.at
	limit := int64(len(c.cuts)+1) * c.every
	kept := c.hints[:0]
	for _, h := range c.hints {
		switch {
		case h.pos <= from.pos:
		case h.pos < limit:
			from = h // in order: the last one wins
		default:
			kept = append(kept, h)
		}
	}
	c.hints = kept
	return from
}

// scan scans from from until the cuts a Read needs are known (done false)
// or the scan ended (done true).
func (c *cutter) scan(ctx context.Context, from bound) (done bool, err error) {
	f, err := os.Open(c.path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if _, err := f.Seek(from.pos, io.SeekStart); err != nil {
		return false, err
	}
	return scanBoundsFrom(ctx, f, from.pos, from.line, st.Size(), c.every, c.maxRecord, c.delim, c.quote, true, func(pos, line int64) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for int64(len(c.cuts)+1)*c.every <= pos {
			c.cuts = append(c.cuts, bound{pos: pos, line: line})
		}
		c.at = bound{pos, line}
		c.notifyLocked()
		return len(c.cuts) >= c.need
	})
}

func (c *cutter) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type cutterKey struct {
	path  string
	every int64
}

// cutter returns the cutter of path on the grid every.
func (r *Reader) cutter(path string, every int64) (*cutter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("csvreader: read %s after Close", path)
	}
	key := cutterKey{path, every}
	if c := r.cutters[key]; c != nil {
		return c, nil
	}
	if r.cutters == nil {
		r.cutters = map[cutterKey]*cutter{}
	}
	c := newCutter(path, every, int64(r.cfg.MaxRecordBytes), r.cfg.Delimiter, r.cfg.Quote)
	r.cutters[key] = c
	return c, nil
}
