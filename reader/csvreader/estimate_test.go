package csvreader_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/reader/csvreader"
)

func writeEstimateCSV(t *testing.T, path string, rows int) int64 {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d,name %d\n", i, i%100)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return int64(b.Len())
}

func TestEstimate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	small := filepath.Join(dir, "small.csv")
	smallSize := writeEstimateCSV(t, small, 1000)
	big := filepath.Join(dir, "big")
	require.NoError(t, os.Mkdir(big, 0o755))
	var bigSize int64
	for i := range 3 {
		bigSize += writeEstimateCSV(t, filepath.Join(big, fmt.Sprintf("part%d.csv", i)), 100_000) // ~1.6 MB each
	}
	gz := filepath.Join(dir, "z.csv.gz")
	f, err := os.Create(gz)
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	fmt.Fprintf(zw, "id,name\n1,a\n")
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	gzSize, _ := os.Stat(gz)

	for _, tc := range []struct {
		path   string
		lo, hi int64
		bytes  int64
	}{
		{small, 1000, 1000, smallSize},
		{filepath.Join(big, "*.csv"), 285_000, 315_000, bigSize},
		{gz, 0, 0, gzSize.Size()},
	} {
		r, err := csvreader.Open(ctx, csvreader.Config{Path: tc.path})
		require.NoError(t, err)
		est, err := r.Estimate(ctx)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.Equal(t, tc.bytes, est.Bytes, tc.path)
		require.GreaterOrEqual(t, est.Rows, tc.lo, "%s: %+v", tc.path, est)
		require.LessOrEqual(t, est.Rows, tc.hi, "%s: %+v", tc.path, est)
		require.False(t, est.Exact)
	}
}
