package pgreader

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/pgurl"
)

var _ ferry.Estimator = (*Reader)(nil)

// tableSize is what Open reads of a whole table's size, inside the
// snapshot: pg_class's reltuples (-1 when never analysed) and relpages, the
// pages the table has now, and its sizes with and without indexes.
type tableSize struct {
	tuples          float64
	pages, curPages int64
	total, table    int64
}

// Estimate returns the planner's idea of the source's size. A table read
// whole is estimated from pg_class, as Open read it inside the snapshot
// (no round trip): reltuples scaled to the table's current number of pages,
// as the planner does; a table never analysed or vacuumed (reltuples -1, or
// 0 with pages) is unknown. A Where condition or a QuerySQL is estimated by
// EXPLAIN, on a short connection of its own (the snapshot's connection may
// be reading). Bytes is the table's size on disk (whole tables only).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	if r.cfg.Table != "" && r.cfg.Where == "" && r.size != nil {
		sz := r.size
		est := ferry.Estimate{Bytes: sz.total}
		switch {
		case sz.tuples > 0 && sz.pages > 0:
			est.Rows = int64(sz.tuples / float64(sz.pages) * float64(max(sz.curPages, 1)))
		case sz.tuples > 0:
			est.Rows = int64(sz.tuples)
		}
		return est, nil
	}
	conn, err := pgurl.Connect(ctx, "pgreader", r.conncfg)
	if err != nil {
		return ferry.Estimate{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
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
