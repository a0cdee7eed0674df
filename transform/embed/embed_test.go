package embed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/transform/embed"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("product %d: a sturdy thing number %d", i, i*7)
	}
	return out
}

// batch makes id int64, name utf8, descr utf8 (NULL where descr is "\x00").
func batch(mem memory.Allocator, names, descrs []string) arrow.RecordBatch {
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "descr", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for i := range names {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		for j, v := range []string{names[i], descrs[i]} {
			if v == "\x00" {
				b.Field(1 + j).AppendNull()
			} else {
				b.Field(1 + j).(*array.StringBuilder).Append(v)
			}
		}
	}
	return b.NewRecordBatch()
}

func vectors(t *testing.T, b arrow.RecordBatch, col int) [][]float32 {
	t.Helper()
	l := b.Column(col).(*array.FixedSizeList)
	vals := l.ListValues().(*array.Float32)
	dim := int(l.DataType().(*arrow.FixedSizeListType).Len())
	out := make([][]float32, l.Len())
	for i := range out {
		if l.IsNull(i) {
			continue
		}
		off := int(l.Offset()+i) * dim
		out[i] = append([]float32(nil), vals.Float32Values()[off:off+dim]...)
	}
	return out
}

func bitsEqual(t *testing.T, want, got []float32, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: element %d", msg, i)
	}
}

func run(t *testing.T, tr ferry.Transformer, b arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	_, err := tr.OutputSchema(b.Schema())
	require.NoError(t, err)
	out, err := tr.Transform(context.Background(), b)
	require.NoError(t, err)
	return out
}

// TestBatchingAndConcurrency: 600 texts, at most 256 a request and 2 in
// flight: 3 requests of 256, 256 and 88 inputs; vectors exact.
func TestBatchingAndConcurrency(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	srv := openaitest.New(&openaitest.Options{Dim: 16, Delay: 20 * time.Millisecond})
	defer srv.Close()
	tr, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL, Concurrency: 2}, Model: "test-embed", Columns: []string{"name"}, Dim: 16,
		BatchInputs: 256, Cache: "off", Allocator: mem, PricePerMillion: 0.02})
	require.NoError(t, err)
	defer tr.Close()
	names := texts(600)
	in := batch(mem, names, names)
	defer in.Release()
	out := run(t, tr, in)
	defer out.Release()
	require.Equal(t, 3, srv.Requests(openaitest.Embeddings))
	var sizes []int
	for _, r := range srv.Log() {
		sizes = append(sizes, r.Inputs)
	}
	require.ElementsMatch(t, []int{256, 256, 88}, sizes)
	require.LessOrEqual(t, srv.MaxInFlight(), 2)
	require.Equal(t, embed.VectorType(16), out.Schema().Field(3).Type)
	for i, v := range vectors(t, out, 3) {
		bitsEqual(t, openaitest.Vector(names[i], 16), v, names[i])
	}
	u := tr.Usage()
	require.Equal(t, int64(600), u.Inputs)
	require.Positive(t, u.Tokens)
	require.InDelta(t, float64(u.Tokens)*0.02/1e6, u.EstimatedCost, 1e-12)

	// The token cap cuts requests too.
	srv.Reset()
	tr2, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL}, Model: "test-embed", Columns: []string{"name"}, Dim: 16,
		BatchTokens: 100, Cache: "off", Allocator: mem})
	require.NoError(t, err)
	defer tr2.Close()
	out2 := run(t, tr2, in)
	out2.Release()
	for _, r := range srv.Log() {
		var body struct{ Input []string }
		require.NoError(t, json.Unmarshal(r.Body, &body))
		tok := 0
		for _, s := range body.Input {
			tok += openai.EstimateTokens(s)
		}
		require.LessOrEqual(t, tok, 100)
	}
	require.Greater(t, srv.Requests(openaitest.Embeddings), 50)
}

// TestProbeAndCache: without Dim one probe call learns the dimension; a
// rerun over the same cache file makes no call at all and returns the same bits.
func TestProbeAndCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tg := openaitest.NewTarget(t, &openaitest.Options{Dim: 12})
	cache := filepath.Join(t.TempDir(), "cache.sqlite")
	names := texts(50)
	in := batch(mem, names, names)
	defer in.Release()
	var first [][]float32
	for pass := 0; pass < 2; pass++ {
		tr, err := embed.New(embed.Config{API: openai.API{BaseURL: tg.BaseURL, APIKeyEnv: tg.KeyEnv}, Model: tg.EmbedModel, Columns: []string{"name", "descr"}, Cache: cache, Allocator: mem})
		require.NoError(t, err)
		s, err := tr.OutputSchema(in.Schema())
		require.NoError(t, err)
		dim := int(s.Field(3).Type.(*arrow.FixedSizeListType).Len())
		if tg.Local != nil {
			require.Equal(t, 12, dim)
		}
		out, err := tr.Transform(context.Background(), in)
		require.NoError(t, err)
		got := vectors(t, out, 3)
		out.Release()
		require.NoError(t, tr.Close())
		if pass == 0 {
			first = got
			require.Equal(t, int64(2), tr.Usage().Requests) // probe + one batch
			if tg.Local != nil {
				bitsEqual(t, openaitest.Vector(names[3]+"\n"+names[3], 12), got[3], "two columns joined by a newline")
			}
			continue
		}
		require.Zero(t, tr.Usage().Requests, "the rerun made calls")
		require.Equal(t, int64(50), tr.Usage().CachedInputs)
		for i := range first {
			bitsEqual(t, first[i], got[i], "cached vector")
		}
	}
}

