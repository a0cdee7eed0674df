// Package urlparam reads the query parameters of a connector URL, and reports
// parse errors and unknown parameters together.
//
// A connector declares its parameters in a Table (name, default, one line of
// documentation) and reads them through Table.Values: reading a name the
// table does not declare is an error Done reports, so every test that parses
// a URL checks that the table, which the CLI's help prints, is the parser's.
package urlparam

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values reads the query parameters of one URL.
type Values struct {
	pkg   string
	q     url.Values
	used  map[string]bool
	errs  []error
	table Table
	bad   map[string]bool // undeclared names read, reported once each
}

// New returns the parameters of u without a declared table (any name may be
// read); pkg prefixes error messages. Connectors use Table.Values instead. A
// query pair that does not parse (a bad %-escape, a ';' separator) is an
// error that Done reports, naming the parameter: it is never dropped
// silently.
func New(pkg string, u *url.URL) *Values {
	q, errs := Parse(u.RawQuery)
	return &Values{pkg: pkg, q: q, used: map[string]bool{}, errs: errs}
}

// Parse parses a URL query like url.ParseQuery, but returns an error for
// every pair that does not parse, naming its key, instead of dropping it.
func Parse(raw string) (url.Values, []error) {
	q := url.Values{}
	var errs []error
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rk, rv, _ := strings.Cut(pair, "=")
		k, kerr := url.QueryUnescape(rk)
		if kerr != nil {
			errs = append(errs, fmt.Errorf("parameter %q: bad %%-escape in the name", rk))
			continue
		}
		if strings.Contains(rk, ";") {
			errs = append(errs, fmt.Errorf("parameter %q: ';' is not a separator (use '&', or %%3B inside a value)", k))
			continue
		}
		v, verr := url.QueryUnescape(rv)
		if verr != nil {
			errs = append(errs, fmt.Errorf("parameter %s: bad %%-escape in the value %q (write %%25 for a literal %%)", k, rv))
			continue
		}
		if strings.Contains(rv, ";") {
			errs = append(errs, fmt.Errorf("parameter %s: ';' in the value %q must be written %%3B", k, rv))
			continue
		}
		q[k] = append(q[k], v)
	}
	return q, errs
}

// Has reports whether name is set, and marks it known.
func (v *Values) Has(name string) bool {
	v.mark(name)
	_, ok := v.q[name]
	return ok
}

// mark records that name was read, and that reading it is a bug when the
// table does not declare it.
func (v *Values) mark(name string) {
	v.used[name] = true
	if v.table == nil {
		return
	}
	if _, ok := v.table.Lookup(name); ok || v.bad[name] {
		return
	}
	if v.bad == nil {
		v.bad = map[string]bool{}
	}
	v.bad[name] = true
	v.errs = append(v.errs, fmt.Errorf("parameter %s is read but not declared in the parameter table (a bug in %s)", name, v.pkg))
}

// String returns the parameter, or def when it is absent.
func (v *Values) String(name, def string) string {
	v.mark(name)
	if vs, ok := v.q[name]; ok {
		return vs[len(vs)-1]
	}
	return def
}

// List returns a comma-separated parameter split into trimmed parts.
func (v *Values) List(name string) []string {
	s := v.String(name, "")
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// Int returns an integer parameter.
func (v *Values) Int(name string, def int) int {
	return int(v.Int64(name, int64(def)))
}

// Int64 returns an integer parameter; "_" separators and k/M suffixes are not accepted.
func (v *Values) Int64(name string, def int64) int64 {
	s := v.String(name, "")
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("parameter %s=%q is not an integer", name, s))
		return def
	}
	return n
}

// Float returns a float parameter.
func (v *Values) Float(name string, def float64) float64 {
	s := v.String(name, "")
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("parameter %s=%q is not a number", name, s))
		return def
	}
	return f
}

// Bool returns a boolean parameter (true/false/1/0/yes/no).
func (v *Values) Bool(name string, def bool) bool {
	s := strings.ToLower(v.String(name, ""))
	switch s {
	case "":
		return def
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	v.errs = append(v.errs, fmt.Errorf("parameter %s=%q is not a boolean", name, s))
	return def
}

// Duration returns a duration parameter ("1s", "500ms").
func (v *Values) Duration(name string, def time.Duration) time.Duration {
	s := v.String(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("parameter %s=%q is not a duration", name, s))
		return def
	}
	return d
}

// Fail records an error about parameter name.
func (v *Values) Fail(name string, err error) {
	v.errs = append(v.errs, fmt.Errorf("parameter %s: %w", name, err))
}

// Refuse records an error about parameter name, a name the parser knows in
// order to refuse it (it is not declared in the table, nor listed by help).
func (v *Values) Refuse(name string, err error) {
	v.used[name] = true
	v.errs = append(v.errs, fmt.Errorf("parameter %s: %w", name, err))
}

// Done returns the parse errors and the unknown parameters, or nil. An
// unknown parameter close to a known one (the same but for case, or at most
// two edits away) is reported with it: "unknown URL parameter splitpk (did
// you mean splitPk?)"; otherwise the known names are listed.
func (v *Values) Done() error {
	var unknown []string
	for k := range v.q {
		if !v.used[k] {
			unknown = append(unknown, k)
		}
	}
	errs := v.errs
	if len(unknown) > 0 {
		errs = append(errs, v.unknownError(unknown))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", v.pkg, paramError{errors.Join(errs...)})
}

// ErrParameter is matched (errors.Is) by every error Done returns: a URL
// parameter that is unknown, malformed or has a bad value, found before
// anything connects.
var ErrParameter = errors.New("bad URL parameter")

// Invalid marks err, a connector's configuration error found before
// connecting (a required parameter missing, two that exclude each other),
// as matching ErrParameter. Its message is err's.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return paramError{err}
}

type paramError struct{ err error }

func (e paramError) Error() string        { return e.err.Error() }
func (e paramError) Unwrap() error        { return e.err }
func (e paramError) Is(target error) bool { return target == ErrParameter }

func (v *Values) unknownError(unknown []string) error {
	slices.Sort(unknown)
	var known []string
	if v.table != nil {
		known = v.table.Names()
	} else {
		for k := range v.used {
			known = append(known, k)
		}
	}
	slices.Sort(known)
	parts := make([]string, len(unknown))
	listKnown := false
	for i, k := range unknown {
		parts[i] = k
		if s := Suggest(k, known); s != "" {
			parts[i] += " (did you mean " + s + "?)"
		} else {
			listKnown = true
		}
	}
	msg := "unknown URL parameter "
	if len(unknown) > 1 {
		msg = "unknown URL parameters "
	}
	msg += strings.Join(parts, ", ")
	if listKnown {
		msg += " (known: " + strings.Join(known, ", ") + ")"
	}
	return errors.New(msg)
}
