package llm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/transform/llm"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

var titles = []string{"red running shoe", "smart phone 128GB", "oak table", "trail shoe", "phone case",
	"garden hose", "leather shoe", "android phone", "lamp", "sandal shoe"}

func category(s string) string {
	switch {
	case strings.Contains(s, "shoe"):
		return "footwear"
	case strings.Contains(s, "phone"):
		return "electronics"
	}
	return "other"
}

var itemRe = regexp.MustCompile(`(?m)^### item (\d+)\n(.*)$`)

// classify answers like a model that follows the prompt "Classify: <title>":
// one item per "### item N" of a batched message, or one object.
func classify(req *openaitest.ChatRequest) string {
	u := req.User()
	if req.Schema() == nil {
		return category(u)
	}
	if !strings.Contains(string(req.Schema()), `"items"`) {
		b, _ := json.Marshal(map[string]any{"category": category(u), "words": len(strings.Fields(u)) - 1})
		return string(b)
	}
	var items []any
	for _, m := range itemRe.FindAllStringSubmatch(u, -1) {
		var id int
		fmt.Sscan(m[1], &id)
		items = append(items, map[string]any{"id": id, "category": category(m[2]), "words": len(strings.Fields(m[2])) - 1})
	}
	b, _ := json.Marshal(map[string]any{"items": items})
	return string(b)
}

func batch(t *testing.T, mem memory.Allocator, n int) arrow.RecordBatch {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "title", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(titles[i%len(titles)])
	}
	return b.NewRecordBatch()
}

func structured(base, cache string, batchRows int) llm.Config {
	return llm.Config{API: openai.API{BaseURL: base, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}, Model: "test-chat", Prompt: "Classify: {{.title}}", BatchRows: batchRows, Cache: cache,
		Columns: []llm.Column{
			{Name: "category", Enum: []string{"footwear", "electronics", "other"}, Description: "product category"},
			{Name: "words", Type: "int64"},
		},
		PriceInputPerMillion: 0.15, PriceOutputPerMillion: 0.6}
}

func run(t *testing.T, tr ferry.Transformer, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	t.Helper()
	_, err := tr.OutputSchema(b.Schema())
	require.NoError(t, err)
	return tr.Transform(context.Background(), b)
}

func strs(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		out[i] = a.ValueStr(i)
	}
	return out
}

// TestStructuredBatchedConcurrent: 10 rows, 3 rows a request, at most 2 in
// flight: 4 requests, never more than 2 at once, typed columns right.
func TestStructuredBatchedConcurrent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	srv := openaitest.New(&openaitest.Options{Answer: classify, Delay: 30 * time.Millisecond})
	defer srv.Close()
	cfg := structured(srv.BaseURL, filepath.Join(t.TempDir(), "c.sqlite"), 3)
	cfg.Concurrency = 2
	cfg.Allocator = mem
	tr, err := llm.New(cfg)
	require.NoError(t, err)
	defer tr.Close()
	in := batch(t, mem, 10)
	defer in.Release()
	out, err := run(t, tr, in)
	require.NoError(t, err)
	defer out.Release()
	require.Equal(t, 4, srv.Requests(openaitest.Chat))
	require.LessOrEqual(t, srv.MaxInFlight(), 2)
	require.Equal(t, int64(10), out.NumRows())
	require.Equal(t, []string{"id", "title", "category", "words"}, []string{out.Schema().Field(0).Name, out.Schema().Field(1).Name, out.Schema().Field(2).Name, out.Schema().Field(3).Name})
	require.Equal(t, arrow.PrimitiveTypes.Int64, out.Schema().Field(3).Type)
	for i, c := range strs(out.Column(2)) {
		require.Equal(t, category(titles[i]), c, "row %d", i)
		require.Equal(t, int64(len(strings.Fields(titles[i]))), out.Column(3).(*array.Int64).Value(i))
	}
	// The request carried a strict json_schema with the enum.
	var body map[string]any
	require.NoError(t, json.Unmarshal(srv.Log()[0].Body, &body))
	rf := body["response_format"].(map[string]any)
	require.Equal(t, "json_schema", rf["type"])
	require.Contains(t, string(srv.Log()[0].Body), `"enum":["footwear","electronics","other"]`)
	u := tr.Usage()
	require.Equal(t, int64(10), u.Rows)
	require.Equal(t, int64(4), u.Requests)
	require.Positive(t, u.PromptTokens)
	require.Positive(t, u.CompletionTokens)
	require.Zero(t, u.EstimatedTokens)
	require.InDelta(t, float64(u.PromptTokens)*0.15/1e6+float64(u.CompletionTokens)*0.6/1e6, u.EstimatedCost, 1e-12)
	require.Contains(t, tr.Notes()[0], "4 requests")
}

