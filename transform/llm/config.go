package llm

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/transform/llm/openai"
)

// Config configures an AI column transform. Model, Prompt and one of Output
// or Columns are required; every other zero value means the default.
type Config struct {
	// API is where and how requests go: base URL (default
	// https://api.openai.com/v1; "http://127.0.0.1:11434/v1" for Ollama), the
	// environment variable holding the key, requests in flight (default 4),
	// requests/s and tokens/min limits, retries (default 4), backoff and the
	// per-attempt timeout. See openai.Config.
	openai.API
	// Model is the chat model ("gpt-4o-mini", "llama3.1").
	Model string `json:"model"`
	// System is the system message (default: a short instruction to answer
	// exactly and only what is asked).
	System string `json:"system"`
	// Prompt is a text/template rendered over each row: {{.title}} is the
	// value of column title ({{index . "a b"}} for other names); a NULL is
	// the empty string. A column the source lacks is an error at start.
	Prompt string `json:"prompt"`
	// Output names the new utf8 column that receives the answer text.
	Output string `json:"output"`
	// Columns, instead of Output, asks for structured output (a JSON schema
	// built from them, strict) and writes each field to its own typed column.
	Columns []Column `json:"columns"`
	// BatchRows is the number of rows asked about in one request (default
	// 1). Above 1 the rows are numbered in one message and the answer is a
	// JSON array of one item per row, so Output answers are JSON too.
	BatchRows int `json:"batchRows"`
	// MaxTokens caps each answer, sent as max_tokens (0: not sent, the
	// provider's default).
	MaxTokens int `json:"maxTokens"`
	// Temperature is sent as given; nil sends 0, for reproducible answers
	// (models that accept only 1, like OpenAI's reasoning models, need 1 here).
	Temperature *float64 `json:"temperature"`
	// Cache is the answer cache file: "" is openai.DefaultCachePath, "off"
	// disables it, ":memory:" keeps it in memory for this run.
	Cache string `json:"cache"`
	// PriceInputPerMillion and PriceOutputPerMillion are the prices, in the
	// currency of your choice, of a million prompt and completion tokens;
	// they turn token counts into the estimated cost the Usage reports.
	PriceInputPerMillion  float64 `json:"priceInputPerMillion"`
	PriceOutputPerMillion float64 `json:"priceOutputPerMillion"`
	// Allocator allocates the output arrays (default memory.DefaultAllocator).
	Allocator memory.Allocator `json:"-"`
}

// Column is one field of a structured answer and the column it fills.
type Column struct {
	// Name is the field's and the new column's name.
	Name string `json:"name"`
	// Type is "string" (default), "int64", "float64" or "bool".
	Type string `json:"type"`
	// Enum restricts a string to these values (a classification).
	Enum []string `json:"enum"`
	// Description tells the model what the field holds.
	Description string `json:"description"`
	// Nullable allows a null answer (otherwise a null is a dirty row).
	Nullable bool `json:"nullable"`
}

func (c Column) arrowType() (arrow.DataType, string, error) {
	switch c.Type {
	case "", "string", "utf8":
		return arrow.BinaryTypes.String, "string", nil
	case "int64", "int", "integer":
		return arrow.PrimitiveTypes.Int64, "integer", nil
	case "float64", "double", "number":
		return arrow.PrimitiveTypes.Float64, "number", nil
	case "bool", "boolean":
		return arrow.FixedWidthTypes.Boolean, "boolean", nil
	}
	return nil, "", fmt.Errorf("llm: column %q: unknown type %q (want string, int64, float64 or bool)", c.Name, c.Type)
}

func (cfg *Config) check() error {
	switch {
	case cfg.Model == "":
		return fmt.Errorf("llm: no model")
	case cfg.Prompt == "":
		return fmt.Errorf("llm: no prompt")
	case cfg.Output == "" && len(cfg.Columns) == 0:
		return fmt.Errorf("llm: name the output column (output) or the structured columns (columns)")
	case cfg.Output != "" && len(cfg.Columns) > 0:
		return fmt.Errorf("llm: output and columns are exclusive")
	case cfg.BatchRows < 0:
		return fmt.Errorf("llm: batchRows %d is negative", cfg.BatchRows)
	case cfg.Output == "id" && cfg.BatchRows > 1:
		return fmt.Errorf("llm: output column \"id\" is reserved when batchRows > 1 (the items' numbers)")
	}
	seen := map[string]bool{}
	for _, c := range cfg.Columns {
		if c.Name == "" || c.Name == "id" && cfg.BatchRows > 1 {
			return fmt.Errorf("llm: a structured column needs a name other than \"\" (and \"id\" when batchRows > 1)")
		}
		if seen[c.Name] {
			return fmt.Errorf("llm: column %q named twice", c.Name)
		}
		seen[c.Name] = true
		t, _, err := c.arrowType()
		if err != nil {
			return err
		}
		if len(c.Enum) > 0 && t.ID() != arrow.STRING {
			return fmt.Errorf("llm: column %q: enum needs type string", c.Name)
		}
	}
	return nil
}

// columns returns the structured columns, or the one Output column.
func (cfg *Config) columns() []Column {
	if cfg.Output != "" {
		return []Column{{Name: cfg.Output}}
	}
	return cfg.Columns
}

// rowSchema is the JSON schema of one row's answer (with an id when batched).
func rowSchema(cols []Column, withID bool) map[string]any {
	props := map[string]any{}
	req := []string{}
	if withID {
		props["id"] = map[string]any{"type": "integer", "description": "the item's number"}
		req = append(req, "id")
	}
	for _, c := range cols {
		_, jt, _ := c.arrowType()
		p := map[string]any{"type": jt}
		if c.Nullable {
			p["type"] = []string{jt, "null"}
		}
		if len(c.Enum) > 0 {
			e := slices.Clone(c.Enum)
			p["enum"] = e
		}
		if c.Description != "" {
			p["description"] = c.Description
		}
		props[c.Name] = p
		req = append(req, c.Name)
	}
	return map[string]any{"type": "object", "properties": props, "required": req, "additionalProperties": false}
}

// answerSchema is the response_format schema, or nil for a plain text answer.
func (cfg *Config) answerSchema() json.RawMessage {
	var s map[string]any
	switch {
	case cfg.BatchRows > 1:
		s = map[string]any{"type": "object", "properties": map[string]any{
			"items": map[string]any{"type": "array", "items": rowSchema(cfg.columns(), true)}},
			"required": []string{"items"}, "additionalProperties": false}
	case len(cfg.Columns) > 0:
		s = rowSchema(cfg.Columns, false)
	default:
		return nil
	}
	b, _ := json.Marshal(s)
	return b
}
