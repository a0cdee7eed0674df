package openaitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, key, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return resp.StatusCode, resp.Header, m
}

// TestProtocol: the documented shapes of both endpoints, auth, schema
// answers, errors and a fault.
func TestProtocol(t *testing.T) {
	s := New(&Options{Key: "k", Dim: 4, MaxInputs: 2})
	defer s.Close()
	code, _, m := post(t, s.BaseURL+"/chat/completions", "", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if code != 401 || m["error"].(map[string]any)["code"] != "invalid_api_key" {
		t.Fatalf("no key: %d %v", code, m)
	}
	code, _, m = post(t, s.BaseURL+"/chat/completions", "k", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	ch := m["choices"].([]any)[0].(map[string]any)
	if code != 200 || ch["message"].(map[string]any)["content"] != "echo: hi" || ch["finish_reason"] != "stop" || m["usage"] == nil {
		t.Fatalf("plain chat: %d %v", code, m)
	}
	schema := `{"type":"object","properties":{"c":{"type":"string","enum":["x","y"]},"n":{"type":"integer"},"ok":{"type":["boolean","null"]},"l":{"type":"array","items":{"type":"number"}}},"required":["c","n","ok","l"],"additionalProperties":false}`
	_, _, m = post(t, s.BaseURL+"/chat/completions", "k", `{"model":"m","messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_schema","json_schema":{"name":"a","strict":true,"schema":`+schema+`}}}`)
	content := m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"].(string)
	var ans struct {
		C  string    `json:"c"`
		N  *int      `json:"n"`
		OK *bool     `json:"ok"`
		L  []float64 `json:"l"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(content)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ans); err != nil || (ans.C != "x" && ans.C != "y") || ans.N == nil || ans.OK == nil || len(ans.L) != 1 {
		t.Fatalf("schema answer %s: %v", content, err)
	}
	code, _, m = post(t, s.BaseURL+"/embeddings", "k", `{"model":"e","input":["a","b"]}`)
	data := m["data"].([]any)
	if code != 200 || len(data) != 2 || len(data[1].(map[string]any)["embedding"].([]any)) != 4 {
		t.Fatalf("embeddings: %d %v", code, m)
	}
	_, _, m = post(t, s.BaseURL+"/embeddings", "k", `{"model":"e","input":"a","dimensions":3,"encoding_format":"base64"}`)
	if e, ok := m["data"].([]any)[0].(map[string]any)["embedding"].(string); !ok || len(e) != 16 { // 12 bytes
		t.Fatalf("base64 embedding: %v", m)
	}
	for _, bad := range []string{`{"model":"e","input":["a","b","c"]}`, `{"model":"e","input":[""]}`, `{"input":["a"]}`, `{"model":"e","input":[1]}`} {
		if code, _, _ := post(t, s.BaseURL+"/embeddings", "k", bad); code != 400 {
			t.Fatalf("%s: %d", bad, code)
		}
	}
	s.Fail(Embeddings, Fault{Status: 429, RetryAfter: "7"})
	code, h, _ := post(t, s.BaseURL+"/embeddings", "k", `{"model":"e","input":"a"}`)
	if code != 429 || h.Get("Retry-After") != "7" {
		t.Fatalf("fault: %d %v", code, h)
	}
	if n := s.Requests(Embeddings); n != 7 {
		t.Fatalf("%d embeddings requests counted", n)
	}
}
