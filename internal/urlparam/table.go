package urlparam

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Param declares one URL query parameter of a connector.
type Param struct {
	// Name is the parameter's name as written in the URL.
	Name string
	// Default is the value the parser applies when the parameter is absent,
	// as text ("" when there is none, or when the default is described by
	// Doc).
	Default string
	// Doc is one line saying what the parameter does.
	Doc string
	// Secret marks a value that must not be shown (a password).
	Secret bool
	// Fold matches the name case-insensitively (a driver's own keys that
	// the driver compares so, such as go-mssqldb's).
	Fold bool
	// Sample is a valid value for tests that set every parameter, when
	// Default is empty or is not one the parser accepts as written.
	Sample string
}

// Table is the declared parameters of one URL parser.
type Table []Param

// Join concatenates tables. It panics when a name is declared twice (a bug
// found when the connector's package is initialised).
func Join(parts ...[]Param) Table {
	var t Table
	seen := map[string]bool{}
	for _, part := range parts {
		for _, p := range part {
			if p.Name == "" || seen[p.Name] {
				panic(fmt.Sprintf("urlparam: parameter %q is empty or declared twice", p.Name))
			}
			seen[p.Name] = true
			t = append(t, p)
		}
	}
	return t
}

// Values returns the parameters of u read against t: reading a name t does
// not declare is an error Done reports. pkg prefixes error messages.
func (t Table) Values(pkg string, u *url.URL) *Values {
	v := New(pkg, u)
	v.table = t
	if v.table == nil {
		v.table = Table{}
	}
	return v
}

// Lookup returns the declared parameter name: its exact name, or a Fold
// parameter's name in any case.
func (t Table) Lookup(name string) (Param, bool) {
	for _, p := range t {
		if p.Name == name {
			return p, true
		}
	}
	for _, p := range t {
		if p.Fold && strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Param{}, false
}

// Names returns the declared names, sorted.
func (t Table) Names() []string {
	names := make([]string, len(t))
	for i, p := range t {
		names[i] = p.Name
	}
	slices.Sort(names)
	return names
}

// With returns a copy of t in which each of ps replaces the parameter of
// the same name (to give a shared parameter a connector's own default or
// documentation). It panics when t does not declare one of them.
func (t Table) With(ps ...Param) Table {
	out := slices.Clone(t)
	for _, p := range ps {
		i := slices.IndexFunc(out, func(q Param) bool { return q.Name == p.Name })
		if i < 0 {
			panic("urlparam: With of undeclared parameter " + p.Name)
		}
		out[i] = p
	}
	return out
}

// Suggest returns the name in known closest to name: one equal but for
// case, else the nearest at most two edits away (the first in known's order
// on a tie), else "".
func Suggest(name string, known []string) string {
	for _, k := range known {
		if k != name && strings.EqualFold(k, name) {
			return k
		}
	}
	best, bestD := "", 3
	ln := strings.ToLower(name)
	for _, k := range known {
		if d := distance(ln, strings.ToLower(k)); d < bestD && k != name {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
