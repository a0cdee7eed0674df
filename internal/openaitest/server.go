// Package openaitest is an OpenAI-compatible HTTP server for tests: POST
// /v1/chat/completions (plain and with response_format json_schema or
// json_object) and POST /v1/embeddings, as the API reference documents them,
// with injectable faults (error statuses with Retry-After, slow answers,
// truncated or malformed bodies, embeddings of the wrong dimension, dropped
// connections) and counters of what it was sent.
//
// Target picks what a test talks to: this server, or a real provider (or a
// local Ollama/vLLM/llama.cpp server) when FERRY_TEST_OPENAI_BASE_URL is set.
package openaitest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server; the zero value is usable.
type Options struct {
	// Key, when set, is the bearer token every request must carry (401 otherwise).
	Key string
	// Dim is the embedding dimension when a request sends no "dimensions" (default 8).
	Dim int
	// MaxInputs is the most inputs one embeddings request may carry (default
	// 2048, OpenAI's limit); more is a 400.
	MaxInputs int
	// Answer returns the assistant's content for a chat request. The default
	// echoes the last user message, or, with a JSON schema, returns a value
	// generated from the schema.
	Answer func(req *ChatRequest) string
	// Delay delays every answer.
	Delay time.Duration
	// FloatsOnly answers embeddings as JSON arrays even when base64 is asked
	// for, as some servers do.
	FloatsOnly bool
}

// ChatRequest is what the server decodes from a chat-completions body.
type ChatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens      int `json:"max_tokens"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// User returns the content of the last user message.
func (r *ChatRequest) User() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Schema returns the requested JSON schema, or nil.
func (r *ChatRequest) Schema() json.RawMessage {
	if r.ResponseFormat == nil || r.ResponseFormat.JSONSchema == nil {
		return nil
	}
	return r.ResponseFormat.JSONSchema.Schema
}

// Fault is what the server does to one request instead of (or besides)
// answering it normally.
type Fault struct {
	// Status answers with this HTTP status and an OpenAI-style error body.
	Status int
	// RetryAfter is sent as the Retry-After header (seconds or an HTTP date).
	RetryAfter string
	// Delay sleeps before answering (a slow response).
	Delay time.Duration
	// Truncate sends only the first half of the normal body.
	Truncate bool
	// Malformed sends a body that is not JSON.
	Malformed bool
	// Dim answers embeddings with vectors of this dimension.
	Dim int
	// Content replaces the chat answer's content (an off-schema answer, say).
	Content *string
	// FinishReason replaces "stop".
	FinishReason string
	// Drop closes the connection without an answer.
	Drop bool
	// Match, when set, makes the fault apply only to a request whose body
	// contains it (the first queued fault that matches is taken).
	Match string
}

// Request is one request the server received.
type Request struct {
	Path   string
	Inputs int // embeddings: the number of inputs
	Body   []byte
}

// Server is a running test server. Close it when done.
type Server struct {
	*httptest.Server
	// BaseURL is the API root to configure clients with (URL + "/v1").
	BaseURL string

	opts     Options
	mu       sync.Mutex
	faults   map[string][]Fault
	log      []Request
	inflight atomic.Int64
	maxIn    atomic.Int64
}

// New starts a Server.
func New(opts *Options) *Server {
	s := &Server{faults: map[string][]Fault{}}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Dim <= 0 {
		s.opts.Dim = 8
	}
	if s.opts.MaxInputs <= 0 {
		s.opts.MaxInputs = 2048
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.Server = httptest.NewServer(s.wrap(mux))
	s.BaseURL = s.URL + "/v1"
	return s
}

// Paths of the two endpoints, for Fail and Requests.
const (
	Chat       = "/v1/chat/completions"
	Embeddings = "/v1/embeddings"
)

// Fail queues faults for the next requests to path (Chat or Embeddings), one
// fault per request, in order.
func (s *Server) Fail(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], faults...)
}

// Requests returns the number of requests received on path ("" for all).
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if path == "" || r.Path == path {
			n++
		}
	}
	return n
}

// Log returns a copy of the requests received so far.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// MaxInFlight returns the most requests that were being served at once.
func (s *Server) MaxInFlight() int { return int(s.maxIn.Load()) }

// Reset forgets the request log, the in-flight maximum and queued faults.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.faults = map[string][]Fault{}
	s.maxIn.Store(0)
}

func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for {
			m := s.maxIn.Load()
			if n <= m || s.maxIn.CompareAndSwap(m, n) {
				break
			}
		}
		if s.opts.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.Key {
			writeError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// take records the request and pops its fault.
func (s *Server) take(path string, body []byte, inputs int) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Path: path, Inputs: inputs, Body: body})
	q := s.faults[path]
	for i, f := range q {
		if f.Match == "" || strings.Contains(string(body), f.Match) {
			s.faults[path] = append(q[:i:i], q[i+1:]...)
			return f
		}
	}
	return Fault{}
}

// apply does the fault's part before the normal answer; it reports whether
// the request was answered.
func (s *Server) apply(w http.ResponseWriter, r *http.Request, f Fault) bool {
	d := s.opts.Delay + f.Delay
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return true
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Status != 0 && f.Status/100 != 2 {
		code := "server_error"
		if f.Status == 429 {
			code = "rate_limit_exceeded"
		}
		writeError(w, f.Status, code, fmt.Sprintf("injected fault: HTTP %d", f.Status))
		return true
	}
	if f.Malformed {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": "x", "choices": [ this is not json`)
		return true
	}
	return false
}

