package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"os"
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
