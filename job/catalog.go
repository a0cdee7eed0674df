package job

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// Catalog names data sources, each with a development and a production
// entry. Its file form is
//
//	{"orders_db": {"dev": "mysql://etl:${env:ORDERS_DEV_PW}@dev-db/orders",
//	               "prod": "mysql://etl:${env:ORDERS_PW}@db/orders"}}
//
// Entries are Ferry connector URLs; ${env:NAME} is replaced by the
// environment variable NAME when the entry is used, so secrets stay out of
// the file, and its value is masked wherever a job is shown.
type Catalog struct {
	Sources map[string]CatalogEntry
}

// CatalogEntry is one data source's URL per environment.
type CatalogEntry struct {
	Dev  string `json:"dev,omitempty"`
	Prod string `json:"prod,omitempty"`
	// Description is free text.
	Description string `json:"description,omitempty"`
}

// ParseCatalog parses a catalog file's content. name names it in errors.
func ParseCatalog(name string, data []byte) (*Catalog, error) {
	tree, err := decodeTree(name, data)
	if err != nil {
		return nil, fmt.Errorf("job: catalog %w", trimJobPrefix(err))
	}
	c := &Catalog{Sources: map[string]CatalogEntry{}}
	for k, v := range tree.(map[string]any) {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("job: catalog %s: data source %q is %s; want {\"dev\": URL, \"prod\": URL}", name, k, jsonKind(v))
		}
		var e CatalogEntry
		for ek, ev := range m {
			s, ok := ev.(string)
			if !ok {
				return nil, fmt.Errorf("job: catalog %s: %s.%s is %s; want a URL string", name, k, ek, jsonKind(ev))
			}
			switch ek {
			case "dev":
				e.Dev = s
			case "prod":
				e.Prod = s
			case "description":
				e.Description = s
			default:
				return nil, fmt.Errorf("job: catalog %s: %s.%s: unknown key (want dev, prod or description)", name, k, ek)
			}
		}
		if e.Dev == "" && e.Prod == "" {
			return nil, fmt.Errorf("job: catalog %s: data source %q has neither a dev nor a prod URL", name, k)
		}
		c.Sources[k] = e
	}
	return c, nil
}

// LoadCatalog reads a catalog file.
func LoadCatalog(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job: catalog: %w", err)
	}
	return ParseCatalog(path, data)
}

func trimJobPrefix(err error) error {
	return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "job: "))
}

