package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform"
)

func init() { transform.Register("llm", build) }

// jobParams is the job-file form of Config: Config's JSON names, durations
// as Go duration strings.
type jobParams struct {
	Config
	Timeout        string `json:"timeout"`
	InitialBackoff string `json:"initialBackoff"`
	MaxBackoff     string `json:"maxBackoff"`
}

func build(raw json.RawMessage, opts *transform.Options) (ferry.Transformer, error) {
	var p jobParams
	if err := StrictJSON(raw, &p); err != nil {
		return nil, fmt.Errorf("llm: parameter: %w", err)
	}
	cfg := p.Config
	for _, d := range []struct {
		name string
		s    string
		to   *time.Duration
	}{{"timeout", p.Timeout, &cfg.Timeout}, {"initialBackoff", p.InitialBackoff, &cfg.InitialBackoff}, {"maxBackoff", p.MaxBackoff, &cfg.MaxBackoff}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			return nil, fmt.Errorf("llm: parameter %s: %w", d.name, err)
		}
		*d.to = v
	}
	if opts != nil {
		cfg.Allocator = opts.Allocator
	}
	return New(cfg)
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
