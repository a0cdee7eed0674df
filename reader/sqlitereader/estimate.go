package sqlitereader

import (
	"context"
	"fmt"
	"os"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the database file's size and the table's rows: for a
// rowid table, max(rowid) - min(rowid) + 1 (two b-tree seeks: exact unless
// rows were deleted); otherwise count(*), exact (SQLite has no cheaper
// figure: sqlite_stat1 is only there after ANALYZE). A Where condition or
// a QuerySQL is not estimated (unknown rows).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	var est ferry.Estimate
	if fi, err := os.Stat(r.cfg.Path); err == nil {
		est.Bytes = fi.Size()
	}
	if r.cfg.QuerySQL != "" || r.cfg.Where != "" || r.from == "" {
		return est, nil
	}
	c, err := openConn(ctx, r.cfg.Path)
	if err != nil {
		return ferry.Estimate{}, err
	}
	defer c.Close()
	if r.keyIsRowid {
		q := fmt.Sprintf("SELECT (SELECT min(%s) FROM %s), (SELECT max(%s) FROM %s)", r.key, r.from, r.key, r.from)
		mm, err := queryAll(ctx, c, q)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("sqlitereader: %s: estimate %s: %w", r.cfg.Path, r.cfg.Table, err)
		}
		lo, ok1 := mm[0][0].(int64)
		hi, ok2 := mm[0][1].(int64)
		if ok1 && ok2 && hi >= lo {
			est.Rows = hi - lo + 1
		} else {
			est.Exact = true // empty
		}
		return est, nil
	}
	n, err := queryAll(ctx, c, "SELECT count(*) FROM "+r.from)
	if err != nil {
		return ferry.Estimate{}, fmt.Errorf("sqlitereader: %s: estimate %s: %w", r.cfg.Path, r.cfg.Table, err)
	}
	est.Rows, _ = n[0][0].(int64)
	est.Exact = true
	return est, nil
}
