// Command quickstart is Ferry's first run, with no server to set up: it
// builds a SQLite database of sample orders (1,000,000 rows by default, with
// seven deliberately dirty ones), syncs it with two workers into a second
// SQLite database under a dirty-row limit, keeping the dirty rows in a JSON
// Lines file, exports the result to Parquet, and prints the reports.
//
//	go run ./examples/quickstart [-rows N] [-dir DIR] [-keep]
//
// Its files (about 230 MB at 1,000,000 rows) go into a new directory under
// the system's temporary directory, or into -dir. It says where and how
// big they are, and removes them at the end unless -keep is given (the
// files it made only: a -dir that existed stays).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/sqlitereader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "number of sample orders")
	dir := flag.String("dir", "", "output directory (default: a new directory under the system's temporary directory)")
	keep := flag.Bool("keep", false, "keep the databases, the dirty-row file and the Parquet file (default: remove them at the end)")
	flag.Parse()
	res, err := run(context.Background(), *rows, *dir, os.Stdout)
	if res != nil {
		if cerr := res.finish(*keep, os.Stdout); err == nil {
			err = cerr
		}
	}
	if err != nil {
		log.Fatal(err)
	}
}

// files are the files a run made, existing or not.
func (r *result) files() []string {
	var out []string
	for _, p := range []string{r.Source, r.Dest, r.DirtyFile, r.Parquet} {
		out = append(out, p, p+"-wal", p+"-shm", p+"-journal")
	}
	return out
}

// size is the bytes the run's files take.
func (r *result) size() int64 {
	var n int64
	for _, p := range r.files() {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// finish says where the files are and how much they take, and removes them
// (and the directory, when the run made it) unless keep.
func (r *result) finish(keep bool, out io.Writer) error {
	mb := float64(r.size()) / (1 << 20)
	if keep {
		fmt.Fprintf(out, "kept %.1f MB in %s (remove it when done)\n", mb, r.Dir)
		return nil
	}
	var errs []error
	// The Parquet writer keeps its committed stage (markers) beside the
	// file until it is collected: collect it the way `ferry gc` does.
	if w, err := parquetwriter.Open(context.Background(), parquetwriter.Config{Path: r.Parquet, Mode: ferry.ModeOverwrite}); err == nil {
		if c, ok := any(w).(ferry.StageCollector); ok {
			if _, err := c.CollectStages(context.Background(), 0, false); err != nil {
				errs = append(errs, err)
			}
		}
		w.Close()
	}
	for _, p := range r.files() {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if r.madeDir {
		if err := os.Remove(r.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("quickstart: remove the files in %s: %w", r.Dir, err)
	}
	fmt.Fprintf(out, "removed the %.1f MB of files in %s (run with -keep to keep them)\n", mb, r.Dir)
	return nil
}

// result is what a quickstart run produced.
type result struct {
	Dir, Source, Dest, DirtyFile, Parquet string
	Sync, Export                          *ferry.Summary
	madeDir                               bool // Dir is a new temporary directory
}

// The sample data has 7 dirty rows: 4 with text in the INTEGER column qty,
// which the reader reports, and 3 with a negative weight, which the
// destination's CHECK constraint rejects.
const (
	readerDirty = 4
	writerDirty = 3
	// DirtyRows is the number of deliberately dirty rows.
	DirtyRows = readerDirty + writerDirty
)

func run(ctx context.Context, rows int, dir string, out io.Writer) (*result, error) {
	if rows < 100 {
		return nil, errors.New("quickstart: -rows must be at least 100")
	}
	madeDir := false
	if dir == "" {
		d, err := os.MkdirTemp("", "ferry-quickstart-")
		if err != nil {
			return nil, err
		}
		dir, madeDir = d, true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &result{
		madeDir:   madeDir,
		Dir:       dir,
		Source:    filepath.Join(dir, "orders.db"),
		Dest:      filepath.Join(dir, "warehouse.db"),
		DirtyFile: filepath.Join(dir, "dirty.jsonl"),
		Parquet:   filepath.Join(dir, "orders.parquet"),
	}
	for _, p := range []string{res.Source, res.Dest, res.Dest + "-wal", res.Dest + "-shm", res.Parquet} {
		os.Remove(p) // a rerun into the same -dir starts afresh
	}
	fmt.Fprintf(out, "Ferry quickstart: writing into %s\n", dir)

	t0 := time.Now()
	if err := makeSource(ctx, res.Source, rows); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "built %s: %d orders (%d of them dirty) in %s\n\n", res.Source, rows, DirtyRows, time.Since(t0).Round(time.Millisecond))

	// 1. SQLite -> SQLite with two workers, at most 10 dirty rows.
	r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: res.Source, Table: "orders"})
	if err != nil {
		return nil, err
	}
	// The destination table is created by preSql, in the write transaction,
	// with a CHECK constraint that rejects three of the rows.
	w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: res.Dest, Table: "orders", NoCreate: true, PreSQL: []string{destDDL}})
	if err != nil {
		return nil, err
	}
	sink, err := dirty.CreateFileSink(res.DirtyFile)
	if err != nil {
		return nil, err
	}
	res.Sync, err = ferry.New(r, w, &ferry.Options{
		Concurrency: 2,
		Dirty:       dirty.TolerateRows(10),
		DirtySinks:  []dirty.Sink{sink},
	}).Run(ctx)
	if res.Sync != nil {
		fmt.Fprintf(out, "== %s -> %s\n%s\n", filepath.Base(res.Source), filepath.Base(res.Dest), res.Sync.Report())
	}
	if err != nil {
		return res, err
	}

	// 2. SQLite -> Parquet.
	if err := exportParquet(ctx, res, out); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "dirty rows are in %s; the synced table is in %s (%.1f MB in %s)\n", res.DirtyFile, res.Dest, float64(res.size())/(1<<20), res.Dir)
	return res, nil
}

