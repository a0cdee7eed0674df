package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/job"
	"github.com/ferrydata/ferry/reader/parquetreader"
)

// TestJobFile runs the same flow as a Ferry job file: the "llm" and "embed"
// transforms come from the registry this program's imports fill.
func TestJobFile(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Answer: answer, Dim: 16})
	defer srv.Close()
	dir := t.TempDir()
	csv := filepath.Join(dir, "products.csv")
	require.NoError(t, os.WriteFile(csv, []byte(demoCSV), 0o644))
	out := filepath.Join(dir, "out.parquet")
	cache := filepath.Join(dir, "cache.sqlite")
	data := fmt.Sprintf(`{
	  "source": {"url": "csv://%s"},
	  "destination": {"url": "parquet://%s"},
	  "transforms": [
	    {"name": "llm", "parameter": {"baseUrl": %q, "model": "test-chat", "batchRows": 6, "cache": %q, "timeout": "30s",
	      "prompt": "Product: {{.name}}\nDescription: {{.description}}",
	      "columns": [{"name": "category", "enum": ["footwear","clothing","electronics","furniture","kitchen","outdoor","other"]}]}},
	    {"name": "embed", "parameter": {"baseUrl": %q, "model": "test-embed", "columns": ["description"], "dim": 16, "cache": %q}}
	  ],
	  "dirty": {"maxRows": 0}
	}`, csv, out, srv.BaseURL, cache, srv.BaseURL, cache)
	p, err := job.Parse([]byte(data), &job.Options{Name: "aiclassify.json"})
	require.NoError(t, err)
	sum, err := p.Run(context.Background(), nil)
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.Equal(t, int64(12), sum.RowsWritten)
	require.Equal(t, 2, srv.Requests(openaitest.Chat))
	require.Equal(t, 1, srv.Requests(openaitest.Embeddings))

	r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: out})
	require.NoError(t, err)
	defer r.Close()
	s, err := r.Schema(context.Background())
	require.NoError(t, err)
	require.Equal(t, "fixed_size_list<item: float32, nullable>[16]", s.Field(s.FieldIndices("embedding")[0]).Type.String())
	require.True(t, s.HasField("category"))
}
