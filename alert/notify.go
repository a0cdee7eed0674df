package alert

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a Notifier. The zero value means the defaults.
type Options struct {
	// Client sends the requests; nil means a client without its own
	// timeout (each attempt has the webhook's).
	Client *http.Client
	// Logger receives a warning for every alert that could not be
	// delivered; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock (for signatures); nil means time.Now.
	Now func() time.Time
}

// Notifier evaluates a Config's rules and delivers the alerts.
type Notifier struct {
	cfg  Config
	opts Options
}

// New returns a Notifier for cfg (validated).
func New(cfg *Config, opts *Options) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{cfg: *cfg}
	if opts != nil {
		n.opts = *opts
	}
	if n.opts.Client == nil {
		n.opts.Client = &http.Client{}
	}
	if n.opts.Logger == nil {
		n.opts.Logger = slog.Default()
	}
	if n.opts.Now == nil {
		n.opts.Now = time.Now
	}
	return n, nil
}

// A Delivery is the outcome of sending one alert to one webhook.
type Delivery struct {
	Rule     string `json:"rule"`
	Webhook  string `json:"webhook"`
	Attempts int    `json:"attempts"`
	// Err is why the alert was not delivered; nil means delivered.
	Err error `json:"-"`
	// Error is Err's text, for JSON.
	Error string `json:"error,omitempty"`
}

// Failed returns the deliveries that failed.
func Failed(ds []Delivery) []Delivery {
	var out []Delivery
	for _, d := range ds {
		if d.Err != nil {
			out = append(out, d)
		}
	}
	return out
}

// Messages returns the alerts that the rules fire for run, one per firing
// rule.
func (n *Notifier) Messages(run Run) []Message {
	var out []Message
	for _, r := range n.cfg.Rules {
		if ok, why := r.Fires(run); ok {
			out = append(out, message(r.name(), why, run))
		}
	}
	return out
}

// Notify evaluates the rules on run and delivers every alert that fires to
// its webhooks, concurrently, each with retries and a timeout. It returns
// one Delivery per alert and webhook and logs the failed ones. It never
// panics and its failures are not the run's: the caller reports them.
func (n *Notifier) Notify(ctx context.Context, run Run) []Delivery {
	var (
		mu  sync.Mutex
		out []Delivery
		wg  sync.WaitGroup
	)
	for _, r := range n.cfg.Rules {
		ok, why := r.Fires(run)
		if !ok {
			continue
		}
		m := message(r.name(), why, run)
		for _, w := range n.cfg.Webhooks {
			if len(r.Webhooks) > 0 && !contains(r.Webhooks, w.name()) {
				continue
			}
			wg.Go(func() {
				d := n.deliver(ctx, w, m)
				if d.Err != nil {
					d.Error = d.Err.Error()
					n.opts.Logger.WarnContext(ctx, "alert: not delivered", "rule", d.Rule, "webhook", d.Webhook, "attempts", d.Attempts, "err", d.Err)
				}
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// deliver sends m to w with retries.
func (n *Notifier) deliver(ctx context.Context, w Webhook, m Message) Delivery {
	d := Delivery{Rule: m.Rule, Webhook: w.name()}
	attempts := w.Attempts
	if attempts == 0 {
		attempts = n.cfg.Attempts
	}
	if attempts <= 0 {
		attempts = 3
	}
	timeout := time.Duration(w.Timeout)
	if timeout == 0 {
		timeout = time.Duration(n.cfg.Timeout)
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	backoff := time.Duration(n.cfg.Backoff)
	if backoff <= 0 {
		backoff = time.Second
	}
	raw, err := w.resolveURL()
	if err != nil {
		d.Err = err
		return d
	}
	for {
		d.Attempts++
		retry, err := n.attempt(ctx, w, raw, m, timeout)
		if err == nil {
			d.Err = nil
			return d
		}
		d.Err = fmt.Errorf("alert: webhook %s (%s), attempt %d: %w", w.name(), formatName(w.Format), d.Attempts, err)
		if !retry || d.Attempts >= attempts || ctx.Err() != nil {
			return d
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return d
		}
		backoff *= 2
	}
}

func (n *Notifier) attempt(ctx context.Context, w Webhook, raw string, m Message, timeout time.Duration) (bool, error) {
	b, q, err := body(w.Format, m, w.secret(), n.opts.Now())
	if err != nil {
		return false, err
	}
	target := raw
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
		}
		target = raw + sep + q.Encode()
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return false, redactURL(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "ferry-alert")
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	return send(n.opts.Client, req, w.Format)
}

func formatName(f string) string {
	if f == "" {
		return FormatGeneric
	}
	return f
}

// message builds the alert of rule for run.
func message(rule, why string, run Run) Message {
	m := Message{Rule: rule, Reason: why, Job: run.Job, Environment: run.Environment, Outcome: "succeeded"}
	if run.failed() {
		m.Outcome = "failed"
	}
	s := run.Summary
	if s != nil {
		m.RunID, m.Start, m.End, m.Seconds = s.RunID, s.Start, s.End, s.Elapsed.Seconds()
		m.RowsRead, m.RowsWritten, m.RowsDirty = s.RowsRead, s.RowsWritten, s.RowsDirty
		m.Error = s.Error
	}
	if m.Error == "" && run.Err != nil {
		m.Error = run.Err.Error()
	}
	m.Error = cut(m.Error, 1000)
	job := run.Job
	if job == "" {
		job = "sync"
	}
	verdict := "succeeded"
	if m.Outcome == "failed" {
		verdict = "FAILED"
	}
	m.Title = fmt.Sprintf("Ferry %s %s: %s", job, verdict, why)
	var t strings.Builder
	fmt.Fprintf(&t, "- **rule**: %s\n", rule)
	if m.RunID != "" {
		fmt.Fprintf(&t, "- **run**: %s\n", m.RunID)
	}
	if m.Environment != "" {
		fmt.Fprintf(&t, "- **environment**: %s\n", m.Environment)
	}
	if s != nil {
		fmt.Fprintf(&t, "- **rows**: %d read, %d written, %d dirty\n", s.RowsRead, s.RowsWritten, s.RowsDirty)
		fmt.Fprintf(&t, "- **elapsed**: %s\n", s.Elapsed.Round(time.Millisecond))
		for _, c := range s.Checks {
			if !c.Passed {
				fmt.Fprintf(&t, "- **check %s** failed: %s\n", c.Name, c.Detail)
			}
		}
	}
	if m.Error != "" {
		fmt.Fprintf(&t, "- **error**: %s\n", m.Error)
	}
	m.Text = t.String()
	return m
}
