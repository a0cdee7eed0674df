// Package embed is Ferry's vectorization transform: it sends one or more text
// columns of each row to an OpenAI-compatible embeddings API and appends the
// vector as a fixed_size_list<float32>[dim] column, the type every vector
// destination takes (pgvector or real[], Parquet FixedSizeList<float>,
// SQLite and MySQL as the writers store lists).
//
// The dimension is known before data flows (Config.Dim, or one probe call in
// OutputSchema), so the destination is prepared with the right type, and
// every answer is checked against it. Inputs are batched to the API's
// limits (inputs and estimated tokens per request), sent concurrently under
// requests/s and tokens/min limits, retried like package llm's requests, and
// cached by a hash of model and text in the same SQLite cache, so a rerun
// makes no call. Long text can be chunked: one output row per chunk, with
// the chunk's index and text, for retrieval.
//
// In job files the transform is named "embed" (this package registers it).
package embed

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

// Config configures an embedding transform. Model and Columns are required;
// every other zero value means the default.
type Config struct {
	// API is where and how requests go, as in llm.Config (openai.Config).
	openai.API
	// Model is the embedding model ("text-embedding-3-small", "nomic-embed-text").
	Model string `json:"model"`
	// Columns are the text columns embedded together, joined by Separator
	// (default "\n"); NULLs are left out. A row whose text is empty gets a
	// NULL vector and costs no call.
	Columns   []string `json:"columns"`
	Separator string   `json:"separator"`
	// Output names the vector column (default "embedding").
	Output string `json:"output"`
	// Dim is the vector dimension. 0 asks the API once, in OutputSchema.
	Dim int `json:"dim"`
	// SendDimensions sends Dim as the request's "dimensions" (models that
	// can shorten their vectors, like text-embedding-3-*).
	SendDimensions bool `json:"sendDimensions"`
	// EncodingFormat is the requested encoding_format: "base64" (default;
	// exact and fast to decode) or "float" (a JSON array, for servers that
	// reject base64). Answers in either form are accepted.
	EncodingFormat string `json:"encodingFormat"`
	// BatchInputs caps the inputs of one request (default 256; OpenAI
	// takes 2048) and BatchTokens their estimated tokens (default 100000;
	// OpenAI takes 300000).
	BatchInputs int `json:"batchInputs"`
	BatchTokens int `json:"batchTokens"`
	// Cache is the cache file, as in llm.Config ("" default, "off", ":memory:").
	Cache string `json:"cache"`
	// PricePerMillion is the price of a million input tokens, for the
	// estimated cost.
	PricePerMillion float64 `json:"pricePerMillion"`
	// ChunkChars, when positive, splits text longer than that many
	// characters into chunks (cut at a space where one is near) overlapping
	// by ChunkOverlap characters; each chunk becomes its own row, with its
	// 0-based index in ChunkIndexColumn (default "chunk_index", int32) and
	// its text in ChunkTextColumn (default "chunk_text").
	ChunkChars       int    `json:"chunkChars"`
	ChunkOverlap     int    `json:"chunkOverlap"`
	ChunkIndexColumn string `json:"chunkIndexColumn"`
	ChunkTextColumn  string `json:"chunkTextColumn"`
	// Allocator allocates the output arrays.
	Allocator memory.Allocator `json:"-"`
}

// Usage is what a Transform did so far.
type Usage struct {
	Rows          int64   // input rows
	Inputs        int64   // texts embedded (chunks), from the cache or not
	CachedInputs  int64   // texts answered from the cache
	Requests      int64   // HTTP requests, retries and the probe included
	Retries       int64   //
	Tokens        int64   // input tokens as the provider counted them (or estimated)
	EstimatedCost float64 // Tokens × PricePerMillion / 1e6
}

// Transform is the embedding transform. It is safe for concurrent use.
type Transform struct {
	cfg    Config
	client *openai.Client
	cache  *openai.Cache
	mem    memory.Allocator

	mu     sync.Mutex
	dim    int
	in     *arrow.Schema
	out    *arrow.Schema
	idx    []int
	usage  Usage
	closed bool
}

var _ ferry.Transformer = (*Transform)(nil)

