package parquetreader

import (
	"context"
	"fmt"
	"os"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the exact number of rows, from the files' footers, and
// the files' sizes.
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	var est ferry.Estimate
	for _, path := range r.files {
		if err := ctx.Err(); err != nil {
			return ferry.Estimate{}, err
		}
		if err := r.withFile(path, func(p *pqFile) error {
			est.Rows += p.pf.NumRows()
			return nil
		}); err != nil {
			return ferry.Estimate{}, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("parquetreader: %w", err)
		}
		est.Bytes += fi.Size()
	}
	est.Exact = true
	return est, nil
}
