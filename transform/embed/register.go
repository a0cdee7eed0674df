package embed

import (
	"encoding/json"
	"fmt"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

func init() { transform.Register("embed", build) }

// jobParams is the job-file form of Config: Config's JSON names, durations
// as Go duration strings.
type jobParams struct {
	Config
	openai.JobDurations
}

func build(raw json.RawMessage, opts *transform.Options) (ferry.Transformer, error) {
	var p jobParams
	if err := openai.StrictJSON(raw, &p); err != nil {
		return nil, fmt.Errorf("embed: parameter: %w", err)
	}
	cfg := p.Config
	if err := p.Apply(&cfg.Timeout, &cfg.InitialBackoff, &cfg.MaxBackoff); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	if opts != nil {
		cfg.Allocator = opts.Allocator
	}
	return New(cfg)
}
