package memreader

import (
	"context"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the exact number of rows the Reader serves, over every
// repeat.
func (r *Reader) Estimate(context.Context) (ferry.Estimate, error) {
	var rows int64
	for _, b := range r.batches {
		rows += b.NumRows()
	}
	return ferry.Estimate{Rows: rows * int64(r.opts.Repeat), Exact: true}, nil
}
