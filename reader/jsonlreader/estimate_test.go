package jsonlreader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/reader/jsonlreader"
)

func writeEstimateJSONL(t *testing.T, path string, rows int, lastBreak bool) int64 {
	t.Helper()
	var b strings.Builder
	for i := range rows {
		fmt.Fprintf(&b, `{"id": %d, "name": "name %d"}`, i, i%100)
		if i < rows-1 || lastBreak {
			b.WriteByte('\n')
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return int64(b.Len())
}

func TestEstimate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	small := filepath.Join(dir, "small.jsonl")
	smallSize := writeEstimateJSONL(t, small, 500, false)
	big := filepath.Join(dir, "big")
	require.NoError(t, os.Mkdir(big, 0o755))
	var bigSize int64
	for i := range 2 {
		bigSize += writeEstimateJSONL(t, filepath.Join(big, fmt.Sprintf("part%d.jsonl", i)), 60_000, true) // ~2 MB each
	}
	for _, tc := range []struct {
		path   string
		lo, hi int64
		bytes  int64
	}{
		{small, 500, 500, smallSize},
		{filepath.Join(big, "*.jsonl"), 114_000, 126_000, bigSize},
	} {
		r, err := jsonlreader.Open(ctx, jsonlreader.Config{Path: tc.path})
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
