package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The quickstart's main logic on 5,000 rows: every clean row lands, exactly
// the 7 deliberately dirty rows are reported and kept in the dirty file,
// and the Parquet export has the synced rows.
func TestQuickstart(t *testing.T) {
	const rows = 5000
	res, err := run(context.Background(), rows, t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Sync.RowsWritten, int64(rows-DirtyRows); got != want {
		t.Errorf("rows written %d, want %d", got, want)
	}
	if res.Sync.RowsDirty != DirtyRows || !res.Sync.Committed {
		t.Errorf("rows dirty %d (want %d), committed %v", res.Sync.RowsDirty, DirtyRows, res.Sync.Committed)
	}
	f, err := os.Open(res.DirtyFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines++
	}
	if lines != DirtyRows {
		t.Errorf("%s has %d lines, want %d", res.DirtyFile, lines, DirtyRows)
	}
	db, err := sql.Open("sqlite", res.Dest)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, minWeight int64
	if err := db.QueryRow(`SELECT count(*), min(weight) >= 0 FROM orders`).Scan(&n, &minWeight); err != nil {
		t.Fatal(err)
	}
	if n != rows-DirtyRows || minWeight != 1 {
		t.Errorf("destination has %d rows (want %d), min(weight) >= 0: %d", n, rows-DirtyRows, minWeight)
	}
	checkParquet(t, res, rows-DirtyRows)
}

// The quickstart says where its files are and how big, and removes them
// unless asked to keep them: a temporary directory goes, a -dir stays.
func TestQuickstartCleansUp(t *testing.T) {
	ctx := context.Background()
	var out strings.Builder
	res, err := run(ctx, 200, "", &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "MB in "+res.Dir) {
		t.Errorf("output does not say where the files are:\n%s", out.String())
	}
	out.Reset()
	if err := res.finish(false, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(res.Dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", res.Dir, err)
	}
	if !strings.Contains(out.String(), "removed the") || !strings.Contains(out.String(), "-keep") {
		t.Errorf("finish said %q", out.String())
	}

	dir := filepath.Join(t.TempDir(), "mine")
	res, err = run(ctx, 200, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := res.finish(true, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(res.Dest); err != nil || !strings.Contains(out.String(), "kept") {
		t.Errorf("-keep: %v, said %q", err, out.String())
	}
	if err := res.finish(false, io.Discard); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("-dir %s after clean-up: %v %v (want it there and empty)", dir, entries, err)
	}
}
