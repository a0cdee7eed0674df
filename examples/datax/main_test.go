package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The example's jobs: the stream job prints 2 channels × 5 rows, the DataX
// job writes the filtered orders with the business date, and the DataWorks
// job copies each environment's orders into that environment's warehouse.
func TestExample(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), exampleDir(), dir, &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "DataX\t19890604\t1989-06-04 00:00:00\ttrue\ttest\n"); n != 10 {
		t.Errorf("stream job printed %d rows, want 10:\n%s", n, out.String())
	}
	csv, err := os.ReadFile(filepath.Join(dir, "out", "orders_20250726.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "id,customer,amount,ds\n2,dev-customer-2,15,20250726\n4,dev-customer-4,30,20250726\n"; string(csv) != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", csv, want)
	}
	for env, want := range map[string]string{"dev": "4 dev-customer-1 20250726 4", "prod": "8 prod-customer-1 20250726 8"} {
		db, err := sql.Open("sqlite", filepath.Join(dir, "dw_"+env+".db"))
		if err != nil {
			t.Fatal(err)
		}
		var n, logged int
		var first, ds string
		err = db.QueryRow(`SELECT (SELECT count(*) FROM orders_copy), (SELECT customer FROM orders_copy WHERE id = 1),
			ds, n FROM load_log`).Scan(&n, &first, &ds, &logged)
		db.Close()
		if err != nil {
			t.Fatal(env, err)
		}
		if got := strings.Join([]string{itoa(n), first, ds, itoa(logged)}, " "); got != want {
			t.Errorf("%s warehouse: %s, want %s", env, got, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
