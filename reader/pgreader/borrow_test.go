package pgreader_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
)

// backends counts the server connections whose application_name is app.
func backends(t *testing.T, app string) int {
	t.Helper()
	var n int
	if err := connect(t).QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func withApp(app string) string {
	cs := connString()
	if strings.Contains(cs, "?") {
		return cs + "&application_name=" + app
	}
	return cs + "?application_name=" + app
}

// TestSmallTableOneConnection: a table below SmallTable is one split, read
// on the Reader's own connection (one backend in all), unless splits= is
// set.
func TestSmallTableOneConnection(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "small")
	exec(t, "CREATE TABLE "+tbl+" (id bigint PRIMARY KEY, v text)")
	exec(t, "INSERT INTO "+tbl+" SELECT g, 'v' || g FROM generate_series(1, 10) g")
	for _, tc := range []struct {
		name   string
		splits int
		want   int // splits
	}{
		{"hint", 0, 1},
		{"splits=4", 4, 5}, // 4 ranges and the NULL keys
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := "ferry_small_" + strings.ReplaceAll(tc.name, "=", "")
			r, err := pgreader.Open(ctx, pgreader.Config{ConnString: withApp(app), Table: tbl, Splits: tc.splits})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			splits, err := r.Splits(ctx, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(splits) != tc.want {
				t.Fatalf("%d splits, want %d", len(splits), tc.want)
			}
			if tc.want > 1 {
				if ids := readSplits(t, ctx, r, splits); len(ids) != 10 || distinct(ids) != 10 {
					t.Fatalf("read %d rows (%d distinct), want 10", len(ids), distinct(ids))
				}
				return
			}
			var spec map[string]any
			if err := json.Unmarshal(splits[0].Spec, &spec); err != nil || spec["all"] != true {
				t.Fatalf("split %s, want the whole table", splits[0].Spec)
			}
			rr, err := r.Read(ctx, splits[0])
			if err != nil {
				t.Fatal(err)
			}
			defer rr.Release()
			var n int64
			for rr.Next() {
				if n == 0 { // the read is under way: on the Reader's connection
					if got := backends(t, app); got != 1 {
						t.Errorf("%d connections while reading, want 1 (the Reader's)", got)
					}
				}
				n += rr.RecordBatch().NumRows()
			}
			if err := rr.Err(); err != nil || n != 10 {
				t.Fatalf("read %d rows, %v; want 10", n, err)
			}
		})
	}
}

// TestBorrowedReadRetry: a read on the Reader's own connection that fails
// aborts the snapshot transaction; the retry of the split reads on a
// connection and snapshot of its own, and sees what was committed since.
func TestBorrowedReadRetry(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "retry")
	flag := tableName(t, "flag")
	exec(t, "CREATE TABLE "+tbl+" (n int)")
	exec(t, "INSERT INTO "+tbl+" SELECT g FROM generate_series(1, 10) g")
	exec(t, "CREATE TABLE "+flag+" (v int)")
	exec(t, "INSERT INTO "+flag+" VALUES (0)")
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), QuerySQL: "SELECT n, n / (SELECT v FROM " + flag + ") AS q FROM " + tbl})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	splits, err := r.Splits(ctx, 2)
	if err != nil || len(splits) != 1 {
		t.Fatalf("%d splits, %v; want 1", len(splits), err)
	}
	read := func() (int64, error) {
		rr, err := r.Read(ctx, splits[0])
		if err != nil {
			return 0, err
		}
		defer rr.Release()
		var n int64
		for rr.Next() {
			n += rr.RecordBatch().NumRows()
		}
		return n, rr.Err()
	}
	if _, err := read(); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("first read: %v, want division by zero", err)
	}
	exec(t, "UPDATE "+flag+" SET v = 1")
	if n, err := read(); err != nil || n != 10 {
		t.Fatalf("retry: %d rows, %v; want 10 rows on a snapshot of its own", n, err)
	}
}

// TestCloseDuringBorrowedRead: Close with a read on the Reader's connection
// not drained stops that read instead of waiting for it forever.
func TestCloseDuringBorrowedRead(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "close")
	exec(t, "CREATE TABLE "+tbl+" (n int)")
	exec(t, "INSERT INTO "+tbl+" SELECT g FROM generate_series(1, 5000) g")
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: tbl, BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	rr, err := r.Read(ctx, ferry.Split{ID: "all", Spec: json.RawMessage(`{"all":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !rr.Next() {
		t.Fatalf("no first batch: %v", rr.Err())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rr.Release()
}
