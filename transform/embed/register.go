package embed

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/transform/llm"
)

func init() { transform.Register("embed", build) }

type jobParams struct {
	Config
	Timeout        string `json:"timeout"`
	InitialBackoff string `json:"initialBackoff"`
	MaxBackoff     string `json:"maxBackoff"`
}

func build(raw json.RawMessage, opts *transform.Options) (ferry.Transformer, error) {
	var p jobParams
	if err := llm.StrictJSON(raw, &p); err != nil {
		return nil, fmt.Errorf("embed: parameter: %w", err)
	}
	cfg := p.Config
	for _, d := range []struct {
		name, s string
		to      *time.Duration
	}{{"timeout", p.Timeout, &cfg.Timeout}, {"initialBackoff", p.InitialBackoff, &cfg.InitialBackoff}, {"maxBackoff", p.MaxBackoff, &cfg.MaxBackoff}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			return nil, fmt.Errorf("embed: parameter %s: %w", d.name, err)
		}
		*d.to = v
	}
	if opts != nil {
		cfg.Allocator = opts.Allocator
	}
	return New(cfg)
}