// TestWrongDimension: an answer of another dimension fails the batch, not
// retryable, naming both dimensions.
func TestWrongDimension(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Dim: 8})
	defer srv.Close()
	srv.Fail(openaitest.Embeddings, openaitest.Fault{Dim: 7})
	tr, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL}, Model: "m", Columns: []string{"name"}, Dim: 8, Cache: "off"})
	require.NoError(t, err)
	defer tr.Close()
	in := batch(memory.DefaultAllocator, []string{"a", "b"}, []string{"a", "b"})
	defer in.Release()
	_, err = tr.OutputSchema(in.Schema())
	require.NoError(t, err)
	_, err = tr.Transform(context.Background(), in)
	require.ErrorContains(t, err, "returned 7 dimensions for row 0, want 8")
	require.Equal(t, ferry.ClassFatal, ferry.Classify(err))
}

// TestRetriesAndDown: faults are retried; a server that is gone is a
// retryable error after the client's retries.
func TestRetriesAndDown(t *testing.T) {
	srv := openaitest.New(nil)
	srv.Fail(openaitest.Embeddings, openaitest.Fault{Status: 429, RetryAfter: "0"}, openaitest.Fault{Drop: true},
		openaitest.Fault{Truncate: true}, openaitest.Fault{Status: 502})
	cfg := embed.Config{API: openai.API{BaseURL: srv.BaseURL}, Model: "m", Columns: []string{"name"}, Dim: 8, Cache: "off"}
	cfg.InitialBackoff, cfg.MaxBackoff = time.Millisecond, 5*time.Millisecond
	tr, err := embed.New(cfg)
	require.NoError(t, err)
	defer tr.Close()
	in := batch(memory.DefaultAllocator, []string{"a", "b"}, []string{"a", "b"})
	defer in.Release()
	out := run(t, tr, in)
	out.Release()
	require.Equal(t, 5, srv.Requests(openaitest.Embeddings))
	require.Equal(t, int64(4), tr.Usage().Retries)

	srv.Close()
	cfg.MaxRetries = 1
	tr2, err := embed.New(cfg)
	require.NoError(t, err)
	defer tr2.Close()
	_, err = tr2.OutputSchema(in.Schema())
	require.NoError(t, err)
	_, err = tr2.Transform(context.Background(), in)
	require.Error(t, err)
	require.True(t, ferry.IsRetryable(err), "%v", err)
}

// TestNullAndEmptyText: NULL or empty text is a NULL vector and no input.
func TestNullAndEmptyText(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	srv := openaitest.New(nil)
	defer srv.Close()
	tr, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL}, Model: "m", Columns: []string{"name", "descr"}, Dim: 8, Cache: "off", Allocator: mem})
	require.NoError(t, err)
	defer tr.Close()
	in := batch(mem, []string{"\x00", "", "x", "\x00"}, []string{"\x00", "", "\x00", "y"})
	defer in.Release()
	out := run(t, tr, in)
	defer out.Release()
	v := vectors(t, out, 3)
	require.Nil(t, v[0])
	require.Nil(t, v[1])
	bitsEqual(t, openaitest.Vector("x", 8), v[2], "x")
	bitsEqual(t, openaitest.Vector("y", 8), v[3], "y")
	require.Equal(t, 2, srv.Log()[0].Inputs)
}

// TestChunking: long text becomes one row per chunk with its index and
// text; the other columns repeat; short text is one chunk.
func TestChunking(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	srv := openaitest.New(nil)
	defer srv.Close()
	tr, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL}, Model: "m", Columns: []string{"descr"}, Dim: 8, Cache: "off", Allocator: mem,
		ChunkChars: 20, ChunkOverlap: 5})
	require.NoError(t, err)
	defer tr.Close()
	long := "the quick brown fox jumps over the lazy dog and runs far away"
	in := batch(mem, []string{"a", "b", "c"}, []string{"short", long, "\x00"})
	defer in.Release()
	out := run(t, tr, in)
	defer out.Release()
	chunks := embed.Chunks(long, 20, 5)
	require.Greater(t, len(chunks), 3)
	require.Equal(t, int64(1+len(chunks)+1), out.NumRows())
	require.Equal(t, []string{"id", "name", "descr", "chunk_index", "chunk_text", "embedding"}, func() (n []string) {
		for _, f := range out.Schema().Fields() {
			n = append(n, f.Name)
		}
		return
	}())
	ids := out.Column(0).(*array.Int64)
	idx := out.Column(3).(*array.Int32)
	txt := out.Column(4).(*array.String)
	vec := vectors(t, out, 5)
	require.Equal(t, int64(0), ids.Value(0))
	require.Equal(t, "short", txt.Value(0))
	for k, c := range chunks {
		i := 1 + k
		require.Equal(t, int64(1), ids.Value(i))
		require.Equal(t, "b", out.Column(1).ValueStr(i))
		require.Equal(t, int32(k), idx.Value(i))
		require.Equal(t, c, txt.Value(i))
		require.LessOrEqual(t, len([]rune(c)), 20)
		bitsEqual(t, openaitest.Vector(c, 8), vec[i], c)
	}
	last := int(out.NumRows()) - 1
	require.Equal(t, int64(2), ids.Value(last))
	require.True(t, idx.IsNull(last))
	require.Nil(t, vec[last])
}