// Names returns the data source names, sorted.
func (c *Catalog) Names() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.Sources))
	for k := range c.Sources {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lookup returns the URL of data source name for a run in env. want is the
// environment the job asks for ("" for the run's). A dev run never gets a
// prod entry.
func (c *Catalog) lookup(name, env, want string) (string, []string, error) {
	if c == nil || len(c.Sources) == 0 {
		return "", nil, fmt.Errorf("job: data source %q: no catalog given (--catalog FILE)", name)
	}
	e, ok := c.Sources[name]
	if !ok {
		return "", nil, fmt.Errorf("job: unknown data source %q (the catalog has %s)", name, strings.Join(c.Names(), ", "))
	}
	var warns []string
	switch {
	case want == EnvProd && env == EnvDev:
		return "", nil, fmt.Errorf("job: data source %q: the job asks for its prod entry, but this is a dev run: a dev run never reaches prod (run with --env prod)", name)
	case want == EnvDev && env == EnvProd:
		warns = append(warns, fmt.Sprintf("data source %q: the job asks for its dev entry; a prod run uses the prod entry", name))
	}
	u := e.Dev
	if env == EnvProd {
		u = e.Prod
	}
	if u == "" {
		return "", nil, fmt.Errorf("job: data source %q has no %s entry", name, env)
	}
	return u, warns, nil
}

// resolveSources turns every catalog reference into its URL, expands
// ${env:NAME} in URLs and applies Params to every URL.
func (j *Job) resolveSources(o Options, r *resolver, secret func(string)) error {
	fix := func(what string, e *Endpoint) error {
		if e.Datasource != "" {
			if e.URL != "" {
				return fmt.Errorf("job: %s names both a URL and data source %q", what, e.Datasource)
			}
			u, warns, err := o.Catalog.lookup(e.Datasource, o.Env, e.Env)
			if err != nil {
				return err
			}
			j.Warnings = append(j.Warnings, warns...)
			u, err = r.expandEnv("catalog "+e.Datasource, u)
			if err != nil {
				return err
			}
			if ok := schemesOf(e.Plugin); ok != nil {
				pu, err := url.Parse(u)
				if err != nil || !slices.Contains(ok, pu.Scheme) {
					return fmt.Errorf("job: %s: data source %q is not a %s URL, but the job reads or writes it with %s", what, e.Datasource, ok[0], e.Plugin)
				}
			}
			e.URL = u
		} else if e.Env != "" && e.Env != EnvDev && e.Env != EnvProd {
			return fmt.Errorf("job: %s: env %q is not dev or prod", what, e.Env)
		}
		urls := append([]string{e.URL}, e.Failover...)
		for i, u := range urls {
			if u == "" {
				continue
			}
			m, err := withParams(u, e.Params)
			if err != nil {
				return fmt.Errorf("job: %s: %w", what, err)
			}
			registerURLSecret(m, secret)
			urls[i] = m
		}
		e.URL, e.Failover, e.Params = urls[0], urls[1:], nil
		if len(e.Failover) == 0 {
			e.Failover = nil
		}
		return nil
	}
	for i := range j.Source.Parts {
		if err := fix(fmt.Sprintf("source part %d", i), &j.Source.Parts[i]); err != nil {
			return err
		}
	}
	return fix("destination", &j.Destination)
}

// withParams sets params on the query of URL u (replacing the URL's own
// values of those names). The query is written with %20 for spaces.
func withParams(u string, params Params) (string, error) {
	if len(params) == 0 {
		return u, nil
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("malformed URL %q", ferry.Redact(u))
	}
	q, errs := urlparam.Parse(pu.RawQuery)
	if len(errs) > 0 {
		return "", fmt.Errorf("URL %s: %w", ferry.Redact(u), errs[0])
	}
	for k, vs := range params {
		q[k] = append([]string(nil), vs...)
	}
	pu.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return pu.String(), nil
}

// registerURLSecret registers the password of URL u and the values of its
// parameters named like secrets (password, secret, token, key).
func registerURLSecret(u string, secret func(string)) {
	pu, err := url.Parse(u)
	if err != nil {
		return
	}
	add := func(v string) {
		secret(v)
		secret(url.QueryEscape(v))
		secret(url.PathEscape(v))
	}
	if pu.User != nil {
		if pw, ok := pu.User.Password(); ok {
			add(pw)
		}
	}
	q, _ := urlparam.Parse(pu.RawQuery)
	for k, vs := range q {
		lk := strings.ToLower(k)
		if isSecretKey(k) || lk == "key" || strings.HasSuffix(lk, "_key") || strings.HasSuffix(lk, "apikey") {
			for _, v := range vs {
				add(v)
			}
		}
	}
}

// MarshalJSON writes the catalog in its file form.
func (c *Catalog) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.Sources)
}

// ExpandEnv replaces every ${env:NAME} in the URL s by the environment
// variable NAME (lookup nil means os.LookupEnv); an unset variable is an
// error naming it. It also returns the URL's secrets (its password and
// secret parameters), for masking.
func ExpandEnv(s string, lookup func(string) (string, bool)) (string, []string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	r := &resolver{env: lookup}
	out, err := r.expandEnv("URL", s)
	if err != nil {
		return "", nil, err
	}
	var used []string
	registerURLSecret(out, func(v string) { used = append(used, v) })
	return out, used, nil
}