func (s *Server) send(w http.ResponseWriter, f Fault, v any) {
	b, _ := json.Marshal(v)
	if f.Truncate {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": code}})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f := s.take(Chat, body, 0)
	if s.apply(w, r, f) {
		return
	}
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, 400, "invalid_json", "We could not parse the JSON body of your request: "+err.Error())
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		writeError(w, 400, "missing_required_parameter", "model and messages are required")
		return
	}
	var content string
	switch {
	case f.Content != nil:
		content = *f.Content
	case s.opts.Answer != nil:
		content = s.opts.Answer(&req)
	case req.Schema() != nil:
		var sch map[string]any
		if err := json.Unmarshal(req.Schema(), &sch); err != nil {
			writeError(w, 400, "invalid_schema", "response_format.json_schema.schema: "+err.Error())
			return
		}
		b, _ := json.Marshal(Generate(sch, req.User()))
		content = string(b)
	default:
		content = "echo: " + req.User()
	}
	finish := "stop"
	if f.FinishReason != "" {
		finish = f.FinishReason
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += tokens(m.Content) + 4
	}
	s.send(w, f, map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish,
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": tokens(content), "total_tokens": prompt + tokens(content)},
	})
}

func tokens(s string) int { return max(1, (len(s)+3)/4) }

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Model      string          `json:"model"`
		Input      json.RawMessage `json:"input"`
		Dimensions int             `json:"dimensions"`
		Format     string          `json:"encoding_format"`
	}
	err := json.Unmarshal(body, &req)
	var inputs []string
	if err == nil {
		if json.Unmarshal(req.Input, &inputs) != nil {
			var one string
			if err = json.Unmarshal(req.Input, &one); err == nil {
				inputs = []string{one}
			}
		}
	}
	f := s.take(Embeddings, body, len(inputs))
	if s.apply(w, r, f) {
		return
	}
	switch {
	case err != nil:
		writeError(w, 400, "invalid_json", "input must be a string or an array of strings")
		return
	case req.Model == "":
		writeError(w, 400, "missing_required_parameter", "model is required")
		return
	case req.Format != "" && req.Format != "float" && req.Format != "base64":
		writeError(w, 400, "invalid_request_error", "encoding_format must be float or base64")
		return
	case len(inputs) == 0 || len(inputs) > s.opts.MaxInputs:
		writeError(w, 400, "invalid_request_error", fmt.Sprintf("'$.input' must have 1 to %d items", s.opts.MaxInputs))
		return
	}
	dim := s.opts.Dim
	if req.Dimensions > 0 {
		dim = req.Dimensions
	}
	if f.Dim > 0 {
		dim = f.Dim
	}
	data := make([]any, len(inputs))
	total := 0
	for i, in := range inputs {
		if in == "" {
			writeError(w, 400, "invalid_request_error", fmt.Sprintf("'$.input[%d]' is empty", i))
			return
		}
		var emb any = Vector(in, dim)
		if req.Format == "base64" && !s.opts.FloatsOnly {
			emb = base64Vector(Vector(in, dim))
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
		total += tokens(in)
	}
	s.send(w, f, map[string]any{"object": "list", "model": req.Model, "data": data,
		"usage": map[string]any{"prompt_tokens": total, "total_tokens": total}})
}

func base64Vector(v []float32) string {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Vector is the server's embedding of text: dim float32 values derived from
// SHA-256 of the text, normalised to length 1.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	var sum float64
	for i := 0; i < dim; i += 8 {
		h := sha256.Sum256([]byte(fmt.Sprintf("%d:%s", i, text)))
		for j := 0; j < 8 && i+j < dim; j++ {
			x := float64(int32(binary.LittleEndian.Uint32(h[4*j:]))) / math.MaxInt32
			v[i+j] = float32(x)
			sum += x * x
		}
	}
	n := math.Sqrt(sum)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
	return v
}

// Generate returns a value that conforms to the JSON schema sch (objects,
// arrays of one item, enums, strings, integers, numbers, booleans, nullable
// type lists), derived from seed.
func Generate(sch map[string]any, seed string) any {
	if e, ok := sch["enum"].([]any); ok && len(e) > 0 {
		return e[int(sha256.Sum256([]byte(seed))[0])%len(e)]
	}
	t := sch["type"]
	if l, ok := t.([]any); ok && len(l) > 0 {
		t = l[0]
	}
	switch t {
	case "object":
		out := map[string]any{}
		props, _ := sch["properties"].(map[string]any)
		for k, p := range props {
			ps, _ := p.(map[string]any)
			out[k] = Generate(ps, seed+"/"+k)
		}
		return out
	case "array":
		it, _ := sch["items"].(map[string]any)
		return []any{Generate(it, seed+"/0")}
	case "integer":
		return int(sha256.Sum256([]byte(seed))[0])
	case "number":
		return float64(sha256.Sum256([]byte(seed))[0]) / 4
	case "boolean":
		return sha256.Sum256([]byte(seed))[0]%2 == 0
	case "null":
		return nil
	}
	return "text for " + strings.TrimSpace(seed)
}
