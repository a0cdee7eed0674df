package transform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferrydata/ferry"
)

// dx_groovy runs Groovy code in DataX's JVM; Ferry has no JVM. Building it
// fails, and when the code is a simple one (setColumn of a column's text
// through toUpperCase, toLowerCase, trim, substring or replace, then return
// record) the error shows the equivalent Ferry "compute" transforms.

type groovyParams struct {
	Code         string   `json:"code"`
	ExtraPackage []string `json:"extraPackage"`
}

var (
	groovySet    = regexp.MustCompile(`^record\.setColumn\(\s*(\d+)\s*,\s*(.+)\)$`)
	groovyWrap   = regexp.MustCompile(`^new\s+(?:StringColumn|LongColumn|DoubleColumn|BoolColumn)\((.*)\)$`)
	groovyGet    = regexp.MustCompile(`^record\.getColumn\(\s*(\d+)\s*\)\.as(?:String|Long|Double|Boolean)\(\)`)
	groovyMethod = regexp.MustCompile(`^\.(toUpperCase|toLowerCase|trim|substring|replace)\(([^()]*)\)`)
)

func buildGroovy(raw json.RawMessage, _ *Options) (ferry.Transformer, error) {
	var p groovyParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("transform: dx_groovy: parameter: %w", err)
	}
	const base = "transform: dx_groovy: Groovy code needs DataX's JVM, which Ferry does not have; rewrite it as Ferry transforms (compute, filter, replace: see the transform package)"
	specs, ok := groovyToFerry(p.Code)
	if !ok {
		return nil, fmt.Errorf("%s; code: %q", base, strings.TrimSpace(p.Code))
	}
	return nil, fmt.Errorf("%s; the equivalent of this code is: %s", base, strings.Join(specs, ", "))
}

// groovyToFerry translates simple dx_groovy code into Ferry compute specs.
func groovyToFerry(code string) ([]string, bool) {
	var specs []string
	returned := false
	for _, st := range splitStatements(code) {
		if returned {
			return nil, false
		}
		if st == "return record" {
			returned = true
			continue
		}
		m := groovySet.FindStringSubmatch(st)
		if m == nil {
			return nil, false
		}
		e := strings.TrimSpace(m[2])
		if w := groovyWrap.FindStringSubmatch(e); w != nil {
			e = strings.TrimSpace(w[1])
		}
		ex, ok := groovyExpr(e)
		if !ok {
			return nil, false
		}
		b, _ := json.Marshal(map[string]any{"name": "compute", "parameter": map[string]any{"columnIndex": mustAtoi(m[1]), "expr": ex}})
		specs = append(specs, string(b))
	}
	return specs, returned && len(specs) > 0
}

func splitStatements(code string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(code, func(r rune) bool { return r == ';' || r == '\n' }) {
		if s := strings.TrimSpace(line); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// groovyExpr translates record.getColumn(N).asString() followed by string
// methods into a Ferry expression.
func groovyExpr(e string) (string, bool) {
	m := groovyGet.FindStringSubmatch(e)
	if m == nil {
		return "", false
	}
	ex := "col(" + m[1] + ")"
	rest := e[len(m[0]):]
	for rest != "" {
		mm := groovyMethod.FindStringSubmatch(rest)
		if mm == nil {
			return "", false
		}
		args := strings.TrimSpace(mm[2])
		switch mm[1] {
		case "toUpperCase":
			ex = "upper(" + ex + ")"
		case "toLowerCase":
			ex = "lower(" + ex + ")"
		case "trim":
			ex = "trim(" + ex + ")"
		case "substring":
			parts := strings.Split(args, ",")
			a, err := strconv.Atoi(strings.TrimSpace(parts[0]))
			if err != nil || len(parts) > 2 {
				return "", false
			}
			if len(parts) == 1 {
				ex = fmt.Sprintf("substr(%s, %d)", ex, a)
				break
			}
			b, err := strconv.Atoi(strings.TrimSpace(parts[1]))
			if err != nil || b < a {
				return "", false
			}
			ex = fmt.Sprintf("substr(%s, %d, %d)", ex, a, b-a)
		case "replace":
			if args == "" {
				return "", false
			}
			ex = "replace(" + ex + ", " + args + ")"
		}
		rest = rest[len(mm[0]):]
	}
	return ex, true
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
