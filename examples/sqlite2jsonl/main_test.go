package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestExport(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "shop.db")
	db, err := sql.Open("sqlite", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount DECIMAL(10,2), placed DATETIME, paid BOOLEAN, qty INTEGER)`,
		`INSERT INTO orders VALUES (1, 'Zoë "Z" Tab	Newline
x', '12.50', '2024-06-01 12:00:00.000001', 1, 3), (2, NULL, NULL, NULL, NULL, NULL), (3, 'bad', '1.00', NULL, 0, 'many')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out := filepath.Join(dir, "orders.jsonl")
	sum, err := run(context.Background(), "sqlite://"+src+"?table=orders", "jsonl://"+out, 1, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsWritten != 2 || sum.RowsDirty != 1 {
		t.Errorf("written %d, dirty %d; want 2 and 1", sum.RowsWritten, sum.RowsDirty)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	if len(rows) != 2 || rows[0]["customer"] != "Zoë \"Z\" Tab\tNewline\nx" || rows[1]["customer"] != nil {
		t.Errorf("rows %v", rows)
	}
	// Without a tolerance the dirty row fails the run.
	if _, err := run(context.Background(), "sqlite://"+src+"?table=orders", "jsonl://"+filepath.Join(dir, "again.jsonl"), 0, io.Discard); err == nil {
		t.Error("a dirty row with maxDirty=0 did not fail the run")
	}
}