// makeSource creates the orders table and fills it inside SQLite.
func makeSource(ctx context.Context, path string, rows int) error {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	stmts := []string{
		`CREATE TABLE orders (
			id         INTEGER PRIMARY KEY,
			customer   TEXT NOT NULL,
			amount     DECIMAL(12,2),
			weight     REAL,
			note       TEXT,
			created_at DATETIME,
			ship_day   DATE,
			paid       BOOLEAN,
			qty        INTEGER
		)`,
		// Mixed types, unicode, microseconds and NULLs (every 10th note,
		// every 7th ship_day).
		fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)
		INSERT INTO orders
		SELECT i,
		       'customer ' || (i %% 9973),
		       printf('%%d.%%02d', (i * 37) %% 100000, i %% 100),
		       (i %% 1000) * 0.125,
		       CASE WHEN i %% 10 = 0 THEN NULL
		            WHEN i %% 3 = 0 THEN 'Grüße aus Köln, 東京 ✓, tab	and "quotes"'
		            ELSE 'order #' || i END,
		       strftime('%%Y-%%m-%%d %%H:%%M:%%S', 1704067200 + i * 17, 'unixepoch') || printf('.%%06d', (i * 7919) %% 1000000),
		       CASE WHEN i %% 7 = 0 THEN NULL ELSE date((19723 + i %% 900) * 86400, 'unixepoch') END,
		       i %% 2,
		       1 + i %% 50
		FROM s`, rows),
		// 4 rows the reader reports: text in an INTEGER column.
		`UPDATE orders SET qty = 'n/a' WHERE id IN (17, 4711 % (SELECT max(id) FROM orders) + 1, (SELECT max(id) FROM orders) / 2, (SELECT max(id) FROM orders))`,
		// 3 rows the destination rejects: CHECK (weight >= 0).
		`UPDATE orders SET weight = -1.5 WHERE id IN (42, (SELECT max(id) FROM orders) / 3, (SELECT max(id) FROM orders) - 1)`,
		`PRAGMA journal_mode=DELETE`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("quickstart: build %s: %w", path, err)
		}
	}
	return nil
}

// destDDL creates the destination table, with a CHECK constraint. Decimals
// are declared DECIMAL TEXT so that SQLite keeps their exact text.
const destDDL = `CREATE TABLE orders (
	id         INTEGER PRIMARY KEY,
	customer   TEXT NOT NULL,
	amount     DECIMAL TEXT(12,2),
	weight     REAL CHECK (weight >= 0),
	note       TEXT,
	created_at DATETIME,
	ship_day   DATE,
	paid       BOOLEAN,
	qty        INTEGER
)`
