// Package openai is a small client for OpenAI-compatible HTTP APIs (OpenAI,
// Azure-style gateways, Ollama, vLLM, llama.cpp's server): chat completions
// with optional JSON-schema structured output, and embeddings. It carries
// what a batch job needs and a chat SDK leaves to the caller: concurrency,
// requests/s and tokens/min limits shared by every goroutine, retries of
// 429/5xx/timeouts/truncated answers honouring Retry-After, token counting,
// and a content-addressed answer cache (cache.go).
//
// It is plain net/http rather than github.com/openai/openai-go: the two
// endpoints are a few JSON fields each, the retries must run under the shared
// limiters and be counted, a truncated or malformed body must be told apart
// from a well-formed answer that breaks the schema (the first is retried,
// the second is a dirty row), and no new dependency is needed.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/ferrydata/ferry"
)

// DefaultBaseURL is the API used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1"

// DefaultAPIKeyEnv is the environment variable read for the API key when
// Config.APIKeyEnv is empty.
const DefaultAPIKeyEnv = "OPENAI_API_KEY"

// Config configures a Client. The zero value talks to DefaultBaseURL with the
// key in $OPENAI_API_KEY, 4 requests at a time, no rate limit, 4 retries.
type Config struct {
	// BaseURL is the API root, ending in /v1 for most providers
	// ("http://127.0.0.1:11434/v1" for Ollama).
	BaseURL string `json:"baseUrl"`
	// APIKeyEnv names the environment variable holding the API key. When it
	// is set explicitly the variable must be non-empty; when it is empty,
	// $OPENAI_API_KEY is used if set and no key is sent otherwise (local
	// servers need none). The key is never logged or put in an error.
	APIKeyEnv string `json:"apiKeyEnv"`
	// Concurrency is the number of requests in flight at once, across every
	// goroutine using the Client (default 4).
	Concurrency int `json:"concurrency"`
	// RequestsPerSecond limits the request rate, retries included (0: none).
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// TokensPerMinute limits the estimated tokens sent per minute (prompt
	// estimate plus the completion budget; 0: none).
	TokensPerMinute int `json:"tokensPerMinute"`
	// MaxRetries is the number of retries of one request after a 408, 409,
	// 429, 5xx, a timeout, a broken connection or a truncated/malformed body
	// (default 4; negative: none). After the last one the error is marked
	// ferry.Retryable, so the engine may retry the batch with its backoff.
	MaxRetries int `json:"maxRetries"`
	// InitialBackoff and MaxBackoff bound the exponential backoff between
	// retries (defaults 500ms and 30s). A Retry-After (or retry-after-ms)
	// header replaces the computed wait, capped at MaxRetryAfter.
	InitialBackoff, MaxBackoff time.Duration `json:"-"`
	// Timeout bounds one attempt (default 120s).
	Timeout time.Duration `json:"-"`
	// HTTPClient sends the requests (default: a client with no overall
	// timeout; Timeout applies per attempt).
	HTTPClient *http.Client `json:"-"`
}

// API is Config under the name the transforms embed it by: llm.Config{API:
// openai.API{BaseURL: ...}}; in job files its fields sit beside the
// transform's own (baseUrl, apiKeyEnv, concurrency, ..., and the durations
// timeout, initialBackoff, maxBackoff as Go duration strings).
type API = Config

// Stats counts what a Client did. Tokens are the provider's counts when the
// answer carries a usage object, otherwise estimates (EstimatedTokens says
// how many of them were estimated).
type Stats struct {
	Requests         int64 // HTTP requests sent, retries included
	Retries          int64
	Failures         int64 // requests that failed after every retry
	PromptTokens     int64
	CompletionTokens int64
	EstimatedTokens  int64
}

// Client calls an OpenAI-compatible API. It is safe for concurrent use.
type Client struct {
	base    string
	key     string
	hc      *http.Client
	sem     chan struct{}
	reqLim  *rate.Limiter
	tokLim  *rate.Limiter
	retries int
	b0, b1  time.Duration
	timeout time.Duration
	sleep   func(ctx context.Context, d time.Duration) error // replaced in tests

	requests, retried, failures, prompt, completion, estimated atomic.Int64
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	c := &Client{
		base:    strings.TrimRight(cfg.BaseURL, "/"),
		hc:      cfg.HTTPClient,
		retries: cfg.MaxRetries,
		b0:      cfg.InitialBackoff,
		b1:      cfg.MaxBackoff,
		timeout: cfg.Timeout,
		sleep:   sleep,
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if !strings.HasPrefix(c.base, "http://") && !strings.HasPrefix(c.base, "https://") {
		return nil, fmt.Errorf("openai: base URL %q: want http:// or https://", c.base)
	}
	if cfg.APIKeyEnv != "" {
		c.key = os.Getenv(cfg.APIKeyEnv)
		if c.key == "" {
			return nil, fmt.Errorf("openai: environment variable %s (the API key) is not set", cfg.APIKeyEnv)
		}
	} else {
		c.key = os.Getenv(DefaultAPIKeyEnv)
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	n := cfg.Concurrency
	if n <= 0 {
		n = 4
	}
	c.sem = make(chan struct{}, n)
	if cfg.RequestsPerSecond < 0 || cfg.TokensPerMinute < 0 {
		return nil, fmt.Errorf("openai: negative rate limit")
	}
	if cfg.RequestsPerSecond > 0 {
		c.reqLim = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), max(1, int(cfg.RequestsPerSecond)))
	}
	if cfg.TokensPerMinute > 0 {
		c.tokLim = rate.NewLimiter(rate.Limit(float64(cfg.TokensPerMinute)/60), cfg.TokensPerMinute)
	}
	if c.retries == 0 {
		c.retries = 4
	} else if c.retries < 0 {
		c.retries = 0
	}
	if c.b0 <= 0 {
		c.b0 = 500 * time.Millisecond
	}
	if c.b1 <= 0 {
		c.b1 = 30 * time.Second
	}
	if c.timeout <= 0 {
		c.timeout = 120 * time.Second
	}
	return c, nil
}

