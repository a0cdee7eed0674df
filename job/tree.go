package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// decodeTree parses a job file into a generic tree (map[string]any,
// []any, string, json.Number, bool, nil). A syntax error names the line and
// column where the parser stopped.
func decodeTree(name string, data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(name, data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := lineCol(data, dec.InputOffset())
		return nil, fmt.Errorf("job: %s: line %d, column %d: unexpected text after the JSON object", name, line, col)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("job: %s: a job file is a JSON object, not %s", name, jsonKind(v))
	}
	return v, nil
}

func syntaxError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included.
		line, col := lineCol(data, max(0, se.Offset-1))
		return fmt.Errorf("job: %s: invalid JSON at line %d, column %d: %s", name, line, col, se.Error())
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("job: %s: the file is empty (want a JSON object)", name)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, int64(len(data)))
		return fmt.Errorf("job: %s: invalid JSON at line %d, column %d: the file ends inside a value", name, line, col)
	}
	return fmt.Errorf("job: %s: invalid JSON: %w", name, err)
}

// lineCol returns the 1-based line and column of byte offset off.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// resolver replaces variables in every string of a tree.
type resolver struct {
	sched  func(string) (string, error)
	env    func(string) (string, bool)
	secret func(string) // registers a value that must never be shown
}

// dataxVar is DataX's variable syntax (StrUtil.replaceVariable).
var dataxVar = regexp.MustCompile(`\$\{?(\w+)\}?`)

// envRef is ${env:NAME}: the value of an environment variable.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}`)

// replaceVars substitutes DataX variables (-Dname=value) in the job's text
// before it is parsed, as DataX does (Configuration.from runs
// StrUtil.replaceVariable on the raw JSON): $name and ${name} with a value
// are replaced anywhere, even outside strings ("channel": $ch); the others
// are left for the scheduling parameters.
func replaceVars(data []byte, vars map[string]string) []byte {
	if len(vars) == 0 {
		return data
	}
	return dataxVar.ReplaceAllFunc(data, func(m []byte) []byte {
		name := string(dataxVar.FindSubmatch(m)[1])
		v, ok := vars[name]
		if !ok {
			return m
		}
		// ${name} must be closed to be replaced whole; $name} keeps the
		// brace (DataX's regex is lax here).
		open, closed := m[1] == '{', m[len(m)-1] == '}'
		switch {
		case open && !closed:
			return m
		case !open && closed:
			return []byte(v + "}")
		}
		return []byte(v)
	})
}

// resolveString resolves one string found at path. key is the last object
// key on the path (password values are not scheduling-resolved: a '$' in a
// password is not a parameter).
func (r *resolver) resolveString(path, key, s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var err error
	s, err = r.expandEnv(path, s)
	if err != nil {
		return "", err
	}
	if isSecretKey(key) || r.sched == nil || !strings.Contains(s, "$") {
		return s, nil
	}
	out, err := r.sched(s)
	if err != nil {
		return "", fmt.Errorf("job: %s: %w", path, err)
	}
	return out, nil
}

// expandEnv replaces ${env:NAME}; an unset variable is an error. The value
// is masked where it is a secret: a URL's password or secret parameter, a
// password key (see registerURLSecret and collectPasswords); a path or a
// host from the environment stays readable.
func (r *resolver) expandEnv(path, s string) (string, error) {
	var missing string
	s = envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v, ok := r.lookupEnv(name)
		if !ok {
			if missing == "" {
				missing = name
			}
			return m
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("job: %s: environment variable %s is not set (referenced as ${env:%s})", path, missing, missing)
	}
	return s, nil
}

func (r *resolver) lookupEnv(name string) (string, bool) {
	if r.env == nil {
		return "", false
	}
	return r.env(name)
}

// walk resolves every string of v in place and returns the new value.
func (r *resolver) walk(path, key string, v any) (any, error) {
	switch t := v.(type) {
	case string:
		return r.resolveString(path, key, t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			nv, err := r.walk(joinPath(path, k), k, t[k])
			if err != nil {
				return nil, err
			}
			t[k] = nv
		}
		return t, nil
	case []any:
		for i := range t {
			nv, err := r.walk(path+"["+strconv.Itoa(i)+"]", key, t[i])
			if err != nil {
				return nil, err
			}
			t[i] = nv
		}
		return t, nil
	}
	return v, nil
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func isSecretKey(k string) bool {
	lk := strings.ToLower(k)
	return strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token")
}