func TestChunks(t *testing.T) {
	require.Equal(t, []string{"abc"}, embed.Chunks("abc", 5, 1))
	require.Equal(t, []string{"aaaaa", "aaaab", "abbbb", "bbbbc"}, embed.Chunks("aaaaaaabbbbbbc", 5, 2))
	require.Equal(t, []string{"one two", "two three", "three four"}, embed.Chunks("one two three four", 10, 5))
	got := embed.Chunks(strings.Repeat("é", 25), 10, 0)
	require.Equal(t, []string{strings.Repeat("é", 10), strings.Repeat("é", 10), strings.Repeat("é", 5)}, got)
}

func TestConfigErrors(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "t", Type: arrow.BinaryTypes.String}, {Name: "embedding", Type: arrow.BinaryTypes.String}}, nil)
	for _, tc := range []struct {
		cfg embed.Config
		err string
	}{
		{embed.Config{Columns: []string{"t"}}, "no model"},
		{embed.Config{Model: "m"}, "no text columns"},
		{embed.Config{Model: "m", Columns: []string{"t"}, SendDimensions: true}, "sendDimensions needs dim"},
		{embed.Config{Model: "m", Columns: []string{"t"}, ChunkChars: 10, ChunkOverlap: 10}, "chunkOverlap"},
		{embed.Config{Model: "m", Columns: []string{"x"}, Dim: 4}, `no column "x"`},
		{embed.Config{Model: "m", Columns: []string{"n"}, Dim: 4}, "not text"},
		{embed.Config{Model: "m", Columns: []string{"t"}, Dim: 4}, "already a source column"},
	} {
		c := tc.cfg
		c.Cache = "off"
		tr, err := embed.New(c)
		if err == nil {
			_, err = tr.OutputSchema(s)
			tr.Close()
		}
		require.ErrorContains(t, err, tc.err)
	}
}

func TestJobFile(t *testing.T) {
	srv := openaitest.New(nil)
	defer srv.Close()
	p := fmt.Sprintf(`{"baseUrl":%q,"model":"m","columns":["name"],"dim":8,"output":"vec","cache":"off","timeout":"5s","batchInputs":2}`, srv.BaseURL)
	tr, err := transform.Build(transform.Spec{Name: "embed", Parameter: json.RawMessage(p)})
	require.NoError(t, err)
	defer tr.(interface{ Close() error }).Close()
	in := batch(memory.DefaultAllocator, []string{"a", "b", "c"}, []string{"a", "b", "c"})
	defer in.Release()
	out := run(t, tr, in)
	defer out.Release()
	require.Equal(t, "vec", out.Schema().Field(3).Name)
	require.Equal(t, 2, srv.Requests(openaitest.Embeddings))
	_, err = transform.Build(transform.Spec{Name: "embed", Parameter: json.RawMessage(`{"model":"m","colums":["x"]}`)})
	require.ErrorContains(t, err, `unknown field "colums"`)
}

// TestEncodingFormats: base64 (the default) and float answers decode to the
// same bits, also when a server answers floats to a base64 request.
func TestEncodingFormats(t *testing.T) {
	for _, tc := range []struct {
		name       string
		format     string
		floatsOnly bool
		wantAsked  string
	}{{"base64", "", false, "base64"}, {"float", "float", false, "float"}, {"server ignores base64", "", true, "base64"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(&openaitest.Options{Dim: 24, FloatsOnly: tc.floatsOnly})
			defer srv.Close()
			tr, err := embed.New(embed.Config{API: openai.API{BaseURL: srv.BaseURL}, Model: "m", Columns: []string{"name"}, Dim: 24, Cache: "off", EncodingFormat: tc.format})
			require.NoError(t, err)
			defer tr.Close()
			names := texts(5)
			in := batch(memory.DefaultAllocator, names, names)
			defer in.Release()
			out := run(t, tr, in)
			defer out.Release()
			for i, v := range vectors(t, out, 3) {
				bitsEqual(t, openaitest.Vector(names[i], 24), v, names[i])
			}
			require.Contains(t, string(srv.Log()[0].Body), `"encoding_format":"`+tc.wantAsked+`"`)
		})
	}
	_, err := embed.New(embed.Config{Model: "m", Columns: []string{"x"}, EncodingFormat: "hex"})
	require.ErrorContains(t, err, "encodingFormat")
}
