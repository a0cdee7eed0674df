package csvreader

import (
	"context"
	"slices"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
)

var _ ferry.Estimator = (*Reader)(nil)

// Estimate returns the files' sizes and a row count extrapolated from the
// lines in the first MiB of the first file (a file that fits the sample
// is counted, less its header; quoted line breaks make even that an
// estimate). Compressed or re-encoded files get no row estimate: their
// size on disk says little about their lines.
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	plain := !slices.ContainsFunc(r.files, func(p string) bool { return !r.plain(p) })
	headers := int64(1)
	if r.cfg.NoHeader {
		headers = 0
	}
	return fileset.EstimateLines("csvreader", r.files, plain, headers)
}