// TestPlainOneRowPerRequest: an Output column, one request per distinct
// prompt (duplicates in a batch are asked once).
func TestPlainOneRowPerRequest(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tg := openaitest.NewTarget(t, &openaitest.Options{Answer: classify})
	tr, err := llm.New(llm.Config{API: openai.API{BaseURL: tg.BaseURL, APIKeyEnv: tg.KeyEnv}, Model: tg.ChatModel, Cache: "off", Allocator: mem,
		System: "Answer with one word: footwear, electronics or other.", Prompt: "{{.title}}", Output: "category"})
	require.NoError(t, err)
	defer tr.Close()
	in := batch(t, mem, 20) // every title twice
	defer in.Release()
	out, err := run(t, tr, in)
	require.NoError(t, err)
	defer out.Release()
	require.Equal(t, int64(20), out.NumRows())
	require.Equal(t, int64(10), tr.Usage().Requests)
	if tg.Local != nil {
		require.Equal(t, 10, tg.Local.Requests(openaitest.Chat))
		for i, c := range strs(out.Column(2)) {
			require.Equal(t, category(titles[i%10]), c)
		}
	}
}

// TestCacheRerun: a second transform over the same cache file makes no call.
func TestCacheRerun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	srv := openaitest.New(&openaitest.Options{Answer: classify})
	defer srv.Close()
	cache := filepath.Join(t.TempDir(), "cache.sqlite")
	in := batch(t, mem, 10)
	defer in.Release()
	var first []string
	for pass := 0; pass < 2; pass++ {
		cfg := structured(srv.BaseURL, cache, 4)
		cfg.Allocator = mem
		tr, err := llm.New(cfg)
		require.NoError(t, err)
		out, err := run(t, tr, in)
		require.NoError(t, err)
		got := strs(out.Column(2))
		out.Release()
		require.NoError(t, tr.Close())
		if pass == 0 {
			first = got
			require.Equal(t, 3, srv.Requests(openaitest.Chat))
			continue
		}
		require.Equal(t, first, got)
		require.Equal(t, 3, srv.Requests(openaitest.Chat), "the rerun made calls")
		require.Equal(t, int64(10), tr.Usage().CachedRows)
		require.Zero(t, tr.Usage().Requests)
	}
	// A different prompt is a different question.
	cfg := structured(srv.BaseURL, cache, 4)
	cfg.Prompt = "Classify the product: {{.title}}"
	tr, err := llm.New(cfg)
	require.NoError(t, err)
	defer tr.Close()
	out, err := run(t, tr, in)
	require.NoError(t, err)
	out.Release()
	require.Equal(t, 6, srv.Requests(openaitest.Chat))
}

// TestRetries: every retryable fault is retried and the batch succeeds.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault openaitest.Fault
	}{
		{"429 retry-after", openaitest.Fault{Status: 429, RetryAfter: "0"}},
		{"500", openaitest.Fault{Status: 500}},
		{"503", openaitest.Fault{Status: 503}},
		{"truncated body", openaitest.Fault{Truncate: true}},
		{"malformed body", openaitest.Fault{Malformed: true}},
		{"dropped connection", openaitest.Fault{Drop: true}},
		{"slow answer", openaitest.Fault{Delay: 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(&openaitest.Options{Answer: classify})
			defer srv.Close()
			srv.Fail(openaitest.Chat, tc.fault, tc.fault)
			cfg := structured(srv.BaseURL, "off", 10)
			cfg.Timeout = 500 * time.Millisecond
			tr, err := llm.New(cfg)
			require.NoError(t, err)
			defer tr.Close()
			in := batch(t, memory.DefaultAllocator, 10)
			defer in.Release()
			out, err := run(t, tr, in)
			require.NoError(t, err)
			defer out.Release()
			require.Equal(t, int64(10), out.NumRows())
			require.Equal(t, 3, srv.Requests(openaitest.Chat))
			require.Equal(t, int64(2), tr.Usage().Retries)
		})
	}
}

