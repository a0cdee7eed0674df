package embed_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/transform/embed"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

// BenchmarkLocalServer measures the transform against the local test server
// (no model time): 10,000 texts a batch, 256 a request, 4 in flight,
// 256-dimensional vectors; uncached and from the cache.
func BenchmarkLocalServer(b *testing.B) {
	srv := openaitest.New(&openaitest.Options{Dim: 256})
	defer srv.Close()
	names := texts(10000)
	in := batch(memory.DefaultAllocator, names, names)
	defer in.Release()
	for _, cached := range []bool{false, true} {
		name := "uncached"
		cache := "off"
		if cached {
			name, cache = "cached", b.TempDir()+"/c.sqlite"
		}
		b.Run(name, func(b *testing.B) {
			tr, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL, Concurrency: 4}, Model: "m", Columns: []string{"name"}, Dim: 256, Cache: cache})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			warm := 0
			if cached {
				warm = 1
			}
			openaitest.BenchTransform(b, tr, in, warm, func() (int64, int64) { u := tr.Usage(); return u.Requests, u.Rows })
		})
	}
}
