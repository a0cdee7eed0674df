// Package llm is Ferry's AI-assisted column transform: for each row it asks an
// OpenAI-compatible chat-completions API a question built from the row's
// columns (a text/template prompt) and writes the answer into a new column,
// or, with a JSON schema for structured output, into several typed columns
// (classification with an enum, extraction, translation, summaries, cleaning).
//
// Requests carry BatchRows rows each and run concurrently under a requests/s
// and tokens/min limit (package openai); 429, 5xx, timeouts and truncated
// bodies are retried honouring Retry-After. Answers are cached by a hash of
// model, instructions and rendered prompt in a SQLite file, so a rerun or a
// backfill asks nothing it already knows. A row whose answer is missing,
// malformed or off-schema is a dirty row (*dirty.RowErrors) with the reason;
// an API that stays down fails the batch with a ferry.Retryable error and,
// after the engine's retries, the run (nothing is committed).
//
// In job files the transform is named "llm" (this package registers it; the
// job package or the program imports it): {"name":"llm","parameter":{...}}
// with the JSON names of Config's fields, "timeout" as a Go duration string.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

const defaultSystem = "You are a careful data-processing assistant. Answer exactly what is asked, with no commentary."

// Transform is the AI column transform. It is safe for concurrent use by
// the engine's workers; Close it (the engine does) to close its cache.
type Transform struct {
	cfg    Config
	client *openai.Client
	cache  *openai.Cache
	tmpl   *template.Template
	cols   []Column
	types  []arrow.DataType
	schema json.RawMessage
	keyFix []any // what, besides the prompt, determines an answer
	mem    memory.Allocator

	mu     sync.Mutex
	in     *arrow.Schema
	out    *arrow.Schema
	usage  Usage
	closed bool
}

var _ ferry.Transformer = (*Transform)(nil)

// Usage is what a Transform did so far.
type Usage struct {
	Rows             int64   // rows transformed
	CachedRows       int64   // rows answered from the cache
	DirtyRows        int64   // rows with a missing, malformed or off-schema answer
	Requests         int64   // HTTP requests, retries included
	Retries          int64   // retried requests
	PromptTokens     int64   // as the provider counted them (or estimated)
	CompletionTokens int64   //
	EstimatedTokens  int64   // the part of the counts that is an estimate
	EstimatedCost    float64 // tokens × the configured prices
}

// New returns the transform cfg describes. It opens the cache and reads the
// API key; it sends nothing.
func New(cfg Config) (*Transform, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	tmpl, err := template.New("prompt").Option("missingkey=error").Parse(cfg.Prompt)
	if err != nil {
		return nil, fmt.Errorf("llm: prompt: %w", err)
	}
	client, err := openai.New(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	cache, err := openai.OpenCache(cfg.Cache)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	if cfg.System == "" {
		cfg.System = defaultSystem
	}
	t := &Transform{cfg: cfg, client: client, cache: cache, tmpl: tmpl, cols: cfg.columns(), schema: cfg.answerSchema(), mem: cfg.Allocator}
	if t.mem == nil {
		t.mem = memory.DefaultAllocator
	}
	for _, c := range t.cols {
		dt, _, _ := c.arrowType()
		t.types = append(t.types, dt)
	}
	temp := 0.0
	if cfg.Temperature != nil {
		temp = *cfg.Temperature
	}
	// The batch size is not part of the key: a row's answer is the row's.
	t.keyFix = []any{"ferry-llm-v1", client.BaseURL(), cfg.Model, cfg.System, string(rowSchemaJSON(t.cols)), cfg.Output != "", temp, cfg.MaxTokens}
	return t, nil
}

func rowSchemaJSON(cols []Column) []byte {
	b, _ := json.Marshal(rowSchema(cols, false))
	return b
}

// OutputSchema returns in with the answer columns appended. It fails when
// the prompt names a column in lacks or an answer column is already in in.
func (t *Transform) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.in != nil && t.in.Equal(in) {
		return t.out, nil
	}
	vals := map[string]any{}
	for _, f := range in.Fields() {
		vals[f.Name] = ""
	}
	if err := t.tmpl.Execute(discard{}, vals); err != nil {
		return nil, fmt.Errorf("llm: prompt: %w (the source has %s)", err, fieldNames(in))
	}
	fields := in.Fields()
	for i, c := range t.cols {
		if in.HasField(c.Name) {
			return nil, fmt.Errorf("llm: answer column %q is already a source column", c.Name)
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: t.types[i], Nullable: true})
	}
	md := in.Metadata()
	t.in, t.out = in, arrow.NewSchema(fields, &md)
	return t.out, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func fieldNames(s *arrow.Schema) string {
	n := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		n[i] = f.Name
	}
	return strings.Join(n, ", ")
}

