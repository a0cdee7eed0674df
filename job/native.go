package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// fromNative reads Ferry's own job form: the JSON of Job, with shorthands:
//
//	{"source": "sqlite:///shop.db?table=orders",            // or {"url": ...}, {"datasource": ...}, {"parts": [...]}
//	 "destination": {"datasource": "dw", "params": {"table": ["orders"]}},
//	 "mode": "upsert",                                       // the destination's write mode
//	 "mapping": {"by": "name", "columns": ["id", "total"]},  // or "position", or explicit {"to", "from"|"index"|"value"}
//	 "transforms": [{"name": "dx_substr", "parameter": {...}}],
//	 "concurrency": 4, "rowsPerSecond": 0, "bytesPerSecond": 0,
//	 "dirty": {"maxRows": 10, "maxRatio": 0.01, "file": "dirty.jsonl"}}
func fromNative(root map[string]any) (*Job, error) {
	j := &Job{}
	top, _ := newObj(j, "", root)
	src, _ := top.get("source")
	parts, err := nativeSource(src)
	if err != nil {
		return nil, err
	}
	j.Source.Parts = parts
	dst, _ := top.get("destination")
	if dst == nil {
		return nil, fmt.Errorf("job: destination is required")
	}
	d, err := nativeEndpoint("destination", dst)
	if err != nil {
		return nil, err
	}
	j.Destination = d
	if mode, err := top.str("mode"); err != nil {
		return nil, err
	} else if mode != "" {
		m, err := writeMode(mode)
		if err != nil {
			return nil, fmt.Errorf("job: mode: %w", err)
		}
		if j.Destination.Params == nil {
			j.Destination.Params = Params{}
		}
		j.Destination.Params["mode"] = Strings{string(m)}
	}
	if m, ok := top.get("mapping"); ok {
		if err := nativeMapping(j, m); err != nil {
			return nil, err
		}
	}
	if err := readTransformers(j, top, "transforms"); err != nil {
		return nil, err
	}
	for _, k := range []string{"concurrency", "rowsPerSecond", "bytesPerSecond"} {
		f, ok, err := top.num(k)
		if err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch k {
		case "concurrency":
			j.Concurrency = int(f)
		case "rowsPerSecond":
			j.RowsPerSecond = f
		default:
			j.BytesPerSecond = f
		}
	}
	if err := scenarioKeys(j, top); err != nil {
		return nil, err
	}
	if dv, ok := top.get("dirty"); ok {
		if err := strictDecode("dirty", dv, &j.Dirty); err != nil {
			return nil, err
		}
	}
	top.ignore("format")
	for k := range top.m {
		if !top.used[k] {
			return nil, fmt.Errorf("job: unknown key %q in a Ferry job (want source, destination, mode, mapping, transforms, concurrency, rowsPerSecond, bytesPerSecond, dirty)", k)
		}
	}
	return j, nil
}

func nativeSource(v any) ([]Endpoint, error) {
	if v == nil {
		return nil, fmt.Errorf("job: source is required")
	}
	if m, ok := v.(map[string]any); ok {
		if ps, ok := m["parts"]; ok {
			l, ok := ps.([]any)
			if !ok || len(m) != 1 {
				return nil, fmt.Errorf("job: source.parts must be a list, alone in source")
			}
			var out []Endpoint
			for i, p := range l {
				e, err := nativeEndpoint(fmt.Sprintf("source.parts[%d]", i), p)
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
			return out, nil
		}
	}
	e, err := nativeEndpoint("source", v)
	if err != nil {
		return nil, err
	}
	return []Endpoint{e}, nil
}

func nativeEndpoint(path string, v any) (Endpoint, error) {
	var e Endpoint
	if s, ok := v.(string); ok {
		e.URL = s
		return e, nil
	}
	if err := strictDecode(path, v, &e); err != nil {
		return e, err
	}
	return e, nil
}

func strictDecode(path string, v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("job: %s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func nativeMapping(j *Job, v any) error {
	m, err := newObj(j, "mapping", v)
	if err != nil {
		return err
	}
	by, err := m.str("by")
	if err != nil {
		return err
	}
	cols, err := m.list("columns")
	if err != nil {
		return err
	}
	exact, _, err := m.boolean("exact")
	if err != nil {
		return err
	}
	for k := range m.m {
		if !m.used[k] {
			return fmt.Errorf("job: mapping: unknown key %q (want by, columns, exact)", k)
		}
	}
	switch by {
	case "", "explicit":
	case "name", "position":
	default:
		return fmt.Errorf("job: mapping.by = %q: want name, position or explicit", by)
	}
	for i, c := range cols {
		path := fmt.Sprintf("mapping.columns[%d]", i)
		var mc MapColumn
		if s, ok := c.(string); ok {
			switch by {
			case "position":
				mc = MapColumn{To: s, Index: intp(i)}
			case "name", "":
				mc = MapColumn{To: s, From: s}
			default:
				return fmt.Errorf("job: %s: explicit mapping entries are objects {\"to\", \"from\"|\"index\"|\"value\"}", path)
			}
		} else if err := strictDecode(path, c, &mc); err != nil {
			return err
		}
		if by == "position" && mc.From == "" && mc.Index == nil && mc.Value == nil && !mc.Null {
			mc.Index = intp(i)
		}
		if by == "name" && mc.From == "" && mc.Index == nil && mc.Value == nil && !mc.Null {
			mc.From = mc.To
		}
		j.Mapping.Columns = append(j.Mapping.Columns, mc)
	}
	j.Mapping.Exact = exact || (by == "position" && len(cols) > 0)
	return nil
}
