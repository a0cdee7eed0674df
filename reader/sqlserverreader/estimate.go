package sqlserverreader

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the table's rows from sys.partitions (the heap or the
// clustered index, summed over partitions: maintained by the engine, an
// estimate only while transactions are in flight) and its reserved size
// from sys.allocation_units. A Where condition or a QuerySQL is not
// estimated (unknown).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	q, ok := r.estimateSQL()
	if !ok {
		return ferry.Estimate{}, nil
	}
	var rows, pages sql.NullInt64
	if err := r.db.QueryRowContext(ctx, q).Scan(&rows, &pages); err != nil {
		return ferry.Estimate{}, fmt.Errorf("sqlserverreader: estimate %s: %w", r.table.Quoted, err)
	}
	return ferry.Estimate{Rows: max(rows.Int64, 0), Bytes: max(pages.Int64, 0) * 8192}, nil
}

// estimateSQL is Estimate's query, false when the source is not a whole
// table.
func (r *Reader) estimateSQL() (string, bool) {
	src := r.cfg.Source
	if src.QuerySQL != "" || src.Where != "" || r.table.Quoted == "" {
		return "", false
	}
	c := r.table.Catalog
	return fmt.Sprintf(`SELECT
  (SELECT SUM(p.rows) FROM %[1]ssys.partitions p WHERE p.object_id = OBJECT_ID(N'%[2]s') AND p.index_id IN (0, 1)),
  (SELECT SUM(a.total_pages) FROM %[1]ssys.partitions p JOIN %[1]ssys.allocation_units a ON a.container_id = p.partition_id
    WHERE p.object_id = OBJECT_ID(N'%[2]s'))`, c, quoteN(r.table.Quoted)), true
}

// quoteN doubles the single quotes of s, for an N'...' literal.
func quoteN(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == '\'' {
			out = append(out, '\'')
		}
	}
	return string(out)
}