// New returns the transform cfg describes; it sends nothing.
func New(cfg Config) (*Transform, error) {
	switch {
	case cfg.Model == "":
		return nil, errors.New("embed: no model")
	case len(cfg.Columns) == 0:
		return nil, errors.New("embed: no text columns")
	case cfg.Dim < 0:
		return nil, fmt.Errorf("embed: dim %d is negative", cfg.Dim)
	case cfg.EncodingFormat != "" && cfg.EncodingFormat != "base64" && cfg.EncodingFormat != "float":
		return nil, fmt.Errorf("embed: encodingFormat %q: want base64 or float", cfg.EncodingFormat)
	case cfg.SendDimensions && cfg.Dim == 0:
		return nil, errors.New("embed: sendDimensions needs dim")
	case cfg.ChunkChars < 0 || cfg.ChunkOverlap < 0 || cfg.ChunkChars > 0 && cfg.ChunkOverlap >= cfg.ChunkChars:
		return nil, fmt.Errorf("embed: chunkOverlap (%d) must be below chunkChars (%d)", cfg.ChunkOverlap, cfg.ChunkChars)
	}
	if cfg.Separator == "" {
		cfg.Separator = "\n"
	}
	if cfg.Output == "" {
		cfg.Output = "embedding"
	}
	if cfg.ChunkIndexColumn == "" {
		cfg.ChunkIndexColumn = "chunk_index"
	}
	if cfg.ChunkTextColumn == "" {
		cfg.ChunkTextColumn = "chunk_text"
	}
	if cfg.BatchInputs <= 0 {
		cfg.BatchInputs = 256
	}
	if cfg.BatchTokens <= 0 {
		cfg.BatchTokens = 100_000
	}
	client, err := openai.New(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	cache, err := openai.OpenCache(cfg.Cache)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	t := &Transform{cfg: cfg, client: client, cache: cache, mem: cfg.Allocator, dim: cfg.Dim}
	if t.mem == nil {
		t.mem = memory.DefaultAllocator
	}
	return t, nil
}

func (t *Transform) format() string {
	if t.cfg.EncodingFormat == "" {
		return "base64"
	}
	return t.cfg.EncodingFormat
}

// VectorType returns fixed_size_list<float32>[dim], the type of the output column.
func VectorType(dim int) arrow.DataType {
	return arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32)
}

// Dim returns the vector dimension, asking the API once (and caching the
// answer) when Config.Dim is 0.
func (t *Transform) Dim(ctx context.Context) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dimLocked(ctx)
}

func (t *Transform) dimLocked(ctx context.Context) (int, error) {
	if t.dim > 0 {
		return t.dim, nil
	}
	key := openai.Key("ferry-embed-dim-v1", t.client.BaseURL(), t.cfg.Model)
	got, err := t.cache.Get(ctx, []string{key})
	if err != nil {
		return 0, fmt.Errorf("embed: %w", err)
	}
	if v, ok := got[key]; ok && len(v) == 4 {
		t.dim = int(binary.LittleEndian.Uint32(v))
		return t.dim, nil
	}
	vecs, _, err := t.client.Embed(ctx, &openai.EmbeddingRequest{Model: t.cfg.Model, Input: []string{"dimension probe"}, EncodingFormat: t.format()})
	if err != nil {
		return 0, fmt.Errorf("embed: asking the model for its dimension: %w", err)
	}
	t.dim = len(vecs[0])
	if err := t.cache.Put(ctx, map[string][]byte{key: binary.LittleEndian.AppendUint32(nil, uint32(t.dim))}); err != nil {
		return 0, fmt.Errorf("embed: %w", err)
	}
	return t.dim, nil
}

