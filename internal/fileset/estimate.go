package fileset

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/ferrydata/ferry"
)

// EstimateSample is how much of the first file EstimateLines reads to learn
// the bytes per line.
const EstimateSample = 1 << 20

// EstimateLines estimates line-oriented files (CSV, JSON Lines) for
// ferry.Estimator: their sizes, and with countRows a row count extrapolated
// from the line breaks in the first EstimateSample bytes of the first file
// (counted, when it is the only file and fits the sample), less
// headerLines per file. Quoted or blank lines make even the count an
// estimate. pkg prefixes errors.
func EstimateLines(pkg string, files []string, countRows bool, headerLines int64) (ferry.Estimate, error) {
	var est ferry.Estimate
	for _, path := range files {
		fi, err := os.Stat(path)
		if err != nil {
			return ferry.Estimate{}, fmt.Errorf("%s: %w", pkg, err)
		}
		est.Bytes += fi.Size()
	}
	if !countRows || len(files) == 0 || est.Bytes == 0 {
		return est, nil
	}
	f, err := os.Open(files[0])
	if err != nil {
		return ferry.Estimate{}, fmt.Errorf("%s: %w", pkg, err)
	}
	defer f.Close()
	buf := make([]byte, EstimateSample)
	k, err := io.ReadFull(f, buf)
	whole := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !whole {
		return ferry.Estimate{}, fmt.Errorf("%s: %w", pkg, err)
	}
	buf = buf[:k]
	lines := int64(bytes.Count(buf, []byte{'\n'}))
	if whole && k > 0 && buf[k-1] != '\n' {
		lines++
	}
	headers := headerLines * int64(len(files))
	switch {
	case whole && len(files) == 1:
		est.Rows = lines - headers
	case k > 0:
		est.Rows = int64(float64(est.Bytes)*float64(lines)/float64(k)) - headers
	}
	est.Rows = max(est.Rows, 0)
	return est, nil
}
