package csvreader

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
// lines in the first MiB of the first file (a file that fits the sample
// is counted, less its header; quoted line breaks make even that an
// estimate). Compressed or re-encoded files get no row estimate: their
// size on disk says little about their lines.
func (r *Reader) Estimate(ctx context.Context) (ferry.Estimate, error) {
	var est ferry.Estimate
	plain := true
	for _, path := range r.files {
		fi, err := os.Stat(path)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("csvreader: %w", err)
		}
		est.Bytes += fi.Size()
		plain = plain && r.plain(path)
	}
	if !plain || len(r.files) == 0 || est.Bytes == 0 {
		return est, nil
	}
	lines, sampled, whole, err := sampleLines(r.files[0], estimateSample)
	if err != nil {
		return ferry.Estimate{}, err
	}
	headers := int64(0)
	if !r.cfg.NoHeader {
		headers = int64(len(r.files))
	}
	switch {
	case whole && len(r.files) == 1:
		est.Rows = lines - headers
	case sampled > 0:
		est.Rows = int64(float64(est.Bytes)*float64(lines)/float64(sampled)) - headers
	}
	est.Rows = max(est.Rows, 0)
	return est, nil
}

// sampleLines counts the lines in the first n bytes of path (a last line
// without a line break counts when the file ends within them); whole
// reports that the sample was the whole file.
func sampleLines(path string, n int) (lines, sampled int64, whole bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false, fmt.Errorf("csvreader: %w", err)
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		whole = true
	default:
		return 0, 0, false, fmt.Errorf("csvreader: %w", err)
	}
	buf = buf[:k]
	lines = int64(bytes.Count(buf, []byte{'\n'}))
	if whole && k > 0 && buf[k-1] != '\n' {
		lines++
	}
	return lines, int64(k), whole, nil
}
