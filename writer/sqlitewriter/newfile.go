package sqlitewriter

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ferrydata/ferry"
)

// A database file that does not exist when Prepare runs is built under a
// temporary name beside it, ".<name>.ferry-<runID>.tmp", and linked into
// place at Commit, so that the destination path only ever holds a complete,
// fsynced database: a run killed at any point leaves either no destination
// (and a temp file that the next run or `ferry gc` removes) or the committed
// one. The temp file is held with flock(2) while its run lives, so that a
// cleaner never removes the file of a live run.

const (
	tempInfix  = ".ferry-"
	tempSuffix = ".tmp"
)

// tempPath is the temporary name of the new database file path for runID.
func tempPath(path, runID string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+tempInfix+runID+tempSuffix)
}

// tempGlob matches the temporary names of every run for path.
func tempGlob(path string) string {
	return filepath.Join(filepath.Dir(path), "."+escapeGlob(filepath.Base(path))+tempInfix+"*"+tempSuffix)
}

func escapeGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// live is the set of temp files this process holds: they are never probed
// (opening and closing another descriptor of a file would drop the POSIX
// locks SQLite holds on it in this process).
var live = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

func holdLive(p string, on bool) {
	live.Lock()
	defer live.Unlock()
	if on {
		live.paths[p] = true
	} else {
		delete(live.paths, p)
	}
}

func isLive(p string) bool {
	live.Lock()
	defer live.Unlock()
	return live.paths[p]
}

// createTemp creates the temp file of a new database and locks it. The lock
// is taken on the file it created: if a cleaner removed the path in between,
// it tries again.
func createTemp(p string) (*os.File, error) {
	for range 3 {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		if err := lockFile(f, false); err != nil {
			f.Close()
			os.Remove(p)
			return nil, err
		}
		if same, err := sameFile(f, p); err == nil && same {
			holdLive(p, true)
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%s: removed while it was being created", p)
}

func sameFile(f *os.File, p string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

// releaseTemp unlocks and closes the lock of a temp file, after SQLite has
// closed its own descriptors of it.
func releaseTemp(f *os.File, p string) {
	if f != nil {
		unlockFile(f)
		f.Close()
	}
	holdLive(p, false)
}

// removeDB removes a database file and SQLite's side files of it.
func removeDB(p string) error {
	var errs []error
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		if err := os.Remove(p + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// publish puts the committed temp file at path without replacing anything
// that appeared there during the run: link(2) fails if path exists, and
// only then is the temp name removed. The directory is fsynced so that the
// new name is durable.
func publish(tmp, path string) error {
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared during the run (another run created it?): the new database was not put in its place", path)
		}
		// A file system without hard links: rename, which replaces.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s appeared during the run (another run created it?): the new database was not put in its place", path)
		}
		if rerr := os.Rename(tmp, path); rerr != nil {
			return fmt.Errorf("link %s to %s: %v; rename: %w", tmp, path, err, rerr)
		}
		return syncDir(filepath.Dir(path))
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	hitLinked()
	if err := os.Remove(tmp); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// collectTemps finds the temp files of dead runs for path (not held by a
// live run, older than minAge, other than own) and removes them unless
// dryRun. It returns the paths it removed (or would remove).
func collectTemps(ctx context.Context, path, own string, minAge time.Duration, dryRun bool) ([]string, error) {
	matches, err := filepath.Glob(tempGlob(path))
	if err != nil {
		return nil, err
	}
	slices.Sort(matches)
	var out []string
	var errs []error
	for _, m := range matches {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if m == own || isLive(m) {
			continue
		}
		st, err := os.Lstat(m)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		if minAge > 0 && time.Since(st.ModTime()) < minAge {
			continue
		}
		f, err := os.OpenFile(m, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if err := lockFile(f, true); err != nil {
			f.Close() // held by a live run in another process
			continue
		}
		if same, err := sameFile(f, m); err != nil || !same {
			unlockFile(f)
			f.Close()
			continue
		}
		if !dryRun {
			// Removed while locked, so no run can take it in between.
			if err := removeDB(m); err != nil {
				errs = append(errs, err)
				unlockFile(f)
				f.Close()
				continue
			}
		}
		unlockFile(f)
		f.Close()
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

var _ ferry.StageCollector = (*Writer)(nil)

// CollectStages removes what killed runs into a new database file left
// behind: the temporary files ".<name>.ferry-<runID>.tmp" beside the
// destination that no live run holds (each run holds its own with flock)
// and that are older than minAge. Prepare does the same (with no minimum
// age) before it starts. With dryRun it only lists them.
func (w *Writer) CollectStages(ctx context.Context, minAge time.Duration, dryRun bool) ([]string, error) {
	w.mu.Lock()
	own := w.tmpPath
	w.mu.Unlock()
	out, err := collectTemps(ctx, w.cfg.Path, own, minAge, dryRun)
	if err != nil {
		return out, fmt.Errorf("sqlitewriter: collect temp files of %s: %w", w.cfg.Path, err)
	}
	return out, nil
}

// flushEvery is how often the pages written to a new database file are
// handed to the kernel's write-back while it loads.
const flushEvery = 250 * time.Millisecond

// flusher starts the write-back of a new database file in the background
// while the run loads it (writeBack: sync_file_range(2) on Linux, which
// does not wait for the disk), so that the kernel writes out the pages
// SQLite has written (cache spills) while the run still works and the
// fsync at Commit is left with the last ones: on the bench's 330 MB file
// that fsync was ~150 ms of a 2 s run, ~40 ms with the flusher.
// Durability still comes from the fsync at Commit only; an error of the
// flusher fails the Commit.
type flusher struct {
	f    *os.File
	stop chan struct{}
	done chan struct{}
	err  error // set before done closes
}

// startFlusher starts the write-back of f every interval until Stop, or
// returns nil where there is no write-back to start.
func startFlusher(f *os.File, every time.Duration) *flusher {
	if !canWriteBack {
		return nil
	}
	fl := &flusher{f: f, stop: make(chan struct{}), done: make(chan struct{})}
	go fl.run(every)
	return fl
}

func (fl *flusher) run(every time.Duration) {
	defer close(fl.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-fl.stop:
			return
		case <-t.C:
			if err := writeBack(fl.f); err != nil {
				fl.err = fmt.Errorf("write-back of %s: %w", fl.f.Name(), err)
				return
			}
		}
	}
}

// Stop stops the flusher, waits for a write-back call in progress and
// returns the error of one. A nil flusher is stopped.
func (fl *flusher) Stop() error {
	if fl == nil {
		return nil
	}
	select {
	case <-fl.stop:
	default:
		close(fl.stop)
	}
	<-fl.done
	return fl.err
}
