package openai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/openaitest"
)

// TestRetryAfterHonoured: the waits between retries are the Retry-After the
// server sent (seconds, milliseconds, capped), else the backoff.
func TestRetryAfterHonoured(t *testing.T) {
	srv := openaitest.New(nil)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.BaseURL, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxRetries: 5})
	require.NoError(t, err)
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	srv.Fail(openaitest.Embeddings,
		openaitest.Fault{Status: 429, RetryAfter: "3"},
		openaitest.Fault{Status: 503, RetryAfter: "0.25"},
		openaitest.Fault{Status: 429, RetryAfter: "100000"},
		openaitest.Fault{Status: 500})
	vecs, _, err := c.Embed(context.Background(), &EmbeddingRequest{Model: "m", Input: []string{"a", "b"}})
	require.NoError(t, err)
	require.Len(t, vecs, 2)
	require.Equal(t, 5, srv.Requests(openaitest.Embeddings))
	require.Len(t, waits, 4)
	require.Equal(t, 3*time.Second, waits[0])
	require.Equal(t, 250*time.Millisecond, waits[1])
	require.Equal(t, MaxRetryAfter, waits[2])
	require.LessOrEqual(t, waits[3], 40*time.Millisecond) // backoff, capped
	require.Equal(t, int64(4), c.Stats().Retries)
}

func TestRetryAfterHeader(t *testing.T) {
	h := http.Header{}
	require.Zero(t, retryAfter(h))
	h.Set("Retry-After", "2")
	require.Equal(t, 2*time.Second, retryAfter(h))
	h.Set("Retry-After-Ms", "150")
	require.Equal(t, 150*time.Millisecond, retryAfter(h))
	h = http.Header{}
	h.Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	require.Greater(t, retryAfter(h), 59*time.Minute)
	h.Set("Retry-After", "soon")
	require.Zero(t, retryAfter(h))
}

// TestEmbedChecksAnswer: an answer with too few vectors is retried.
func TestEmbedBadAnswerRetried(t *testing.T) {
	srv := openaitest.New(nil)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.BaseURL, MaxRetries: 1})
	require.NoError(t, err)
	c.sleep = func(context.Context, time.Duration) error { return nil }
	srv.Fail(openaitest.Embeddings, openaitest.Fault{Truncate: true}, openaitest.Fault{Malformed: true})
	_, _, err = c.Embed(context.Background(), &EmbeddingRequest{Model: "m", Input: []string{"a"}})
	require.ErrorContains(t, err, "giving up after 2 attempts")
	require.ErrorContains(t, err, "bad response body")
}

// TestAPIKey: the key is sent as a bearer token and a wrong one is a 401
// that is not retried; the key is not in the error.
func TestAPIKey(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Key: "sk-right"})
	defer srv.Close()
	t.Setenv("FERRY_TEST_OPENAI_CLIENT_KEY", "sk-wrong")
	c, err := New(Config{BaseURL: srv.BaseURL, APIKeyEnv: "FERRY_TEST_OPENAI_CLIENT_KEY"})
	require.NoError(t, err)
	_, _, err = c.Embed(context.Background(), &EmbeddingRequest{Model: "m", Input: []string{"a"}})
	require.ErrorContains(t, err, "HTTP 401")
	require.NotContains(t, err.Error(), "sk-wrong")
	require.Equal(t, int64(1), c.Stats().Requests) // not retried
	t.Setenv("FERRY_TEST_OPENAI_CLIENT_KEY", "sk-right")
	c, err = New(Config{BaseURL: srv.BaseURL, APIKeyEnv: "FERRY_TEST_OPENAI_CLIENT_KEY"})
	require.NoError(t, err)
	_, _, err = c.Embed(context.Background(), &EmbeddingRequest{Model: "m", Input: []string{"a"}})
	require.NoError(t, err)
}

// TestRateLimits: a request beyond the requests/s or tokens/min budget
// waits for it; when the wait cannot end before the deadline the call fails
// with DeadlineExceeded and sends nothing.
func TestRateLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"requests/s", Config{RequestsPerSecond: 0.1}},              // one request, then one per 10 s
		{"tokens/min", Config{TokensPerMinute: 60, Concurrency: 8}}, // a burst of 60 tokens, then 1 a second
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(nil)
			defer srv.Close()
			cfg := tc.cfg
			cfg.BaseURL = srv.BaseURL
			c, err := New(cfg)
			require.NoError(t, err)
			in := []string{strings.Repeat("x", 200)} // 50 estimated tokens
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, _, err = c.Embed(ctx, &EmbeddingRequest{Model: "m", Input: in})
			require.NoError(t, err)
			_, _, err = c.Embed(ctx, &EmbeddingRequest{Model: "m", Input: in})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.ErrorContains(t, err, tc.name)
			require.Equal(t, 1, srv.Requests(openaitest.Embeddings))
		})
	}
}

// TestConcurrencyLimit: 12 calls from 12 goroutines, at most 3 in flight.
func TestConcurrencyLimit(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Delay: 20 * time.Millisecond})
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.BaseURL, Concurrency: 3})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Go(func() {
			_, _, err := c.Embed(context.Background(), &EmbeddingRequest{Model: "m", Input: []string{"a"}})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, 12, srv.Requests(openaitest.Embeddings))
	require.LessOrEqual(t, srv.MaxInFlight(), 3)
}

// TestKeyNotEchoed: a server that puts the refused key in its message does
// not get it into the error.
func TestKeyNotEchoed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","code":"invalid_api_key"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer srv.Close()
	t.Setenv("FERRY_TEST_OPENAI_ECHO_KEY", "sk-secret-123")
	c, err := New(Config{BaseURL: srv.URL, APIKeyEnv: "FERRY_TEST_OPENAI_ECHO_KEY"})
	require.NoError(t, err)
	_, _, err = c.Embed(context.Background(), &EmbeddingRequest{Model: "m", Input: []string{"a"}})
	require.ErrorContains(t, err, "Incorrect API key provided: [API key]")
	require.NotContains(t, err.Error(), "sk-secret-123")
}
