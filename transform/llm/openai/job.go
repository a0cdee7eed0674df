package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// DecodeJob decodes a job-file parameter object into cfg, a transform's
// Config that embeds api, strictly (an unknown key is an error), with
// "timeout", "initialBackoff" and "maxBackoff" as Go duration strings.
func DecodeJob(raw json.RawMessage, cfg any, api *API) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	durs := []struct {
		name string
		to   *time.Duration
	}{{"timeout", &api.Timeout}, {"initialBackoff", &api.InitialBackoff}, {"maxBackoff", &api.MaxBackoff}}
	var got []time.Duration
	for _, d := range durs {
		var s string
		if x, ok := m[d.name]; ok {
			if err := json.Unmarshal(x, &s); err != nil {
				return fmt.Errorf("%s: want a duration string like \"30s\"", d.name)
			}
			delete(m, d.name)
		}
		var v time.Duration
		if s != "" {
			var err error
			if v, err = time.ParseDuration(s); err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
		}
		got = append(got, v)
	}
	rest, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return err
	}
	for i, d := range durs {
		if got[i] != 0 {
			*d.to = got[i]
		}
	}
	return nil
}
