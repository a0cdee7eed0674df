package alert

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// The webhook formats.
const (
	FormatGeneric  = "generic"  // Ferry's own JSON body (Message)
	FormatSlack    = "slack"    // Slack incoming webhook: text + blocks
	FormatDingTalk = "dingtalk" // DingTalk custom robot: msgtype markdown
	FormatLark     = "lark"     // Lark/Feishu custom bot: msg_type text
	FormatFeishu   = "feishu"   // the same as lark
	FormatWeCom    = "wecom"    // WeCom (WeChat Work) group robot: msgtype markdown
)

// A Webhook is where alerts go.
type Webhook struct {
	// Name is what rules refer to; "" means the format's name.
	Name string `json:"name,omitempty"`
	// Format is one of the Format* names; "" means generic.
	Format string `json:"format,omitempty"`
	// URL is the webhook's address. It usually holds a token: prefer
	// URLEnv.
	URL string `json:"url,omitempty"`
	// URLEnv names an environment variable holding the URL.
	URLEnv string `json:"url_env,omitempty"`
	// Secret signs DingTalk ("SEC...") and Lark/Feishu messages when the
	// robot has signing on; SecretEnv names a variable that holds it.
	Secret    string `json:"secret,omitempty"`
	SecretEnv string `json:"secret_env,omitempty"`
	// Headers are added to the request (an Authorization header for a
	// generic endpoint, say). Their values are never logged.
	Headers map[string]string `json:"headers,omitempty"`
	// Timeout and Attempts override the Config's.
	Timeout  Duration `json:"timeout,omitempty"`
	Attempts int      `json:"attempts,omitempty"`
}

func (w Webhook) name() string {
	if w.Name != "" {
		return w.Name
	}
	if w.Format != "" {
		return w.Format
	}
	return FormatGeneric
}

// Validate checks the format and that a URL is given.
func (w Webhook) Validate() error {
	switch w.Format {
	case "", FormatGeneric, FormatSlack, FormatDingTalk, FormatLark, FormatFeishu, FormatWeCom:
	default:
		return fmt.Errorf("alert: webhook %s: unknown format %q (want generic, slack, dingtalk, lark, feishu or wecom)", w.name(), w.Format)
	}
	if w.URL == "" && w.URLEnv == "" {
		return fmt.Errorf("alert: webhook %s: url or url_env is required", w.name())
	}
	if w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("alert: webhook %s: url is not an http(s) URL", w.name())
		}
	}
	if w.Timeout < 0 || w.Attempts < 0 {
		return fmt.Errorf("alert: webhook %s: timeout and attempts must not be negative", w.name())
	}
	return nil
}

func (w Webhook) resolveURL() (string, error) {
	if w.URLEnv != "" {
		v := os.Getenv(w.URLEnv)
		if v == "" {
			return "", fmt.Errorf("alert: webhook %s: environment variable %s is empty", w.name(), w.URLEnv)
		}
		return v, nil
	}
	return w.URL, nil
}

func (w Webhook) secret() string {
	if w.SecretEnv != "" {
		return os.Getenv(w.SecretEnv)
	}
	return w.Secret
}

// Message is an alert, and the generic format's JSON body.
type Message struct {
	Rule        string    `json:"rule"`
	Reason      string    `json:"reason"`
	Job         string    `json:"job,omitempty"`
	Environment string    `json:"environment,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	Outcome     string    `json:"outcome"` // succeeded or failed
	Title       string    `json:"title"`
	Text        string    `json:"text"` // Markdown
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	Seconds     float64   `json:"elapsed_seconds"`
	RowsRead    int64     `json:"rows_read"`
	RowsWritten int64     `json:"rows_written"`
	RowsDirty   int64     `json:"rows_dirty"`
	Error       string    `json:"error,omitempty"`
}

// body returns the request body of m in format f, signed with secret where
// the format signs the body (Lark), and the query parameters to add to the
// URL where it signs the URL (DingTalk).
func body(f string, m Message, secret string, now time.Time) ([]byte, url.Values, error) {
	var v any
	var q url.Values
	switch f {
	case "", FormatGeneric:
		v = m
	case FormatSlack:
		// https://api.slack.com/messaging/webhooks: text is the fallback,
		// blocks the layout.
		v = map[string]any{
			"text": m.Title,
			"blocks": []any{
				map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": cut(m.Title, 150)}},
				map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": cut(slackMarkdown(m.Text), 3000)}},
			},
		}
	case FormatDingTalk:
		// DingTalk custom robot: {"msgtype":"markdown","markdown":{"title","text"}};
		// signing adds timestamp and sign to the URL.
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": m.Title, "text": "### " + m.Title + "\n\n" + m.Text}}
		if secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(ts + "\n" + secret))
			q = url.Values{"timestamp": {ts}, "sign": {base64.StdEncoding.EncodeToString(mac.Sum(nil))}}
		}
	case FormatLark, FormatFeishu:
		// Lark/Feishu custom bot: {"msg_type":"text","content":{"text"}};
		// signing adds timestamp (seconds) and sign to the body.
		msg := map[string]any{"msg_type": "text", "content": map[string]any{"text": m.Title + "\n" + m.Text}}
		if secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			mac := hmac.New(sha256.New, []byte(ts+"\n"+secret))
			msg["timestamp"] = ts
			msg["sign"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
		}
		v = msg
	case FormatWeCom:
		// WeCom group robot: {"msgtype":"markdown","markdown":{"content"}},
		// content at most 4096 bytes.
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": cut("### "+m.Title+"\n"+m.Text, 4096)}}
	default:
		return nil, nil, fmt.Errorf("alert: unknown format %q", f)
	}
	b, err := json.Marshal(v)
	return b, q, err
}

// slackMarkdown turns the **bold** of m.Text into Slack's *bold*.
func slackMarkdown(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte("**"), []byte("*")))
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		n--
	}
	return s[:n]
}

// send makes one delivery attempt. A nil error means delivered; retry says
// whether another attempt may succeed.
func send(client *http.Client, req *http.Request, f string) (retry bool, err error) {
	resp, err := client.Do(req)
	if err != nil {
		return true, redactURL(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return true, fmt.Errorf("HTTP %d: %s", resp.StatusCode, cut(string(data), 200))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, fmt.Errorf("HTTP %d: %s", resp.StatusCode, cut(string(data), 200))
	}
	// DingTalk and WeCom answer 200 with errcode; Lark/Feishu with code
	// (older bots: StatusCode). Non-zero is a refusal (bad keyword, bad
	// signature, rate limit).
	switch f {
	case FormatDingTalk, FormatWeCom, FormatLark, FormatFeishu:
		var r struct {
			ErrCode    *int   `json:"errcode"`
			ErrMsg     string `json:"errmsg"`
			Code       *int   `json:"code"`
			Msg        string `json:"msg"`
			StatusCode *int   `json:"StatusCode"`
		}
		if json.Unmarshal(data, &r) != nil {
			return false, fmt.Errorf("answer is not JSON: %s", cut(string(data), 200))
		}
		for _, c := range []*int{r.ErrCode, r.Code, r.StatusCode} {
			if c != nil && *c != 0 {
				// 130101 (DingTalk) and 45009 (WeCom), 9499/11232 (Lark)
				// are rate limits: worth another try.
				retry := *c == 130101 || *c == 45009 || *c == 9499 || *c == 11232
				return retry, fmt.Errorf("refused with code %d: %s%s", *c, r.ErrMsg, r.Msg)
			}
		}
	}
	return false, nil
}

// redactURL drops the URL (and its token) from a transport error.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