// TestRetriesExhausted: a fault that persists is a ferry.Retryable error
// after MaxRetries, and a 400 fails at once, not retryable.
func TestRetriesExhausted(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Answer: classify})
	defer srv.Close()
	cfg := structured(srv.BaseURL, "off", 10)
	cfg.MaxRetries = 2
	tr, err := llm.New(cfg)
	require.NoError(t, err)
	defer tr.Close()
	in := batch(t, memory.DefaultAllocator, 10)
	defer in.Release()
	srv.Fail(openaitest.Chat, openaitest.Fault{Status: 500}, openaitest.Fault{Status: 502}, openaitest.Fault{Status: 429})
	_, err = run(t, tr, in)
	require.Error(t, err)
	require.True(t, ferry.IsRetryable(err), "%v", err)
	require.Contains(t, err.Error(), "HTTP 429")
	require.Equal(t, 3, srv.Requests(openaitest.Chat))

	srv.Fail(openaitest.Chat, openaitest.Fault{Status: 400})
	_, err = run(t, tr, in)
	require.Error(t, err)
	require.False(t, ferry.IsRetryable(err), "%v", err)
	require.Equal(t, ferry.ClassFatal, ferry.Classify(err))
	require.Equal(t, 4, srv.Requests(openaitest.Chat))
}

// TestBadAnswersAreDirty: every kind of bad answer makes dirty rows naming
// the column, the value and the reason; the other rows come through.
func TestBadAnswersAreDirty(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name      string
		batchRows int
		fault     openaitest.Fault
		dirtyRows []int64
		column    string
		reason    string
	}{
		{"off enum", 1, openaitest.Fault{Content: s(`{"category":"toys","words":1}`)}, []int64{0}, "category", `"toys" is not one of`},
		{"wrong type", 1, openaitest.Fault{Content: s(`{"category":"other","words":"two"}`)}, []int64{0}, "words", "want an integer"},
		{"missing field", 1, openaitest.Fault{Content: s(`{"category":"other"}`)}, []int64{0}, "words", `no field "words"`},
		{"null field", 1, openaitest.Fault{Content: s(`{"category":null,"words":1}`)}, []int64{0}, "category", "is null"},
		{"not json", 1, openaitest.Fault{Content: s(`I think it is footwear`)}, []int64{0}, "", "malformed answer"},
		{"empty", 1, openaitest.Fault{Content: s(``)}, []int64{0}, "", "empty answer"},
		{"cut at max tokens", 1, openaitest.Fault{FinishReason: "length"}, []int64{0}, "", "finish_reason=length"},
		{"batch not json", 5, openaitest.Fault{Content: s(`{"items": [`)}, []int64{0, 1, 2, 3, 4}, "", "malformed answer"},
		{"batch missing items", 5, openaitest.Fault{Content: s(`{"items":[{"id":1,"category":"footwear","words":2},{"id":3,"category":"other","words":1},{"id":9,"category":"other","words":1}]}`)},
			[]int64{1, 3, 4}, "", "no item for this row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			srv := openaitest.New(&openaitest.Options{Answer: classify})
			defer srv.Close()
			tc.fault.Match = "red running shoe" // row 0
			srv.Fail(openaitest.Chat, tc.fault)
			cache := filepath.Join(t.TempDir(), "c.sqlite")
			cfg := structured(srv.BaseURL, cache, tc.batchRows)
			cfg.Allocator = mem
			tr, err := llm.New(cfg)
			require.NoError(t, err)
			in := batch(t, mem, 10)
			defer in.Release()
			out, err := run(t, tr, in)
			require.Error(t, err)
			require.True(t, dirty.Is(err))
			require.Equal(t, ferry.ClassDirty, ferry.Classify(err))
			rows := dirty.Rows(err)
			var got []int64
			for _, r := range rows {
				got = append(got, r.Row)
				require.Equal(t, tc.column, r.Column)
				require.ErrorContains(t, r.Err, tc.reason)
			}
			require.Equal(t, tc.dirtyRows, got)
			require.Equal(t, int64(10-len(tc.dirtyRows)), out.NumRows())
			// The kept rows are the right ones, with their own answers.
			ids := out.Column(0).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				require.NotContains(t, tc.dirtyRows, ids.Value(i))
				require.Equal(t, category(titles[ids.Value(i)]), out.Column(2).ValueStr(i))
			}
			out.Release()
			require.Equal(t, int64(len(tc.dirtyRows)), tr.Usage().DirtyRows)
			require.NoError(t, tr.Close())

			// Bad answers are not cached: a rerun asks only about those rows.
			before := srv.Requests(openaitest.Chat)
			tr2, err := llm.New(cfg)
			require.NoError(t, err)
			defer tr2.Close()
			out, err = run(t, tr2, in)
			require.NoError(t, err)
			out.Release()
			require.Equal(t, before+1, srv.Requests(openaitest.Chat))
		})
	}
}

