// Package alert evaluates alert rules on a finished run's Summary and
// delivers the alerts that fire to webhooks: a generic JSON body, or the
// documented message shapes of Slack, DingTalk, Lark/Feishu and WeCom.
//
// Delivery retries with backoff, each attempt under a timeout. A failed
// alert never fails the run: Notify returns (and logs) what could not be
// delivered, and the caller reports it.
//
// Rules and webhooks are configured in Go (Rule, Webhook, Config) or as
// JSON (ParseConfig, LoadFile), for instance in a job file:
//
//	{
//	  "webhooks": [{"name": "ops", "format": "dingtalk", "url_env": "DINGTALK_URL", "secret_env": "DINGTALK_SECRET"}],
//	  "rules": [
//	    {"when": "failure"},
//	    {"when": "rows_below", "rows": 1000, "webhooks": ["ops"]},
//	    {"when": "duration_over", "duration": "2h"}
//	  ]
//	}
//
// Webhook URLs usually carry an access token: they are read from the
// environment (url_env) where possible, and never appear in logs, errors or
// the run history.
package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
)

// The conditions a Rule can fire on.
const (
	WhenSuccess      = "success"         // the run succeeded
	WhenFailure      = "failure"         // the run failed (a blocking check included)
	WhenAlways       = "always"          // every run
	WhenDirtyRows    = "dirty_rows_over" // more than Rows dirty rows
	WhenDurationOver = "duration_over"   // the run took longer than Duration
	WhenRowsBelow    = "rows_below"      // fewer than Rows rows written: the data did not arrive
	WhenCheckWarning = "check_warning"   // a warning (non-blocking) data-quality check failed
)

// A Rule says when a run sends an alert, and to which webhooks.
type Rule struct {
	// Name names the rule in alerts; "" means a name made from When.
	Name string `json:"name,omitempty"`
	// When is one of the When* conditions.
	When string `json:"when"`
	// Rows is the threshold of dirty_rows_over and rows_below.
	Rows int64 `json:"rows,omitempty"`
	// Duration is the threshold of duration_over.
	Duration Duration `json:"duration,omitempty"`
	// Webhooks names the webhooks to send to; empty means all of them.
	Webhooks []string `json:"webhooks,omitempty"`
}

// OnSuccess returns the rule that fires when a run succeeds.
func OnSuccess() Rule { return Rule{When: WhenSuccess} }

// OnFailure returns the rule that fires when a run fails.
func OnFailure() Rule { return Rule{When: WhenFailure} }

// DirtyRowsOver returns the rule that fires when a run has more than n
// dirty rows.
func DirtyRowsOver(n int64) Rule { return Rule{When: WhenDirtyRows, Rows: n} }

// DurationOver returns the rule that fires when a run takes longer than d.
func DurationOver(d time.Duration) Rule { return Rule{When: WhenDurationOver, Duration: Duration(d)} }

// RowsBelow returns the rule that fires when a run writes fewer than n rows
// (the "data did not arrive" alert), whether it succeeded or not.
func RowsBelow(n int64) Rule { return Rule{When: WhenRowsBelow, Rows: n} }

// OnCheckWarning returns the rule that fires when a warning data-quality
// check fails (blocking ones fail the run, which OnFailure covers).
func OnCheckWarning() Rule { return Rule{When: WhenCheckWarning} }

// Validate checks the rule's condition and thresholds.
func (r Rule) Validate() error {
	switch r.When {
	case WhenSuccess, WhenFailure, WhenAlways, WhenCheckWarning:
	case WhenDirtyRows:
		if r.Rows < 0 {
			return fmt.Errorf("alert: rule %s: rows must not be negative", r.name())
		}
	case WhenRowsBelow:
		if r.Rows <= 0 {
			return fmt.Errorf("alert: rule %s: rows must be positive", r.name())
		}
	case WhenDurationOver:
		if r.Duration <= 0 {
			return fmt.Errorf("alert: rule %s: duration must be positive", r.name())
		}
	case "":
		return errors.New("alert: rule without \"when\"")
	default:
		return fmt.Errorf("alert: rule %s: unknown condition %q (want success, failure, always, dirty_rows_over, duration_over, rows_below or check_warning)", r.name(), r.When)
	}
	return nil
}

