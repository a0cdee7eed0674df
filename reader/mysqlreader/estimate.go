package mysqlreader

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the table's size from information_schema.TABLES:
// TABLE_ROWS (InnoDB's sampled estimate; exact for MyISAM and Aria, but
// said to be an estimate all the same) and DATA_LENGTH + INDEX_LENGTH. A
// Where condition or a QuerySQL is not estimated (unknown).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	if r.cfg.Table == "" || r.cfg.Where != "" {
		return ferry.Estimate{}, nil
	}
	var rows, size sql.NullInt64
	err := r.db.QueryRowContext(ctx, `SELECT TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?`, r.table.DB, r.table.Name).Scan(&rows, &size)
	if err == sql.ErrNoRows {
		return ferry.Estimate{}, nil
	}
	if err != nil {
		return ferry.Estimate{}, fmt.Errorf("mysqlreader: estimate %s: %w", r.cfg.Table, err)
	}
	return ferry.Estimate{Rows: max(rows.Int64, 0), Bytes: max(size.Int64, 0)}, nil
}
