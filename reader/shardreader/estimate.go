package shardreader

import (
	"context"
	"fmt"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate sums the shards' estimates. The rows are unknown when a shard's
// are (a partial sum would make the percentage lie); they are exact when
// every shard's is.
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	est := ferry.Estimate{Exact: true}
	known := true
	for _, s := range r.shards {
		e, ok := s.Reader.(ferry.Estimator)
		if !ok {
			known, est.Exact = false, false
			continue
		}
		se, err := e.Estimate(ctx)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("shardreader: shard %s: %w", s.Name, err)
		}
		est.Bytes += se.Bytes
		est.Rows += se.Rows
		est.Exact = est.Exact && se.Exact
		// An exact 0 is an empty shard; an estimated 0 is unknown.
		known = known && (se.Rows > 0 || se.Exact)
	}
	if !known {
		est.Rows, est.Exact = 0, false
	}
	return est, nil
}
