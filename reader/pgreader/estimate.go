package pgreader

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/pgurl"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the planner's idea of the source's size, on a short
// connection of its own (the snapshot's connection may be reading). A
// table read whole is estimated from pg_class: reltuples scaled to the
// table's current number of pages, as the planner does; a table never
// analysed or vacuumed (reltuples -1, or 0 with pages) is unknown. A Where
// condition or a QuerySQL is estimated by EXPLAIN. Bytes is the table's
// size on disk (whole tables only).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	conn, err := pgurl.Connect(ctx, "pgreader", r.conncfg)
	if err != nil {
		return ferry.Estimate{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if r.cfg.Table != "" && r.cfg.Where == "" {
		var tuples float64
		var pages, curPages, size int64
		err := conn.QueryRow(ctx, `SELECT c.reltuples::float8, c.relpages::int8,
				pg_relation_size(c.oid) / current_setting('block_size')::int8, pg_total_relation_size(c.oid)
			FROM pg_class c WHERE c.oid = $1::regclass`, r.base).Scan(&tuples, &pages, &curPages, &size)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("pgreader: estimate %s: %w", r.cfg.Table, err)
		}
		est := ferry.Estimate{Bytes: size}
		switch {
		case tuples > 0 && pages > 0:
			est.Rows = int64(tuples / float64(pages) * float64(max(curPages, 1)))
		case tuples > 0:
			est.Rows = int64(tuples)
		}
		return est, nil
	}
	q := "SELECT 1 FROM " + r.base
	if r.cfg.Where != "" {
		q += " WHERE (" + r.cfg.Where + ")"
	}
	var plan []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	var out []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&out); err != nil {
		return ferry.Estimate{}, fmt.Errorf("pgreader: estimate: %w", err)
	}
	if err := json.Unmarshal(out, &plan); err != nil || len(plan) == 0 {
		return ferry.Estimate{}, fmt.Errorf("pgreader: estimate: EXPLAIN said %.100q", out)
	}
	return ferry.Estimate{Rows: int64(plan[0].Plan.Rows)}, nil
}
