package jsonlreader

import (
	"context"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the files' sizes and a row count extrapolated from the
// lines in the first MiB of the first file (counted, when it is the only
// file and fits the sample; blank lines make even that an estimate).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	return fileset.EstimateLines("jsonlreader", r.files, true, 0)
}
