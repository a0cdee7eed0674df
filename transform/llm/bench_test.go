package llm_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/transform/llm"
)

// BenchmarkLocalServer measures the transform's own overhead against the
// local test server (no model time): requests/s and rows/s for 1 and 10
// rows per request, 8 requests in flight, cache off and cache hits.
func BenchmarkLocalServer(b *testing.B) {
	srv := openaitest.New(&openaitest.Options{Answer: classify})
	defer srv.Close()
	for _, bc := range []struct {
		name      string
		batchRows int
		cache     bool
	}{{"rows=1", 1, false}, {"rows=10", 10, false}, {"cached", 10, true}} {
		b.Run(bc.name, func(b *testing.B) {
			cache := "off"
			if bc.cache {
				cache = b.TempDir() + "/c.sqlite"
			}
			cfg := structured(srv.BaseURL, cache, bc.batchRows)
			cfg.Concurrency = 8
			tr, err := llm.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			in := uniqueBatch(1000)
			defer in.Release()
			warm := 0
			if bc.cache {
				warm = 1
			}
			openaitest.BenchTransform(b, tr, in, warm, func() (int64, int64) { u := tr.Usage(); return u.Requests, u.Rows })
		})
	}
}

// uniqueBatch has n rows with distinct titles, so that no prompt repeats.
func uniqueBatch(n int) arrow.RecordBatch {
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "title", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%s #%d", titles[i%len(titles)], i))
	}
	return b.NewRecordBatch()
}
