package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// JobDurations is the job-file form of the client's durations: Go duration
// strings ("30s", "2m").
type JobDurations struct {
	Timeout        string `json:"timeout"`
	InitialBackoff string `json:"initialBackoff"`
	MaxBackoff     string `json:"maxBackoff"`
}

// Apply parses the set durations into timeout, initial and maxBackoff.
func (d JobDurations) Apply(timeout, initial, maxBackoff *time.Duration) error {
	for _, x := range []struct {
		name, s string
		to      *time.Duration
	}{{"timeout", d.Timeout, timeout}, {"initialBackoff", d.InitialBackoff, initial}, {"maxBackoff", d.MaxBackoff, maxBackoff}} {
		if x.s == "" {
			continue
		}
		v, err := time.ParseDuration(x.s)
		if err != nil {
			return fmt.Errorf("parameter %s: %w", x.name, err)
		}
		*x.to = v
	}
	return nil
}

// StrictJSON decodes raw into v, rejecting unknown fields and trailing data,
// so that a misspelt job-file parameter is an error.
func StrictJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the parameter object")
	}
	return nil
}
