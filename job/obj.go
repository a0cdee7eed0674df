package job

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// obj reads one JSON object of a job, naming its path in every error and
// remembering which keys were read, so the rest can be warned about.
type obj struct {
	path string
	m    map[string]any
	used map[string]bool
	j    *Job
}

func newObj(j *Job, path string, v any) (*obj, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("job: %s is %s; want an object", path, jsonKind(v))
	}
	return &obj{path: path, m: m, used: map[string]bool{}, j: j}, nil
}

func (o *obj) at(k string) string { return joinPath(o.path, k) }

func (o *obj) has(k string) bool {
	v, ok := o.m[k]
	return ok && v != nil
}

func (o *obj) get(k string) (any, bool) {
	o.used[k] = true
	v, ok := o.m[k]
	if v == nil {
		return nil, false
	}
	return v, ok
}

// ignore marks keys as read: accepted, with no effect.
func (o *obj) ignore(keys ...string) {
	for _, k := range keys {
		o.used[k] = true
	}
}

// accept marks keys as read and warns that they have no effect in Ferry.
func (o *obj) accept(why string, keys ...string) {
	for _, k := range keys {
		o.used[k] = true
		if o.has(k) {
			o.j.warn("%s: accepted, %s", o.at(k), why)
		}
	}
}

// reject fails on keys whose meaning Ferry cannot honour.
func (o *obj) reject(why string, keys ...string) error {
	for _, k := range keys {
		o.used[k] = true
		if o.has(k) {
			return fmt.Errorf("job: %s: %s", o.at(k), why)
		}
	}
	return nil
}

// done warns about every key not read.
func (o *obj) done() {
	var unknown []string
	for k := range o.m {
		if !o.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		o.j.warn("%s: unknown key, ignored", o.at(k))
	}
}

func (o *obj) str(k string) (string, error) {
	v, ok := o.get(k)
	if !ok {
		return "", nil
	}
	s, ok := scalarString(v)
	if !ok {
		return "", fmt.Errorf("job: %s is %s; want a string", o.at(k), jsonKind(v))
	}
	return s, nil
}

func (o *obj) required(k string) (string, error) {
	s, err := o.str(k)
	if err == nil && s == "" {
		err = fmt.Errorf("job: %s is required", o.at(k))
	}
	return s, err
}

// strs reads a string or a list of strings.
func (o *obj) strs(k string) ([]string, error) {
	v, ok := o.get(k)
	if !ok {
		return nil, nil
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for i, e := range l {
			s, ok := scalarString(e)
			if !ok {
				return nil, fmt.Errorf("job: %s[%d] is %s; want a string", o.at(k), i, jsonKind(e))
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalarString(v)
	if !ok {
		return nil, fmt.Errorf("job: %s is %s; want a string or a list of strings", o.at(k), jsonKind(v))
	}
	return []string{s}, nil
}

// num reads a number, or a string holding one (DataWorks writes "0").
// An empty string is absent.
func (o *obj) num(k string) (float64, bool, error) {
	v, ok := o.get(k)
	if !ok {
		return 0, false, nil
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
		if s == "" {
			return 0, false, nil
		}
	default:
		return 0, false, fmt.Errorf("job: %s is %s; want a number", o.at(k), jsonKind(v))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, fmt.Errorf("job: %s is %q; want a number", o.at(k), s)
	}
	return f, true, nil
}

func (o *obj) integer(k string) (int64, bool, error) {
	f, ok, err := o.num(k)
	if err != nil || !ok {
		return 0, ok, err
	}
	if f != float64(int64(f)) {
		return 0, false, fmt.Errorf("job: %s is %g; want a whole number", o.at(k), f)
	}
	return int64(f), true, nil
}

func (o *obj) boolean(k string) (bool, bool, error) {
	v, ok := o.get(k)
	if !ok {
		return false, false, nil
	}
	switch t := v.(type) {
	case bool:
		return t, true, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true":
			return true, true, nil
		case "false":
			return false, true, nil
		case "":
			return false, false, nil
		}
	}
	return false, false, fmt.Errorf("job: %s is %v; want true or false", o.at(k), v)
}

func (o *obj) child(k string) (*obj, error) {
	v, ok := o.get(k)
	if !ok {
		return nil, nil
	}
	return newObj(o.j, o.at(k), v)
}

func (o *obj) list(k string) ([]any, error) {
	v, ok := o.get(k)
	if !ok {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("job: %s is %s; want a list", o.at(k), jsonKind(v))
	}
	return l, nil
}

func (o *obj) children(k string) ([]*obj, error) {
	l, err := o.list(k)
	if err != nil {
		return nil, err
	}
	out := make([]*obj, 0, len(l))
	for i, e := range l {
		c, err := newObj(o.j, fmt.Sprintf("%s[%d]", o.at(k), i), e)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (j *Job) warn(format string, args ...any) {
	j.Warnings = append(j.Warnings, fmt.Sprintf(format, args...))
}