// answer is one row's decoded answer: a value per column, or why there is none.
type answer struct {
	vals   []any
	col    string
	value  any
	reason error
}

// Transform asks about every row of b not in the cache and returns b with
// the answer columns; rows without a valid answer are left out and returned
// as a *dirty.RowErrors with the result.
func (t *Transform) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, err := t.OutputSchema(b.Schema())
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil, errors.New("llm: transform used after Close")
	}
	n := int(b.NumRows())
	prompts, err := t.render(b)
	if err != nil {
		return nil, err
	}
	keys := make([]string, n)
	for i, p := range prompts {
		keys[i] = openai.Key(append(t.keyFix, p)...)
	}
	cached, err := t.cache.Get(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	answers := make(map[string]*answer, n)
	var ask []int // first row of each distinct uncached prompt
	for i, k := range keys {
		if _, ok := answers[k]; ok {
			continue
		}
		if v, ok := cached[k]; ok {
			a := t.decodeRow(v)
			if a.reason == nil {
				answers[k] = a
				continue
			}
		}
		answers[k] = nil
		ask = append(ask, i)
	}
	before := t.client.Stats()
	if err := t.askAll(ctx, ask, prompts, keys, answers); err != nil {
		t.account(0, 0, 0, before) // the engine may retry the batch: its rows count then
		return nil, err
	}
	keep := make([]bool, n)
	var bad []dirty.RowError
	fromCache := 0
	for i, k := range keys {
		a := answers[k]
		if a == nil || a.reason != nil {
			re := dirty.RowError{Row: int64(i), Err: errors.New("llm: no answer for this row")}
			if a != nil {
				re.Column, re.Value, re.Err = a.col, a.value, a.reason
			}
			bad = append(bad, re)
			continue
		}
		keep[i] = true
		if _, ok := cached[k]; ok {
			fromCache++
		}
	}
	t.account(n, fromCache, len(bad), before)
	res, err := t.build(out, b, keep, keys, answers)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return res, &dirty.RowErrors{Rows: bad}
	}
	return res, nil
}

func (t *Transform) account(rows, cached, bad int, before openai.Stats) {
	s := t.client.Stats()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.usage.Rows += int64(rows)
	t.usage.CachedRows += int64(cached)
	t.usage.DirtyRows += int64(bad)
	t.usage.Requests = s.Requests
	t.usage.Retries = s.Retries
	t.usage.PromptTokens = s.PromptTokens
	t.usage.CompletionTokens = s.CompletionTokens
	t.usage.EstimatedTokens = s.EstimatedTokens
	t.usage.EstimatedCost = float64(s.PromptTokens)*t.cfg.PriceInputPerMillion/1e6 + float64(s.CompletionTokens)*t.cfg.PriceOutputPerMillion/1e6
}

// render executes the prompt template for every row.
func (t *Transform) render(b arrow.RecordBatch) ([]string, error) {
	n := int(b.NumRows())
	out := make([]string, n)
	vals := make(map[string]any, b.NumCols())
	var sb strings.Builder
	for i := 0; i < n; i++ {
		for j, f := range b.Schema().Fields() {
			vals[f.Name] = cellText(b.Column(j), i)
		}
		sb.Reset()
		if err := t.tmpl.Execute(&sb, vals); err != nil {
			return nil, fmt.Errorf("llm: prompt for row %d: %w", i, err)
		}
		out[i] = sb.String()
	}
	return out, nil
}

// cellText is the text of a value in a prompt: strings as they are, NULL as
// "", everything else as Arrow prints it.
func cellText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i)
	case *array.LargeString:
		return c.Value(i)
	case *array.StringView:
		return c.Value(i)
	}
	return a.ValueStr(i)
}