// TestConfigErrors: bad configurations fail at New or OutputSchema with a
// message naming the problem.
func TestConfigErrors(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "title", Type: arrow.BinaryTypes.String}}, nil)
	for _, tc := range []struct {
		cfg llm.Config
		err string
	}{
		{llm.Config{Prompt: "x", Output: "o"}, "no model"},
		{llm.Config{Model: "m", Output: "o"}, "no prompt"},
		{llm.Config{Model: "m", Prompt: "x"}, "name the output column"},
		{llm.Config{Model: "m", Prompt: "x", Output: "o", Columns: []llm.Column{{Name: "c"}}}, "exclusive"},
		{llm.Config{Model: "m", Prompt: "x", Columns: []llm.Column{{Name: "c", Type: "date"}}}, `unknown type "date"`},
		{llm.Config{Model: "m", Prompt: "x", Columns: []llm.Column{{Name: "c", Type: "int64", Enum: []string{"a"}}}}, "enum needs type string"},
		{llm.Config{Model: "m", Prompt: "{{.title", Output: "o"}, "prompt"},
		{llm.Config{Model: "m", Prompt: "x", Output: "o", API: openai.API{APIKeyEnv: "FERRY_TEST_LLM_NO_SUCH_KEY"}}, "FERRY_TEST_LLM_NO_SUCH_KEY"},
		{llm.Config{Model: "m", Prompt: "{{.name}}", Output: "o"}, `map has no entry for key "name"`},
		{llm.Config{Model: "m", Prompt: "{{.title}}", Output: "title"}, "already a source column"},
	} {
		tr, err := llm.New(func() llm.Config { c := tc.cfg; c.Cache = "off"; return c }())
		if err == nil {
			_, err = tr.OutputSchema(s)
			tr.Close()
		}
		require.ErrorContains(t, err, tc.err)
	}
}

// TestJobFile: the transform builds from a job file's parameter, and a
// misspelt key is an error.
func TestJobFile(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Answer: classify})
	defer srv.Close()
	param := fmt.Sprintf(`{"baseUrl":%q,"model":"test-chat","prompt":"Classify: {{.title}}","batchRows":5,"cache":"off","timeout":"10s",
		"columns":[{"name":"category","enum":["footwear","electronics","other"]},{"name":"words","type":"int64"}]}`, srv.BaseURL)
	tr, err := transform.Build(transform.Spec{Name: "llm", Parameter: json.RawMessage(param)})
	require.NoError(t, err)
	defer tr.(interface{ Close() error }).Close()
	in := batch(t, memory.DefaultAllocator, 10)
	defer in.Release()
	out, err := run(t, tr, in)
	require.NoError(t, err)
	defer out.Release()
	require.Equal(t, 2, srv.Requests(openaitest.Chat))
	require.Equal(t, "footwear", out.Column(2).ValueStr(0))

	_, err = transform.Build(transform.Spec{Name: "llm", Parameter: json.RawMessage(`{"modle":"x"}`)})
	require.ErrorContains(t, err, `unknown field "modle"`)
	_, err = transform.Build(transform.Spec{Name: "llm", Parameter: json.RawMessage(`{"model":"m","prompt":"p","output":"o","timeout":"soon"}`)})
	require.ErrorContains(t, err, "timeout")
}

// TestRetriedBatchDoesNotPayTwice: when one request of a batch fails for
// good, the answers of the others are cached, so the engine's retry of the
// batch asks only about the failed rows.
func TestRetriedBatchDoesNotPayTwice(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Answer: classify})
	defer srv.Close()
	// The failing request answers late, after the 4 others are done.
	srv.Fail(openaitest.Chat, openaitest.Fault{Status: 503, Delay: time.Second, Match: "oak table"})
	cfg := structured(srv.BaseURL, filepath.Join(t.TempDir(), "c.sqlite"), 2)
	cfg.MaxRetries = -1
	tr, err := llm.New(cfg)
	require.NoError(t, err)
	defer tr.Close()
	in := batch(t, memory.DefaultAllocator, 10)
	defer in.Release()
	_, err = run(t, tr, in)
	require.Error(t, err)
	require.True(t, ferry.IsRetryable(err))
	require.Equal(t, 5, srv.Requests(openaitest.Chat))
	out, err := tr.Transform(context.Background(), in) // the engine's retry
	require.NoError(t, err)
	defer out.Release()
	require.Equal(t, 6, srv.Requests(openaitest.Chat))
	require.Equal(t, int64(8), tr.Usage().CachedRows)
	require.Equal(t, int64(10), tr.Usage().Rows)
}
