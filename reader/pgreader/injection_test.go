package pgreader_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrydata/ferry/reader/pgreader"
)

const victim = "ferry_inj_r_victim"

var payloads = []string{
	`x (x int); DROP TABLE ` + victim + `; CREATE TABLE IF NOT EXISTS "y"`,
	`t"; DROP TABLE ` + victim + `; --`,
	`id; DROP TABLE ` + victim,
	`id" FROM pg_class; DROP TABLE ` + victim + `; --`,
	`"id"; DROP TABLE ` + victim + `; --`,
	`id') ; DROP TABLE ` + victim + `; --`,
}

// TestInjection sends every payload through table, columns and splitPk:
// the reader fails with an error naming the bad name, and the victim (in a
// database where the reader could write) survives.
func TestInjection(t *testing.T) {
	ctx := context.Background()
	exec(t, "DROP TABLE IF EXISTS "+victim)
	exec(t, "CREATE TABLE "+victim+" (id int)")
	t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+victim) })
	c := connect(t)
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (id bigint PRIMARY KEY, v text)")
	exec(t, "INSERT INTO "+tbl+" SELECT g, 'x' FROM generate_series(1, 100) g")
	for _, p := range payloads {
		for _, cfg := range []pgreader.Config{
			{Table: p},
			{Table: tbl, Columns: []string{"id", p}},
			{Table: tbl, SplitPK: p},
		} {
			cfg.ConnString = connString()
			r, err := pgreader.Open(ctx, cfg)
			if err == nil {
				sp, serr := r.Splits(ctx, 4)
				if serr == nil {
					for _, s := range sp {
						rr, rerr := r.Read(ctx, s)
						if rerr == nil {
							for rr.Next() {
							}
							rerr = rr.Err()
							rr.Release()
						}
						if rerr != nil {
							err = rerr
						}
					}
				} else {
					err = serr
				}
				r.Close()
			}
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = $1", victim).Scan(&n); err != nil || n != 1 {
				t.Fatalf("%+v: the victim was dropped", cfg)
			}
			if err == nil {
				t.Errorf("table %q columns %q splitPk %q: read without error", cfg.Table, cfg.Columns, cfg.SplitPK)
			} else if !strings.Contains(err.Error(), "pgreader") {
				t.Errorf("unclear error %v", err)
			}
		}
	}
	// a qualified name with quoted parts holding dots and quotes is read
	exec(t, `CREATE SCHEMA IF NOT EXISTS "ferry_inj.s"`)
	t.Cleanup(func() { connect(t).Exec(ctx, `DROP SCHEMA IF EXISTS "ferry_inj.s" CASCADE`) })
	exec(t, `CREATE TABLE IF NOT EXISTS "ferry_inj.s"."t""x.y" (id int PRIMARY KEY)`)
	exec(t, `INSERT INTO "ferry_inj.s"."t""x.y" VALUES (1), (2) ON CONFLICT DO NOTHING`)
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: `"ferry_inj.s"."t""x.y"`})
	if err != nil {
		t.Fatalf("quoted qualified name: %v", err)
	}
	defer r.Close()
	sp, err := r.Splits(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if ids := readSplits(t, ctx, r, sp); len(ids) != 2 {
		t.Errorf("read %d rows of the oddly named table, want 2", len(ids))
	}
}
