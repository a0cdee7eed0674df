package llm

import (
	"encoding/json"
	"fmt"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/transform/llm/openai"
)

func init() { transform.Register("llm", build) }

// build makes the transform from a job file's parameter: Config's JSON
// names, the durations as Go duration strings.
func build(raw json.RawMessage, opts *transform.Options) (ferry.Transformer, error) {
	var cfg Config
	if err := openai.DecodeJob(raw, &cfg, &cfg.API); err != nil {
		return nil, fmt.Errorf("llm: parameter: %w", err)
	}
	if opts != nil {
		cfg.Allocator = opts.Allocator
	}
	return New(cfg)
}
