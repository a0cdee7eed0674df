package openaitest

import (
	"os"
	"testing"
)

// The environment variables that point the tests at a real provider.
const (
	EnvBaseURL    = "FERRY_TEST_OPENAI_BASE_URL"
	EnvKey        = "FERRY_TEST_OPENAI_API_KEY"
	EnvChatModel  = "FERRY_TEST_OPENAI_CHAT_MODEL"
	EnvEmbedModel = "FERRY_TEST_OPENAI_EMBED_MODEL"
)

// A Target is the API a test talks to.
type Target struct {
	BaseURL    string
	KeyEnv     string // the environment variable holding the key ("" for none)
	ChatModel  string
	EmbedModel string
	// Local is the test server, nil when the target is a real provider.
	Local *Server
}

// NewTarget returns the provider named by FERRY_TEST_OPENAI_BASE_URL (key in
// FERRY_TEST_OPENAI_API_KEY, models in FERRY_TEST_OPENAI_CHAT_MODEL and
// FERRY_TEST_OPENAI_EMBED_MODEL, defaulting to gpt-4o-mini and
// text-embedding-3-small) when it is set, and otherwise a new local Server
// with opts, closed when t ends. Tests that need faults or request counts
// call New instead.
func NewTarget(t testing.TB, opts *Options) *Target {
	if u := os.Getenv(EnvBaseURL); u != "" {
		tg := &Target{BaseURL: u, ChatModel: os.Getenv(EnvChatModel), EmbedModel: os.Getenv(EnvEmbedModel)}
		if os.Getenv(EnvKey) != "" {
			tg.KeyEnv = EnvKey
		}
		if tg.ChatModel == "" {
			tg.ChatModel = "gpt-4o-mini"
		}
		if tg.EmbedModel == "" {
			tg.EmbedModel = "text-embedding-3-small"
		}
		return tg
	}
	s := New(opts)
	t.Cleanup(s.Close)
	return &Target{BaseURL: s.BaseURL, ChatModel: "test-chat", EmbedModel: "test-embed", Local: s}
}
