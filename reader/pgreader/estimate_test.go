package pgreader_test

import (
	"context"
	"testing"

	"github.com/ferrydata/ferry/reader/pgreader"
)

func TestEstimate(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "est")
	never := tableName(t, "est_never")
	exec(t, "CREATE TABLE "+tbl+" (n int PRIMARY KEY, k text)")
	exec(t, "INSERT INTO "+tbl+" SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
	exec(t, "ANALYZE "+tbl)
	exec(t, "CREATE TABLE "+never+" (n int) WITH (autovacuum_enabled = false)")
	exec(t, "INSERT INTO "+never+" SELECT generate_series(1, 100)")
	for _, tc := range []struct {
		name     string
		cfg      pgreader.Config
		lo, hi   int64
		hasBytes bool
	}{
		{"table", pgreader.Config{Table: tbl}, 20000, 20000, true},
		{"where", pgreader.Config{Table: tbl, Where: "n <= 5000"}, 4000, 6000, false},
		{"query", pgreader.Config{QuerySQL: "SELECT n FROM " + tbl + " WHERE n > 10000"}, 8000, 12000, false},
		{"never analysed", pgreader.Config{Table: never}, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.ConnString = connString()
			r, err := pgreader.Open(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Splits(ctx, 4); err != nil {
				t.Fatal(err)
			}
			est, err := r.Estimate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if est.Rows < tc.lo || est.Rows > tc.hi || est.Exact {
				t.Errorf("estimate %+v, want rows in [%d, %d], not exact", est, tc.lo, tc.hi)
			}
			if (est.Bytes > 0) != tc.hasBytes {
				t.Errorf("estimate %+v: bytes known %v, want %v", est, est.Bytes > 0, tc.hasBytes)
			}
		})
	}
}
