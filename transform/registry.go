package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ferrydata/ferry"
)

// Spec names a transform and its parameter, as job files write it. DataX's
// form is {"name":"dx_substr","parameter":{"columnIndex":1,"paras":["0","3"]}};
// Ferry's own transforms take the parameter objects the package doc lists.
type Spec struct {
	// Name is the transform's registered name ("dx_substr", "filter").
	Name string `json:"name"`
	// Parameter is its JSON parameter object; empty means {}.
	Parameter json.RawMessage `json:"parameter"`
}

// BuildFunc builds a transform from its JSON parameter.
type BuildFunc func(parameter json.RawMessage, opts *Options) (ferry.Transformer, error)

var (
	regMu    sync.RWMutex
	builders = map[string]BuildFunc{
		"dx_substr":  buildSubstr,
		"dx_pad":     buildPad,
		"dx_replace": buildReplace,
		"dx_filter":  buildDXFilter,
		"dx_digest":  buildDigest,
		"dx_groovy":  buildGroovy,
	}
)

// Register adds a transform name to the registry Build uses. It panics when
// the name is empty, fn is nil or the name is taken, as database/sql.Register
// does; call it from an init function.
func Register(name string, fn BuildFunc) {
	regMu.Lock()
	defer regMu.Unlock()
	if name == "" || fn == nil {
		panic("transform: Register with an empty name or a nil BuildFunc")
	}
	if _, dup := builders[name]; dup {
		panic("transform: Register called twice for " + name)
	}
	builders[name] = fn
}

// Names returns the registered transform names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(builders))
	for n := range builders {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Build returns the transform spec names, with the default Options. An
// unknown name or a bad parameter is an error naming it.
func Build(spec Spec) (ferry.Transformer, error) {
	return BuildWith(spec, nil)
}

// BuildWith is Build with Options (an allocator, say).
func BuildWith(spec Spec, opts *Options) (ferry.Transformer, error) {
	regMu.RLock()
	fn, ok := builders[spec.Name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("transform: unknown transform %q (known: %s)", spec.Name, strings.Join(Names(), ", "))
	}
	p := spec.Parameter
	if len(bytes.TrimSpace(p)) == 0 {
		p = json.RawMessage("{}")
	}
	return fn(p, opts)
}

// BuildAll builds every spec in order; the error names the failing one by
// its position and name.
func BuildAll(specs []Spec, opts *Options) ([]ferry.Transformer, error) {
	out := make([]ferry.Transformer, 0, len(specs))
	for i, s := range specs {
		t, err := BuildWith(s, opts)
		if err != nil {
			return nil, fmt.Errorf("transform: transformer[%d] (%s): %w", i, s.Name, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// strictJSON decodes raw into v, rejecting unknown fields so that a typo in
// a job file is an error, not a silently ignored setting.
func strictJSON(raw json.RawMessage, v any) error {
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
