package alert_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/alert"
)

// recorder is a webhook endpoint that keeps what it receives.
type recorder struct {
	mu     sync.Mutex
	bodies []map[string]any
	urls   []string
	calls  atomic.Int64
	answer func(n int64, w http.ResponseWriter)
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := rc.calls.Add(1)
	data, _ := io.ReadAll(r.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || r.Header.Get("Content-Type") != "application/json; charset=utf-8" || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, m)
	rc.urls = append(rc.urls, r.URL.RequestURI())
	rc.mu.Unlock()
	if rc.answer != nil {
		rc.answer(n, w)
		return
	}
	io.WriteString(w, `{"errcode":0,"errmsg":"ok","code":0,"msg":"success"}`)
}

func failedRun() alert.Run {
	sum := &ferry.Summary{RunID: "r42", RowsRead: 100, RowsWritten: 90, RowsDirty: 10, Elapsed: 3 * time.Second,
		Error: "ferry: split s1: connection refused", Checks: []ferry.CheckResult{{Name: "rows", Blocking: false, Passed: false, Detail: "12 < 100"}}}
	return alert.Run{Job: "orders", Environment: "prod", Summary: sum, Err: errors.New(sum.Error)}
}

func okRun(rows int64, elapsed time.Duration) alert.Run {
	return alert.Run{Job: "orders", Summary: &ferry.Summary{RunID: "r1", RowsRead: rows, RowsWritten: rows, Elapsed: elapsed}}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func TestFormats(t *testing.T) {
	now := time.Unix(1767225600, 0)
	cases := []struct {
		format string
		secret string
		check  func(t *testing.T, body map[string]any, uri string)
	}{
		{alert.FormatGeneric, "", func(t *testing.T, b map[string]any, _ string) {
			if b["rule"] != "failure" || b["job"] != "orders" || b["run_id"] != "r42" || b["outcome"] != "failed" ||
				b["rows_dirty"] != 10.0 || b["environment"] != "prod" || !strings.Contains(b["error"].(string), "connection refused") {
				t.Errorf("generic body %v", b)
			}
		}},
		{alert.FormatSlack, "", func(t *testing.T, b map[string]any, _ string) {
			if !strings.Contains(b["text"].(string), "Ferry orders FAILED") {
				t.Errorf("slack text %v", b["text"])
			}
			blocks := b["blocks"].([]any)
			sec := blocks[1].(map[string]any)
			if sec["type"] != "section" || get(sec, "text", "type") != "mrkdwn" || !strings.Contains(get(sec, "text", "text").(string), "*run*: r42") {
				t.Errorf("slack blocks %v", blocks)
			}
		}},
		{alert.FormatDingTalk, "SECabc", func(t *testing.T, b map[string]any, uri string) {
			if b["msgtype"] != "markdown" || !strings.Contains(get(b, "markdown", "title").(string), "FAILED") ||
				!strings.Contains(get(b, "markdown", "text").(string), "**rows**: 100 read, 90 written, 10 dirty") {
				t.Errorf("dingtalk body %v", b)
			}
			mac := hmac.New(sha256.New, []byte("SECabc"))
			mac.Write([]byte("1767225600000\nSECabc"))
			want := "sign=" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(base64.StdEncoding.EncodeToString(mac.Sum(nil)), "+", "%2B"), "/", "%2F"), "=", "%3D")
			if !strings.Contains(uri, "access_token=tok&") || !strings.Contains(uri, "timestamp=1767225600000") || !strings.Contains(uri, want) {
				t.Errorf("dingtalk signed URL %s, want %s", uri, want)
			}
		}},
		{alert.FormatLark, "larksecret", func(t *testing.T, b map[string]any, _ string) {
			if b["msg_type"] != "text" || !strings.Contains(get(b, "content", "text").(string), "check rows** failed: 12 < 100") {
				t.Errorf("lark body %v", b)
			}
			mac := hmac.New(sha256.New, []byte("1767225600\nlarksecret"))
			if b["timestamp"] != "1767225600" || b["sign"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
				t.Errorf("lark signature %v %v", b["timestamp"], b["sign"])
			}
		}},
		{alert.FormatWeCom, "", func(t *testing.T, b map[string]any, _ string) {
			if b["msgtype"] != "markdown" || !strings.HasPrefix(get(b, "markdown", "content").(string), "### Ferry orders FAILED: run failed\n") {
				t.Errorf("wecom body %v", b)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			rc := &recorder{}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			cfg := &alert.Config{
				Rules:    []alert.Rule{alert.OnFailure(), alert.OnSuccess()},
				Webhooks: []alert.Webhook{{Format: c.format, URL: srv.URL + "/hook?access_token=tok", Secret: c.secret}},
			}
			n, err := alert.New(cfg, &alert.Options{Logger: quietLogger(), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ds := n.Notify(context.Background(), failedRun())
			if len(ds) != 1 || ds[0].Err != nil || ds[0].Attempts != 1 || ds[0].Rule != "failure" {
				t.Fatalf("deliveries %+v", ds)
			}
			if len(rc.bodies) != 1 {
				t.Fatalf("%d requests", len(rc.bodies))
			}
			c.check(t, rc.bodies[0], rc.urls[0])
		})
	}
}

func TestServerErrorIsRetriedThenReported(t *testing.T) {
	rc := &recorder{answer: func(n int64, w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) }}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var logged bytes.Buffer
	cfg := &alert.Config{Rules: []alert.Rule{alert.OnFailure()}, Webhooks: []alert.Webhook{{Format: "slack", URL: srv.URL + "/T000/B000/XXXXSECRET"}},
		Attempts: 3, Backoff: alert.Duration(time.Millisecond)}
	n, err := alert.New(cfg, &alert.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ds := n.Notify(context.Background(), failedRun())
	if len(ds) != 1 || ds[0].Err == nil || ds[0].Attempts != 3 || rc.calls.Load() != 3 {
		t.Fatalf("deliveries %+v, calls %d", ds, rc.calls.Load())
	}
	if !strings.Contains(ds[0].Error, "HTTP 500") || len(alert.Failed(ds)) != 1 {
		t.Errorf("error %q", ds[0].Error)
	}
	if !strings.Contains(logged.String(), "alert: not delivered") || strings.Contains(logged.String(), "XXXXSECRET") {
		t.Errorf("log %q", logged.String())
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	rc := &recorder{answer: func(n int64, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := &alert.Config{Rules: []alert.Rule{alert.OnFailure()}, Webhooks: []alert.Webhook{{URL: srv.URL}}, Backoff: alert.Duration(time.Millisecond)}
	n, _ := alert.New(cfg, &alert.Options{Logger: quietLogger()})
	ds := n.Notify(context.Background(), failedRun())
	if len(ds) != 1 || ds[0].Err != nil || ds[0].Attempts != 2 {
		t.Fatalf("deliveries %+v", ds)
	}
}

func TestServerThatTimesOut(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := &alert.Config{Rules: []alert.Rule{alert.OnFailure()},
		Webhooks: []alert.Webhook{{Format: "dingtalk", URL: srv.URL + "/robot/send?access_token=SECRETTOKEN", Timeout: alert.Duration(50 * time.Millisecond), Attempts: 2}},
		Backoff:  alert.Duration(time.Millisecond)}
	n, _ := alert.New(cfg, &alert.Options{Logger: quietLogger()})
	start := time.Now()
	ds := n.Notify(context.Background(), failedRun())
	if len(ds) != 1 || ds[0].Err == nil || ds[0].Attempts != 2 || calls.Load() != 2 {
		t.Fatalf("deliveries %+v, calls %d", ds, calls.Load())
	}
	if !errors.Is(ds[0].Err, context.DeadlineExceeded) {
		t.Errorf("error %v is not a deadline", ds[0].Err)
	}
	if strings.Contains(ds[0].Error, "SECRETTOKEN") {
		t.Errorf("error shows the URL token: %s", ds[0].Error)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the timeout did not bound the delivery")
	}
}

func TestRefusalCodes(t *testing.T) {
	for _, c := range []struct{ format, answer string }{
		{"dingtalk", `{"errcode":310000,"errmsg":"keywords not in content"}`},
		{"wecom", `{"errcode":93000,"errmsg":"invalid webhook url"}`},
		{"lark", `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`},
		{"feishu", `{"StatusCode":1,"StatusMessage":"bad"}`},
	} {
		t.Run(c.format, func(t *testing.T) {
			rc := &recorder{answer: func(n int64, w http.ResponseWriter) { io.WriteString(w, c.answer) }}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			cfg := &alert.Config{Rules: []alert.Rule{alert.OnFailure()}, Webhooks: []alert.Webhook{{Format: c.format, URL: srv.URL}}}
			n, _ := alert.New(cfg, &alert.Options{Logger: quietLogger()})
			ds := n.Notify(context.Background(), failedRun())
			if len(ds) != 1 || ds[0].Err == nil || ds[0].Attempts != 1 || !strings.Contains(ds[0].Error, "refused with code") {
				t.Fatalf("deliveries %+v", ds)
			}
		})
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		rule alert.Rule
		run  alert.Run
		want bool
	}{
		{alert.OnSuccess(), okRun(10, time.Second), true},
		{alert.OnSuccess(), failedRun(), false},
		{alert.OnFailure(), failedRun(), true},
		{alert.OnFailure(), okRun(10, time.Second), false},
		{alert.OnFailure(), alert.Run{Err: errors.New("no such table")}, true}, // failed before a Summary
		{alert.DirtyRowsOver(9), failedRun(), true},
		{alert.DirtyRowsOver(10), failedRun(), false},
		{alert.DurationOver(time.Hour), okRun(1, 2*time.Hour), true},
		{alert.DurationOver(time.Hour), okRun(1, time.Minute), false},
		{alert.RowsBelow(1000), okRun(999, time.Second), true},
		{alert.RowsBelow(1000), okRun(1000, time.Second), false},
		{alert.RowsBelow(1), alert.Run{Err: errors.New("x")}, true},
		{alert.OnCheckWarning(), failedRun(), true},
		{alert.OnCheckWarning(), okRun(1, time.Second), false},
		{alert.Rule{When: alert.WhenAlways}, okRun(1, time.Second), true},
	}
	for _, c := range cases {
		got, why := c.rule.Fires(c.run)
		if got != c.want {
			t.Errorf("%+v on %+v: fires %v (%s), want %v", c.rule, c.run.Summary, got, why, c.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	t.Setenv("FERRY_TEST_HOOK", "https://oapi.dingtalk.com/robot/send?access_token=x")
	cfg, err := alert.ParseConfig([]byte(`{
	  "webhooks": [{"name": "ops", "format": "dingtalk", "url_env": "FERRY_TEST_HOOK"}, {"format": "slack", "url": "https://hooks.slack.com/services/T/B/X", "timeout": 5}],
	  "rules": [{"when": "failure"}, {"when": "rows_below", "rows": 1000, "webhooks": ["ops"]}, {"when": "duration_over", "duration": "2h"}, {"when": "dirty_rows_over", "rows": 0}],
	  "attempts": 4, "timeout": "3s"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != 4 || cfg.Rules[2].Duration != alert.Duration(2*time.Hour) || cfg.Webhooks[1].Timeout != alert.Duration(5*time.Second) || cfg.Attempts != 4 {
		t.Errorf("config %+v", cfg)
	}
	out, err := json.Marshal(cfg)
	if err != nil || !strings.Contains(string(out), `"duration":"2h0m0s"`) {
		t.Errorf("marshal %s %v", out, err)
	}
	for _, bad := range []string{
		`{"rules":[{"when":"sometimes"}],"webhooks":[{"url":"http://x"}]}`,
		`{"rules":[{"when":"rows_below"}],"webhooks":[{"url":"http://x"}]}`,
		`{"rules":[{"when":"duration_over","duration":"soon"}],"webhooks":[{"url":"http://x"}]}`,
		`{"rules":[{"when":"failure","webhooks":["nope"]}],"webhooks":[{"url":"http://x"}]}`,
		`{"rules":[{"when":"failure"}]}`,
		`{"rules":[],"webhooks":[{"format":"teams","url":"http://x"}]}`,
		`{"rules":[],"webhooks":[{"format":"slack"}]}`,
		`{"rules":[],"webhooks":[{"url":"ftp://x"}]}`,
		`{"rules":[],"webhooks":[{"url":"http://x"},{"url":"http://y"}]}`,
		`{"rules":[],"webhook":[]}`,
	} {
		if _, err := alert.ParseConfig([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "alert: ") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
}

func TestRuleWebhookSelection(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	defer sa.Close()
	defer sb.Close()
	cfg := &alert.Config{
		Rules:    []alert.Rule{{When: alert.WhenFailure, Webhooks: []string{"a"}}, alert.DirtyRowsOver(0)},
		Webhooks: []alert.Webhook{{Name: "a", URL: sa.URL}, {Name: "b", URL: sb.URL, Format: "wecom"}},
	}
	n, err := alert.New(cfg, &alert.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if ms := n.Messages(failedRun()); len(ms) != 2 {
		t.Errorf("messages %+v", ms)
	}
	ds := n.Notify(context.Background(), failedRun())
	if len(ds) != 3 || len(alert.Failed(ds)) != 0 || a.calls.Load() != 2 || b.calls.Load() != 1 {
		t.Errorf("deliveries %+v a=%d b=%d", ds, a.calls.Load(), b.calls.Load())
	}
	if n.Notify(context.Background(), okRun(5, time.Second)) != nil {
		t.Errorf("a clean run sent alerts")
	}
}

func TestEmptyURLEnv(t *testing.T) {
	cfg := &alert.Config{Rules: []alert.Rule{alert.OnFailure()}, Webhooks: []alert.Webhook{{URLEnv: "FERRY_TEST_UNSET_HOOK_VAR"}}}
	n, err := alert.New(cfg, &alert.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ds := n.Notify(context.Background(), failedRun())
	if len(ds) != 1 || ds[0].Err == nil || !strings.Contains(ds[0].Error, "FERRY_TEST_UNSET_HOOK_VAR is empty") {
		t.Errorf("deliveries %+v", ds)
	}
}
