package csvreader

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// A file larger than SplitBytes is planned without reading it: its splits
// are the byte ranges [k*every, (k+1)*every) (splitSpec.Every = every),
// and split k holds the records that start in [B(k*every), B((k+1)*every)),
// where B(x) is the first record boundary at or after x that the scan
// (scanBounds, aligned) cuts at: the same exact scan that planned the cuts
// before, now run in the background while the splits are copied, by a
// cutter per file and grid. The first split starts at once; split k waits
// only until the scan has passed k*every, and a split learns where it ends
// when its parser reaches (k+1)*every, long after the scan did. A B(x) the
// scan never cuts at (past the end, or past a record the scan stops
// cutting at) is the end of the file: the split before reads to the end,
// the splits after are empty. In another process (a distributed run), the
// first Read of a file's split starts that process's own scan.

// cutter scans one file in the background and publishes its cuts.
type cutter struct {
	every int64

	mu      sync.Mutex
	cuts    []bound // cuts[k-1] is B(k*every), for the k known so far
	done    bool    // the scan ended: the missing B are the end of the file
	err     error
	changed chan struct{} // closed (and replaced) at every change
}

type bound struct{ pos, line int64 }

// bound returns B(x) and the lines before it for x a positive multiple of
// every, waiting for the scan; pos < 0 means the end of the file.
func (c *cutter) bound(ctx context.Context, x int64) (bound, error) {
	k := int(x / c.every)
	for {
		c.mu.Lock()
		if k <= len(c.cuts) {
			b := c.cuts[k-1]
			c.mu.Unlock()
			return b, nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return bound{}, err
		}
		if c.done {
			c.mu.Unlock()
			return bound{pos: -1}, nil
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return bound{}, ctx.Err()
		}
	}
}

// run scans path; it is the cutter's goroutine.
func (c *cutter) run(ctx context.Context, r *Reader, path string) {
	err := func() error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return scanBounds(ctx, f, st.Size(), c.every, int64(r.cfg.MaxRecordBytes), r.cfg.Delimiter, r.cfg.Quote, true, func(pos, line int64) {
			c.mu.Lock()
			for int64(len(c.cuts)+1)*c.every <= pos {
				c.cuts = append(c.cuts, bound{pos: pos, line: line})
			}
			c.notifyLocked()
			c.mu.Unlock()
		})
	}()
	c.mu.Lock()
	if err != nil {
		c.err = fmt.Errorf("csvreader: scan %s: %w", path, err)
	}
	c.done = true
	c.notifyLocked()
	c.mu.Unlock()
}

func (c *cutter) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type cutterKey struct {
	path  string
	every int64
}

// cutter returns the cutter of path on the grid every, starting it.
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
		r.scanCtx, r.stopScans = context.WithCancel(context.Background())
	}
	c := &cutter{every: every, changed: make(chan struct{})}
	r.cutters[key] = c
	r.scans.Add(1)
	go func() {
		defer r.scans.Done()
		c.run(r.scanCtx, r, path)
	}()
	return c, nil
}
