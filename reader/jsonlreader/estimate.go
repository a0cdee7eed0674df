package jsonlreader

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ferrydata/ferry"
)

var _ ferry.Estimator = (*Reader)(nil)

// estimateSample is how much of the first file Estimate reads to learn the
// bytes per line.
const estimateSample = 1 << 20

// Estimate returns the files' sizes and a row count extrapolated from the
// lines in the first MiB of the first file (counted, when it is the only
// file and fits the sample; blank lines make even that an estimate).
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	var est ferry.Estimate
	for _, path := range r.files {
		fi, err := os.Stat(path)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("jsonlreader: %w", err)
		}
		est.Bytes += fi.Size()
	}
	if len(r.files) == 0 || est.Bytes == 0 {
		return est, nil
	}
	f, err := os.Open(r.files[0])
	if err != nil {
		return ferry.Estimate{}, fmt.Errorf("jsonlreader: %w", err)
	}
	defer f.Close()
	buf := make([]byte, estimateSample)
	k, err := io.ReadFull(f, buf)
	whole := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !whole {
		return ferry.Estimate{}, fmt.Errorf("jsonlreader: %w", err)
	}
	buf = buf[:k]
	lines := int64(bytes.Count(buf, []byte{'\n'}))
	if whole && k > 0 && buf[k-1] != '\n' {
		lines++
	}
	switch {
	case whole && len(r.files) == 1:
		est.Rows = lines
	case k > 0:
		est.Rows = int64(float64(est.Bytes) * float64(lines) / float64(k))
	}
	return est, nil
}