// BaseURL returns the API root the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:         c.requests.Load(),
		Retries:          c.retried.Load(),
		Failures:         c.failures.Load(),
		PromptTokens:     c.prompt.Load(),
		CompletionTokens: c.completion.Load(),
		EstimatedTokens:  c.estimated.Load(),
	}
}

// APIError is an error status from the API.
type APIError struct {
	Status     int
	Type       string
	Code       string
	Message    string
	RetryAfter time.Duration // from the Retry-After header, when sent
	Path       string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("openai: %s: HTTP %d: %s", e.Path, e.Status, msg)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	return s
}

// Retryable reports whether the status is worth retrying: 408, 409, 429 and 5xx.
func (e *APIError) Retryable() bool {
	return e.Status == 408 || e.Status == 409 || e.Status == 429 || e.Status >= 500
}

// BadResponseError is a 2xx answer whose body could not be decoded
// (truncated, malformed, missing fields). It is retried.
type BadResponseError struct {
	Path string
	Err  error
}

func (e *BadResponseError) Error() string {
	return fmt.Sprintf("openai: %s: bad response body: %v", e.Path, e.Err)
}
func (e *BadResponseError) Unwrap() error { return e.Err }

// Retryable reports true.
func (e *BadResponseError) Retryable() bool { return true }

// EstimateTokens is a provider-neutral estimate of the tokens of s: one per
// four bytes, at least one. It drives the tokens/min limiter and stands in
// for the count when an answer has no usage object.
func EstimateTokens(s string) int { return max(1, (len(s)+3)/4) }

// post sends body to path under the limits and retries and decodes the 2xx
// answer into out with check validating it (a failed check is a
// BadResponseError and is retried). It returns the usage the answer reports.
func (c *Client) post(ctx context.Context, path string, body any, tokens int, out any, check func() error) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("openai: %s: %w", path, err)
	}
	backoff := c.b0
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, path, raw, tokens, out, check)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("openai: %s: %w", path, context.Cause(ctx))
		}
		if !retryable(err) {
			c.failures.Add(1)
			return err
		}
		if attempt >= c.retries {
			c.failures.Add(1)
			return ferry.Retryable(fmt.Errorf("openai: %s: giving up after %d attempts: %w", path, attempt+1, err))
		}
		wait := min(backoff+rand.N(backoff/2+1), c.b1)
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = min(ae.RetryAfter, MaxRetryAfter)
		}
		backoff = min(2*backoff, c.b1)
		c.retried.Add(1)
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("openai: %s: %w", path, err)
		}
	}
}

// MaxRetryAfter caps the wait a Retry-After header asks for.
const MaxRetryAfter = 2 * time.Minute

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // a limiter wait past the deadline (a net.Error too)
	}
	if ferry.IsRetryable(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // timeouts, refused and reset connections
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func (c *Client) once(ctx context.Context, path string, raw []byte, tokens int, out any, check func() error) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-c.sem }()
	if c.reqLim != nil {
		if err := c.reqLim.Wait(ctx); err != nil {
			return limitErr(ctx, "requests/s", err)
		}
	}
	if c.tokLim != nil {
		if err := c.tokLim.WaitN(ctx, min(tokens, c.tokLim.Burst())); err != nil {
			return limitErr(ctx, "tokens/min", err)
		}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("openai: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil && actx.Err() != nil {
			return ferry.Retryable(fmt.Errorf("openai: %s: no answer within %s", path, c.timeout))
		}
		return fmt.Errorf("openai: %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		if ctx.Err() == nil && actx.Err() != nil {
			return ferry.Retryable(fmt.Errorf("openai: %s: no complete answer within %s", path, c.timeout))
		}
		return &BadResponseError{Path: path, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode, Path: path, RetryAfter: retryAfter(resp.Header)}
		var e struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    any    `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			ae.Message, ae.Type = e.Error.Message, e.Error.Type
			if e.Error.Code != nil {
				ae.Code = fmt.Sprint(e.Error.Code)
			}
		}
		if ae.Message == "" {
			ae.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
		}
		if c.key != "" { // a server may echo the key it refused
			ae.Message = strings.ReplaceAll(ae.Message, c.key, "[API key]")
		}
		return ae
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &BadResponseError{Path: path, Err: err}
	}
	if check != nil {
		if err := check(); err != nil {
			return &BadResponseError{Path: path, Err: err}
		}
	}
	return nil
}

// limitErr is the error of a limiter wait that cannot finish before ctx
// ends: the context's error, so the engine treats it as the cancellation it
// will be.
func limitErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return fmt.Errorf("openai: waiting for the %s limit would pass the deadline: %w (%v)", what, context.DeadlineExceeded, err)
}

// retryAfter reads retry-after-ms (OpenAI's) or Retry-After (seconds or an
// HTTP date).
func retryAfter(h http.Header) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

func (c *Client) count(u *Usage, estPrompt, estCompletion int) {
	if u != nil && (u.PromptTokens > 0 || u.CompletionTokens > 0) {
		c.prompt.Add(int64(u.PromptTokens))
		c.completion.Add(int64(u.CompletionTokens))
		return
	}
	c.prompt.Add(int64(estPrompt))
	c.completion.Add(int64(estCompletion))
	c.estimated.Add(int64(estPrompt + estCompletion))
}