// askAll sends the rows of ask in requests of BatchRows rows, concurrently,
// and fills answers. It stores valid answers in the cache as each request
// finishes, so a retried batch does not pay twice.
func (t *Transform) askAll(ctx context.Context, ask []int, prompts, keys []string, answers map[string]*answer) error {
	if len(ask) == 0 {
		return nil
	}
	per := max(1, t.cfg.BatchRows)
	var mu sync.Mutex
	n := (len(ask) + per - 1) / per
	err := openai.Parallel(ctx, n, func(ctx context.Context, k int) error {
		rows := ask[k*per : min((k+1)*per, len(ask))]
		got, err := t.ask(ctx, rows, prompts)
		if err != nil {
			return err
		}
		store := map[string][]byte{}
		for j, a := range got {
			if a.reason == nil {
				store[keys[rows[j]]] = t.encodeRow(a)
			}
		}
		if err := t.cache.Put(context.WithoutCancel(ctx), store); err != nil { // paid for: keep it even if another request failed
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for j, a := range got {
			answers[keys[rows[j]]] = a
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("llm: %w", err)
	}
	return nil
}

// ask sends one request about rows and returns one answer per row.
func (t *Transform) ask(ctx context.Context, rows []int, prompts []string) ([]*answer, error) {
	temp := 0.0
	if t.cfg.Temperature != nil {
		temp = *t.cfg.Temperature
	}
	req := &openai.ChatRequest{Model: t.cfg.Model, Temperature: &temp, MaxTokens: t.cfg.MaxTokens}
	batched := t.cfg.BatchRows > 1
	system := t.cfg.System
	var user string
	if batched {
		system += fmt.Sprintf("\n\nThe user message holds %d numbered items, each starting with a line \"### item N\". "+
			"Handle each item on its own and answer with a JSON object {\"items\": [...]} holding exactly one entry per item, "+
			"in the same order, each with its number as \"id\".", len(rows))
		var sb strings.Builder
		for j, r := range rows {
			fmt.Fprintf(&sb, "### item %d\n%s\n\n", j+1, prompts[r])
		}
		user = sb.String()
	} else {
		user = prompts[rows[0]]
	}
	req.Messages = []openai.Message{{Role: "system", Content: system}, {Role: "user", Content: user}}
	if t.schema != nil {
		req.ResponseFormat = &openai.ResponseFormat{Type: "json_schema", JSONSchema: &openai.JSONSchema{Name: "answer", Schema: t.schema, Strict: true}}
	}
	resp, err := t.client.Chat(ctx, req)
	if err != nil {
		return nil, err
	}
	ch := resp.Choices[0]
	all := func(reason error, value any) []*answer {
		out := make([]*answer, len(rows))
		for j := range out {
			out[j] = &answer{reason: reason, value: value}
		}
		return out
	}
	switch {
	case ch.Message.Refusal != nil && *ch.Message.Refusal != "":
		return all(fmt.Errorf("llm: the model refused: %s", *ch.Message.Refusal), nil), nil
	case ch.FinishReason == "length":
		return all(errors.New("llm: the answer was cut at maxTokens (finish_reason=length)"), deref(ch.Message.Content)), nil
	case ch.FinishReason == "content_filter":
		return all(errors.New("llm: the answer was withheld by the provider's content filter"), nil), nil
	case ch.Message.Content == nil || strings.TrimSpace(*ch.Message.Content) == "":
		return all(errors.New("llm: empty answer"), nil), nil
	}
	content := *ch.Message.Content
	if !batched {
		if t.schema == nil {
			return []*answer{{vals: []any{strings.TrimSpace(content)}}}, nil
		}
		return []*answer{t.decodeObject([]byte(content))}, nil
	}
	var wrap struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(stripFence(content)), &wrap); err != nil {
		return all(fmt.Errorf("llm: malformed answer (not the JSON object asked for): %v", err), clip(content)), nil
	}
	out := make([]*answer, len(rows))
	for _, it := range wrap.Items {
		var id struct {
			ID *int `json:"id"`
		}
		if json.Unmarshal(it, &id) != nil || id.ID == nil || *id.ID < 1 || *id.ID > len(rows) || out[*id.ID-1] != nil {
			continue // an item for no row, or a second one for a row: ignored
		}
		out[*id.ID-1] = t.decodeObject(it)
	}
	for j := range out {
		if out[j] == nil {
			out[j] = &answer{reason: errors.New("llm: the answer has no item for this row")}
		}
	}
	return out, nil
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return clip(*s)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// stripFence removes a ```json fence some local models put around JSON.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```json")
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	return s
}

// decodeObject checks a JSON object answer against the columns.
func (t *Transform) decodeObject(raw []byte) *answer {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stripFence(string(raw))), &obj); err != nil {
		return &answer{reason: fmt.Errorf("llm: malformed answer (not a JSON object): %v", err), value: clip(string(raw))}
	}
	a := &answer{vals: make([]any, len(t.cols))}
	for i, c := range t.cols {
		v, ok := obj[c.Name]
		if !ok {
			return &answer{col: c.Name, reason: fmt.Errorf("llm: the answer has no field %q", c.Name), value: clip(string(raw))}
		}
		x, err := decodeValue(c, t.types[i], v)
		if err != nil {
			return &answer{col: c.Name, reason: err, value: clip(string(v))}
		}
		a.vals[i] = x
	}
	return a
}

