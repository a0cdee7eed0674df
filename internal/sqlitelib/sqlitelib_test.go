package sqlitelib

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConn(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	c, err := Open(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exec(ctx, `CREATE TABLE t (i INTEGER, f REAL, s TEXT, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	// One statement only: a stacked one is refused before anything runs.
	if err := c.Exec(ctx, `INSERT INTO t VALUES (1, 1, 'x', x'00'); DROP TABLE t`); err == nil || !strings.Contains(err.Error(), "more than one statement") {
		t.Fatalf("stacked statement: %v", err)
	}
	for _, q := range []string{`SELECT 1;`, `SELECT 1 -- a comment`, `SELECT 1; /* x */ ;`} {
		if err := c.Exec(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if err := c.Exec(ctx, `SELECT 1; SELECT 2`); err == nil {
		t.Error("two SELECTs accepted")
	}
	if err := c.Exec(ctx, `SELECT nosuch FROM t`); err == nil || !strings.Contains(err.Error(), "no such column: nosuch (1)") {
		t.Fatalf("error text: %v", err)
	}
	s, err := c.Prepare(`INSERT INTO t VALUES (?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("é", 100_000) // 200 KB: past the first 64 KiB chunk
	for _, row := range []struct {
		i    int64
		f    float64
		s    string
		b    []byte
		null bool
	}{{1, 0.5, "", []byte{}, false}, {2, -1e300, big, []byte(big), false}, {3, 0, "", nil, true}} {
		bd := s.Bind()
		bd.Int64(1, row.i)
		bd.Double(2, row.f)
		if row.null {
			bd.Null(3)
			bd.Null(4)
		} else {
			bd.TextBytes(3, append(bd.Free(), row.s...))
			bd.Blob(4, row.b)
		}
		if err := bd.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	rows, err := c.Query(ctx, `SELECT i, f, s IS NULL, length(s), typeof(b), length(b), s = ? FROM t ORDER BY i`, big)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{int64(1), 0.5, int64(0), int64(0), "blob", int64(0), int64(0)},
		{int64(2), -1e300, int64(0), int64(100_000), "blob", int64(200_000), int64(1)},
		{int64(3), 0.0, int64(1), nil, "null", nil, nil},
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Errorf("row %d col %d: %#v, want %#v", i, j, rows[i][j], want[i][j])
			}
		}
	}
}

// A cancelled context interrupts a running statement.
func TestInterrupt(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "i.db"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = c.Exec(ctx, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s) SELECT count(*) FROM s`)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("got %v", err)
	}
	ro, err := OpenReadOnly(filepath.Join(t.TempDir(), "missing.db"), 0)
	if err == nil {
		ro.Close()
		t.Fatal("read-only open of a missing file")
	}
}

// TestValues: values filled away from the connection (several executions
// of one Values, text past the first chunk, formatted in place or copied,
// empty text and blobs, NULL) are stored exactly, and a wrong number of
// values is refused.
func TestValues(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "v.db"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exec(ctx, `CREATE TABLE t (i INTEGER, f REAL, s TEXT, b BLOB, g TEXT)`); err != nil {
		t.Fatal(err)
	}
	s, err := c.Prepare(`INSERT INTO t VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := NewValues()
	defer v.Close()
	big := strings.Repeat("é", 50_000) // 100 KB: past the first 64 KiB chunk
	for run := int64(0); run < 3; run++ {
		v.Reset(10)
		for r := int64(0); r < 2; r++ {
			k := int(r*5) + 1
			v.Int64(k, run*2+r)
			v.Double(k+1, float64(run)-0.25)
			switch r {
			case 0:
				v.Text(k+2, big)
				v.Blob(k+3, []byte(big))
				v.TextBytes(k+4, append(v.Free(), "in place"...))
			case 1:
				v.TextBytes(k+2, []byte{})
				v.Blob(k+3, nil)
				v.Null(k + 4)
			}
		}
		if err := s.RunValues(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	v.Reset(3)
	if err := s.RunValues(ctx, v); err == nil || !strings.Contains(err.Error(), "3 values for 10 parameters") {
		t.Errorf("3 values: %v", err)
	}
	rows, err := c.Query(ctx, `SELECT i, f, typeof(s), length(s), s = ?, typeof(b), length(b), g FROM t ORDER BY i`, big)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	for i, row := range rows {
		run := float64(i / 2)
		want := []any{int64(i), run - 0.25, "text", int64(50_000), int64(1), "blob", int64(100_000), "in place"}
		if i%2 == 1 {
			want = []any{int64(i), run - 0.25, "text", int64(0), int64(0), "blob", int64(0), nil}
		}
		for j := range want {
			if row[j] != want[j] {
				t.Errorf("row %d col %d: %#v, want %#v", i, j, row[j], want[j])
			}
		}
	}
}

// TestColumnValue: Rows.Column reads every storage class (and empty text
// and blobs) as the per-column accessors do.
func TestColumnValue(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "c.db"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := c.Start(ctx, `SELECT 42, -0.5, 'ünï', x'00ff', NULL, '', x'', 9223372036854775807 UNION ALL SELECT 1, 2, 3, 4, 5, 6, 7, 8`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for n := 0; ; n++ {
		more, err := rows.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			if n != 2 {
				t.Fatalf("%d rows, want 2", n)
			}
			break
		}
		for i := range rows.Stmt().NumColumns() {
			v := rows.Column(i)
			if v.Type() != rows.Type(i) {
				t.Errorf("row %d col %d: type %d, Rows.Type %d", n, i, v.Type(), rows.Type(i))
			}
			switch v.Type() {
			case Integer:
				if v.Int64() != rows.Int64(i) {
					t.Errorf("row %d col %d: %d, want %d", n, i, v.Int64(), rows.Int64(i))
				}
			case Float:
				if v.Double() != rows.Double(i) {
					t.Errorf("row %d col %d: %g, want %g", n, i, v.Double(), rows.Double(i))
				}
			case Text:
				if v.TextView() != rows.TextView(i) {
					t.Errorf("row %d col %d: %q, want %q", n, i, v.TextView(), rows.TextView(i))
				}
			case Blob:
				if string(v.BlobView()) != string(rows.BlobView(i)) || v.BlobView() == nil {
					t.Errorf("row %d col %d: %x, want %x", n, i, v.BlobView(), rows.BlobView(i))
				}
			}
		}
		if n == 0 && (rows.Column(2).TextView() != "ünï" || string(rows.Column(3).BlobView()) != "\x00\xff" || rows.Column(4).Type() != Null) {
			t.Errorf("row 0: %q %x %d", rows.Column(2).TextView(), rows.Column(3).BlobView(), rows.Column(4).Type())
		}
	}
}