// OutputSchema returns in with the vector column (and, when chunking, the
// chunk index and text columns) appended. Without Config.Dim it asks the
// API for the dimension (one request, then cached).
func (t *Transform) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.in != nil && t.in.Equal(in) {
		return t.out, nil
	}
	idx := make([]int, len(t.cfg.Columns))
	for i, c := range t.cfg.Columns {
		f := in.FieldIndices(c)
		if len(f) == 0 {
			return nil, fmt.Errorf("embed: no column %q in the source", c)
		}
		switch in.Field(f[0]).Type.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		default:
			return nil, fmt.Errorf("embed: column %q is %s, not text", c, in.Field(f[0]).Type)
		}
		idx[i] = f[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dim, err := t.dimLocked(ctx)
	if err != nil {
		return nil, err
	}
	fields := in.Fields()
	add := []arrow.Field{}
	if t.cfg.ChunkChars > 0 {
		add = append(add, arrow.Field{Name: t.cfg.ChunkIndexColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: t.cfg.ChunkTextColumn, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	md := arrow.NewMetadata([]string{"ferry.embedding.model", "ferry.embedding.dim"}, []string{t.cfg.Model, fmt.Sprint(dim)})
	add = append(add, arrow.Field{Name: t.cfg.Output, Type: VectorType(dim), Nullable: true, Metadata: md})
	for _, f := range add {
		if in.HasField(f.Name) {
			return nil, fmt.Errorf("embed: output column %q is already a source column", f.Name)
		}
	}
	smd := in.Metadata()
	t.in, t.out, t.idx = in, arrow.NewSchema(append(fields, add...), &smd), idx
	return t.out, nil
}

// Transform embeds the text of every row of b.
func (t *Transform) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, err := t.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	idx, dim, closed := t.idx, t.dim, t.closed
	t.mu.Unlock()
	if closed {
		return nil, errors.New("embed: transform used after Close")
	}
	n := int(b.NumRows())
	// rows[i] is the source row of output row i, texts[i] its text.
	rows := make([]int, 0, n)
	texts := make([]string, 0, n)
	chunkIdx := make([]int32, 0, n)
	var sb strings.Builder
	for r := 0; r < n; r++ {
		sb.Reset()
		for _, j := range idx {
			c := b.Column(j)
			if c.IsNull(r) {
				continue
			}
			if sb.Len() > 0 {
				sb.WriteString(t.cfg.Separator)
			}
			sb.WriteString(c.ValueStr(r))
		}
		parts := []string{sb.String()}
		if t.cfg.ChunkChars > 0 {
			parts = Chunks(parts[0], t.cfg.ChunkChars, t.cfg.ChunkOverlap)
		}
		for k, p := range parts {
			rows = append(rows, r)
			texts = append(texts, p)
			chunkIdx = append(chunkIdx, int32(k))
		}
	}
	vecs, cached, err := t.vectors(ctx, texts, rows, dim)
	if err != nil {
		t.account(0, 0, 0) // the engine may retry the batch: its rows count then
		return nil, err
	}
	t.account(n, len(texts), cached)
	return t.build(out, b, rows, texts, chunkIdx, vecs, dim)
}

func (t *Transform) account(rows, inputs, cached int) {
	s := t.client.Stats()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.usage.Rows += int64(rows)
	t.usage.Inputs += int64(inputs)
	t.usage.CachedInputs += int64(cached)
	t.usage.Requests = s.Requests
	t.usage.Retries = s.Retries
	t.usage.Tokens = s.PromptTokens
	t.usage.EstimatedCost = float64(s.PromptTokens) * t.cfg.PricePerMillion / 1e6
}

// vectors returns the vector of every non-empty text (nil for empty ones)
// and how many came from the cache.
func (t *Transform) vectors(ctx context.Context, texts []string, rows []int, dim int) ([][]float32, int, error) {
	var sendDim int
	if t.cfg.SendDimensions {
		sendDim = dim
	}
	keys := make([]string, len(texts))
	var want []string
	for i, s := range texts {
		if s != "" {
			keys[i] = openai.Key("ferry-embed-v1", t.client.BaseURL(), t.cfg.Model, sendDim, s)
			want = append(want, keys[i])
		}
	}
	got, err := t.cache.Get(ctx, want)
	if err != nil {
		return nil, 0, fmt.Errorf("embed: %w", err)
	}
	vecs := make([][]float32, len(texts))
	byKey := map[string][]float32{}
	var ask []int // first output row of each distinct uncached text
	cached := 0
	for i, k := range keys {
		if k == "" {
			continue
		}
		if v, ok := got[k]; ok && len(v) == 4*dim {
			vecs[i] = decode(v)
			cached++
			continue
		}
		if _, dup := byKey[k]; !dup {
			byKey[k] = nil
			ask = append(ask, i)
		}
	}
	// Cut the asks into requests under both limits.
	var reqs [][]int
	var cur []int
	tok := 0
	for _, i := range ask {
		e := openai.EstimateTokens(texts[i])
		if len(cur) > 0 && (len(cur) >= t.cfg.BatchInputs || tok+e > t.cfg.BatchTokens) {
			reqs = append(reqs, cur)
			cur, tok = nil, 0
		}
		cur = append(cur, i)
		tok += e
	}
	if len(cur) > 0 {
		reqs = append(reqs, cur)
	}
	var mu sync.Mutex
	err = openai.Parallel(ctx, len(reqs), func(ctx context.Context, k int) error {
		req := reqs[k]
		in := make([]string, len(req))
		for j, i := range req {
			in[j] = texts[i]
		}
		vs, _, err := t.client.Embed(ctx, &openai.EmbeddingRequest{Model: t.cfg.Model, Input: in, Dimensions: sendDim, EncodingFormat: t.format()})
		if err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		store := map[string][]byte{}
		for j, v := range vs {
			if len(v) != dim {
				return fmt.Errorf("embed: the model returned %d dimensions for row %d, want %d (a different model, or dim set wrong)", len(v), rows[req[j]], dim)
			}
			store[keys[req[j]]] = encode(v)
		}
		if err := t.cache.Put(context.WithoutCancel(ctx), store); err != nil { // paid for: keep it even if another request failed
			return fmt.Errorf("embed: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for j, i := range req {
			byKey[keys[i]] = vs[j]
		}
		return nil
	})
	if err != nil {
		return nil, cached, err
	}
	for i, k := range keys {
		if k != "" && vecs[i] == nil {
			vecs[i] = byKey[k]
		}
	}
	return vecs, cached, nil
}

// encode and decode store a vector as its little-endian float32 bits, so the
// cache returns exactly what the API sent.
func encode(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func decode(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func (t *Transform) build(out *arrow.Schema, b arrow.RecordBatch, rows []int, texts []string, chunkIdx []int32, vecs [][]float32, dim int) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, out.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for j := 0; j < int(b.NumCols()); j++ {
		c, err := openai.TakeRows(t.mem, b.Column(j), rows)
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		cols = append(cols, c)
	}
	if t.cfg.ChunkChars > 0 {
		ib := array.NewInt32Builder(t.mem)
		sb := array.NewStringBuilder(t.mem)
		for i := range rows {
			if texts[i] == "" {
				ib.AppendNull()
				sb.AppendNull()
				continue
			}
			ib.Append(chunkIdx[i])
			sb.Append(texts[i])
		}
		cols = append(cols, ib.NewArray(), sb.NewArray())
		ib.Release()
		sb.Release()
	}
	vb := array.NewFixedSizeListBuilder(t.mem, int32(dim), arrow.PrimitiveTypes.Float32)
	defer vb.Release()
	fb := vb.ValueBuilder().(*array.Float32Builder)
	vb.Reserve(len(rows))
	fb.Reserve(len(rows) * dim)
	for _, v := range vecs {
		if v == nil {
			vb.AppendNull()
			continue
		}
		vb.Append(true)
		fb.AppendValues(v, nil)
	}
	cols = append(cols, vb.NewArray())
	return array.NewRecordBatch(out, cols, int64(len(rows))), nil
}

// Chunks splits s into pieces of at most size characters that overlap by
// overlap characters, cutting at the last space in the second half of a
// piece when there is one. Text of at most size characters is one piece.
func Chunks(s string, size, overlap int) []string {
	r := []rune(s)
	if len(r) <= size {
		return []string{s}
	}
	var out []string
	for start := 0; start < len(r); {
		end := min(start+size, len(r))
		if end < len(r) {
			for k := end; k > start+size/2; k-- {
				if unicode.IsSpace(r[k-1]) {
					end = k
					break
				}
			}
		}
		out = append(out, strings.TrimSpace(string(r[start:end])))
		if end == len(r) {
			break
		}
		start = max(end-overlap, start+1)
	}
	return out
}

// Usage returns what the transform did so far.
func (t *Transform) Usage() Usage {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.usage
}

// Notes returns the one-line account of Usage for a run's report.
func (t *Transform) Notes() []string {
	u := t.Usage()
	s := fmt.Sprintf("embed %s: %d rows, %d texts (%d from the cache), %d requests (%d retries), %d tokens",
		t.cfg.Model, u.Rows, u.Inputs, u.CachedInputs, u.Requests, u.Retries, u.Tokens)
	if t.cfg.PricePerMillion > 0 {
		s += fmt.Sprintf(", estimated cost %.6f", u.EstimatedCost)
	}
	return []string{s}
}

// Close closes the cache.
func (t *Transform) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if err := t.cache.Close(); err != nil {
		return fmt.Errorf("embed: cache: %w", err)
	}
	return nil
}