func (r Rule) name() string {
	if r.Name != "" {
		return r.Name
	}
	switch r.When {
	case WhenDirtyRows, WhenRowsBelow:
		return fmt.Sprintf("%s_%d", r.When, r.Rows)
	case WhenDurationOver:
		return fmt.Sprintf("%s_%s", r.When, time.Duration(r.Duration))
	}
	return r.When
}

// Run is what the rules are evaluated on: a finished run.
type Run struct {
	Job         string
	Environment string
	Summary     *ferry.Summary // nil when the run failed before it started
	Err         error
}

func (run Run) failed() bool {
	return run.Err != nil || (run.Summary != nil && run.Summary.Error != "")
}

// Fires reports whether the rule fires for run, and why.
func (r Rule) Fires(run Run) (bool, string) {
	s := run.Summary
	if s == nil {
		s = &ferry.Summary{}
	}
	switch r.When {
	case WhenAlways:
		return true, "run finished"
	case WhenSuccess:
		return !run.failed(), "run succeeded"
	case WhenFailure:
		return run.failed(), "run failed"
	case WhenDirtyRows:
		return s.RowsDirty > r.Rows, fmt.Sprintf("%d dirty rows (more than %d)", s.RowsDirty, r.Rows)
	case WhenDurationOver:
		return s.Elapsed > time.Duration(r.Duration), fmt.Sprintf("took %s (more than %s)", s.Elapsed.Round(time.Second), time.Duration(r.Duration))
	case WhenRowsBelow:
		return s.RowsWritten < r.Rows, fmt.Sprintf("%d rows written (fewer than %d expected)", s.RowsWritten, r.Rows)
	case WhenCheckWarning:
		var names []string
		for _, c := range s.Checks {
			if !c.Passed && !c.Blocking {
				names = append(names, c.Name)
			}
		}
		return len(names) > 0, "data-quality warnings: " + strings.Join(names, ", ")
	}
	return false, ""
}

// Duration is a time.Duration that reads from JSON as a Go duration string
// ("90s", "2h") or a number of seconds, and writes as a string.
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("alert: duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("alert: duration %s is neither a string like \"90s\" nor a number of seconds", b)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// Config is a set of rules and the webhooks they send to.
type Config struct {
	Rules    []Rule    `json:"rules"`
	Webhooks []Webhook `json:"webhooks"`
	// Timeout bounds each delivery attempt; 0 means 10s. A webhook's own
	// Timeout wins.
	Timeout Duration `json:"timeout,omitempty"`
	// Attempts is how often a delivery is tried; 0 means 3. A webhook's
	// own Attempts wins.
	Attempts int `json:"attempts,omitempty"`
	// Backoff is the wait before the second attempt, doubling after; 0
	// means 1s.
	Backoff Duration `json:"backoff,omitempty"`
}

// ParseConfig reads a Config from JSON and validates it. Unknown fields are
// an error.
func ParseConfig(data []byte) (*Config, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("alert: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadFile reads a Config from a JSON file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("alert: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// Validate checks every rule and webhook, and that rules name only known
// webhooks.
func (c *Config) Validate() error {
	names := map[string]bool{}
	for i, w := range c.Webhooks {
		if err := w.Validate(); err != nil {
			return fmt.Errorf("%w (webhook %d)", err, i+1)
		}
		if names[w.Name] {
			return fmt.Errorf("alert: webhook name %q is repeated", w.Name)
		}
		names[w.Name] = true
	}
	for i, r := range c.Rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("%w (rule %d)", err, i+1)
		}
		for _, n := range r.Webhooks {
			if !names[n] {
				return fmt.Errorf("alert: rule %s names webhook %q, which is not configured", r.name(), n)
			}
		}
	}
	if len(c.Rules) > 0 && len(c.Webhooks) == 0 {
		return errors.New("alert: rules are configured but no webhook")
	}
	if c.Attempts < 0 || c.Timeout < 0 || c.Backoff < 0 {
		return errors.New("alert: timeout, attempts and backoff must not be negative")
	}
	return nil
}