func decodeValue(c Column, dt arrow.DataType, v json.RawMessage) (any, error) {
	if string(v) == "null" {
		if c.Nullable {
			return nil, nil
		}
		return nil, fmt.Errorf("llm: field %q is null", c.Name)
	}
	switch dt.ID() {
	case arrow.STRING:
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("llm: field %q: want a string", c.Name)
		}
		if len(c.Enum) > 0 && !contains(c.Enum, s) {
			return nil, fmt.Errorf("llm: field %q: %q is not one of %s", c.Name, s, strings.Join(c.Enum, ", "))
		}
		return s, nil
	case arrow.INT64:
		var n int64
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, fmt.Errorf("llm: field %q: want an integer", c.Name)
		}
		return n, nil
	case arrow.FLOAT64:
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, fmt.Errorf("llm: field %q: want a number", c.Name)
		}
		return f, nil
	default:
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return nil, fmt.Errorf("llm: field %q: want true or false", c.Name)
		}
		return b, nil
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// encodeRow and decodeRow store a valid answer in the cache as a JSON array
// of the column values.
func (t *Transform) encodeRow(a *answer) []byte {
	b, _ := json.Marshal(a.vals)
	return b
}

func (t *Transform) decodeRow(raw []byte) *answer {
	var vals []json.RawMessage
	if err := json.Unmarshal(raw, &vals); err != nil || len(vals) != len(t.cols) {
		return &answer{reason: errors.New("llm: unreadable cache entry")}
	}
	a := &answer{vals: make([]any, len(vals))}
	for i, c := range t.cols {
		x, err := decodeValue(Column{Name: c.Name, Enum: c.Enum, Nullable: true}, t.types[i], vals[i])
		if err != nil {
			return &answer{reason: err}
		}
		a.vals[i] = x
	}
	return a
}

// build returns the kept rows of b with the answer columns.
func (t *Transform) build(out *arrow.Schema, b arrow.RecordBatch, keep []bool, keys []string, answers map[string]*answer) (arrow.RecordBatch, error) {
	var idx []int
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	kept := len(idx)
	cols := make([]arrow.Array, 0, out.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for j := 0; j < int(b.NumCols()); j++ {
		c, err := openai.TakeRows(t.mem, b.Column(j), idx)
		if err != nil {
			return nil, fmt.Errorf("llm: %w", err)
		}
		cols = append(cols, c)
	}
	for ci, dt := range t.types {
		bld := array.NewBuilder(t.mem, dt)
		bld.Reserve(kept)
		for i, k := range keep {
			if !k {
				continue
			}
			switch v := answers[keys[i]].vals[ci].(type) {
			case nil:
				bld.AppendNull()
			case string:
				bld.(*array.StringBuilder).Append(v)
			case int64:
				bld.(*array.Int64Builder).Append(v)
			case float64:
				bld.(*array.Float64Builder).Append(v)
			case bool:
				bld.(*array.BooleanBuilder).Append(v)
			}
		}
		cols = append(cols, bld.NewArray())
		bld.Release()
	}
	return array.NewRecordBatch(out, cols, int64(kept)), nil
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
	s := fmt.Sprintf("llm %s: %d rows (%d from the cache, %d dirty), %d requests (%d retries), %d prompt + %d completion tokens",
		t.cfg.Model, u.Rows, u.CachedRows, u.DirtyRows, u.Requests, u.Retries, u.PromptTokens, u.CompletionTokens)
	if u.EstimatedTokens > 0 {
		s += fmt.Sprintf(" (%d estimated)", u.EstimatedTokens)
	}
	if t.cfg.PriceInputPerMillion > 0 || t.cfg.PriceOutputPerMillion > 0 {
		s += fmt.Sprintf(", estimated cost %.6f", u.EstimatedCost)
	}
	return []string{s}
}

// Close closes the cache. The Usage stays readable.
func (t *Transform) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if err := t.cache.Close(); err != nil {
		return fmt.Errorf("llm: cache: %w", err)
	}
	return nil
}
