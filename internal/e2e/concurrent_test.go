package e2e

import (
	"fmt"
	"sync"
	"testing"
)

// Eight ferry sync processes at once, from one PostgreSQL table into eight,
// and from it into eight MariaDB tables: every destination exact.
func TestEightConcurrentSyncs(t *testing.T) {
	pg, my := postgres(t), mariadb(t)
	src := "e2e_conc_src"
	pg.exec(t, pg.ddl(src))
	pg.exec(t, pg.gen(src, 1, srcRows, "new"))
	want := pg.checksum(t, src)
	for _, e := range []*engine{pg, my} {
		var wg sync.WaitGroup
		results := make([]result, 8)
		for i := range 8 {
			dst := fmt.Sprintf("e2e_conc_%s_%d", e.name, i)
			e.exec(t, e.ddl(dst))
			from := pg.withParams("table", src, "splitPk", "id", "batchRows", "2000")
			to := e.withParams("table", dst, "mode", "overwrite")
			wg.Go(func() {
				results[i] = runFerry(t, "", "sync", "--from", from, "--to", to, "--concurrency", "2", "--progress", "never", "--history", "off")
			})
		}
		wg.Wait()
		for i, r := range results {
			if r.killed || r.code != 0 {
				t.Fatalf("%s sync %d failed (exit %d): %s", e.name, i, r.code, r.errOut)
			}
			dst := fmt.Sprintf("e2e_conc_%s_%d", e.name, i)
			got := e.checksum(t, dst)
			if got.rows != want.rows || got.distinct != want.distinct {
				t.Fatalf("%s: %s holds %+v, want %+v", e.name, dst, got, want)
			}
			if e == pg && got != want {
				t.Fatalf("%s: %s holds %+v, want %+v", e.name, dst, got, want)
			}
		}
	}
	// The MariaDB copies equal each other exactly (their checksum is MariaDB's).
	first := my.checksum(t, "e2e_conc_my_0")
	for i := 1; i < 8; i++ {
		if got := my.checksum(t, fmt.Sprintf("e2e_conc_my_%d", i)); got != first {
			t.Fatalf("e2e_conc_my_%d holds %+v, e2e_conc_my_0 %+v", i, got, first)
		}
	}
}
