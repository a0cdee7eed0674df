package openai

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ResponseFormat asks for structured output: {"type":"json_schema",
// "json_schema":{...}} or {"type":"json_object"}.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is the schema of a structured answer.
type JSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict bool            `json:"strict,omitempty"`
}

// ChatRequest is the body of POST /chat/completions.
type ChatRequest struct {
	Model          string          `json:"model"`
	Messages       []Message       `json:"messages"`
	Temperature    *float64        `json:"temperature,omitempty"`
	Seed           *int64          `json:"seed,omitempty"`
	MaxTokens      int             `json:"max_tokens,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
}

// Usage is the token count an answer reports.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ChatChoice is one choice of a chat answer.
type ChatChoice struct {
	Index   int `json:"index"`
	Message struct {
		Role    string  `json:"role"`
		Content *string `json:"content"`
		Refusal *string `json:"refusal,omitempty"`
	} `json:"message"`
	FinishReason string `json:"finish_reason"`
}

// ChatResponse is the answer of POST /chat/completions.
type ChatResponse struct {
	ID      string       `json:"id"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   *Usage       `json:"usage,omitempty"`
}

// Chat sends req. The answer has at least one choice; an answer without
// one is a BadResponseError and is retried.
func (c *Client) Chat(ctx context.Context, req *ChatRequest) (*ChatResponse, error) {
	est := 0
	for _, m := range req.Messages {
		est += EstimateTokens(m.Content) + 4
	}
	budget := req.MaxTokens
	if budget == 0 {
		budget = est / 2
	}
	var out ChatResponse
	err := c.post(ctx, "/chat/completions", req, est+budget, &out, func() error {
		if len(out.Choices) == 0 {
			return fmt.Errorf("no choices in the answer")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	estOut := 0
	if out.Choices[0].Message.Content != nil {
		estOut = EstimateTokens(*out.Choices[0].Message.Content)
	}
	c.count(out.Usage, est, estOut)
	return &out, nil
}

// EmbeddingRequest is the body of POST /embeddings.
type EmbeddingRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format,omitempty"`
}

// Embedding is one vector of an embeddings answer.
type Embedding struct {
	Index     int    `json:"index"`
	Embedding Vector `json:"embedding"`
}

// Vector is an embedding as the API sends it: a JSON array of numbers
// (encoding_format "float") or a base64 string of little-endian float32s
// (encoding_format "base64": exact, and a quarter of the decoding work).
// Either form is accepted whatever was asked, since some servers ignore
// encoding_format.
type Vector []float32

// UnmarshalJSON decodes either form.
func (v *Vector) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fmt.Errorf("embedding: bad base64: %w", err)
		}
		if len(raw)%4 != 0 {
			return fmt.Errorf("embedding: %d base64 bytes are not float32s", len(raw))
		}
		out := make([]float32, len(raw)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		*v = out
		return nil
	}
	var f []float32
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*v = f
	return nil
}

// EmbeddingResponse is the answer of POST /embeddings.
type EmbeddingResponse struct {
	Model string      `json:"model"`
	Data  []Embedding `json:"data"`
	Usage *Usage      `json:"usage,omitempty"`
}

// Embed sends req and returns the vectors in input order. An answer whose
// vectors do not match the inputs one to one (count or index) is a
// BadResponseError and is retried; the dimension is the caller's to check.
func (c *Client) Embed(ctx context.Context, req *EmbeddingRequest) ([][]float32, *EmbeddingResponse, error) {
	est := 0
	for _, s := range req.Input {
		est += EstimateTokens(s)
	}
	var out EmbeddingResponse
	vecs := make([][]float32, len(req.Input))
	err := c.post(ctx, "/embeddings", req, est, &out, func() error {
		clear(vecs)
		if len(out.Data) != len(req.Input) {
			return fmt.Errorf("%d embeddings for %d inputs", len(out.Data), len(req.Input))
		}
		for _, d := range out.Data {
			if d.Index < 0 || d.Index >= len(vecs) || vecs[d.Index] != nil {
				return fmt.Errorf("embedding index %d out of range or repeated", d.Index)
			}
			if len(d.Embedding) == 0 {
				return fmt.Errorf("embedding %d is empty", d.Index)
			}
			vecs[d.Index] = d.Embedding
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	c.count(out.Usage, est, 0)
	return vecs, &out, nil
}
