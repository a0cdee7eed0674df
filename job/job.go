package job

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/schedparam"
)

// Format is the kind of a job file, detected from its content.
type Format string

// The job file formats.
const (
	// FormatDataX is a DataX job: {"job": {"setting", "content": [...]}}.
	FormatDataX Format = "datax"
	// FormatDataWorks is a DataWorks script-mode job: {"type": "job",
	// "steps": [...]}.
	FormatDataWorks Format = "dataworks"
	// FormatFerry is Ferry's own form: the plain form of Job.
	FormatFerry Format = "ferry"
)

// Job is a parsed job with every parameter resolved: what a run does, in
// the plain form of the Go API. Its JSON form is Ferry's native job format.
type Job struct {
	// Format is the format the job was read from.
	Format Format `json:"format,omitempty"`
	// Source is what is read.
	Source Source `json:"source"`
	// Destination is where the rows go.
	Destination Endpoint `json:"destination"`
	// Mapping says which source value goes into which destination column.
	Mapping Mapping `json:"mapping,omitzero"`
	// Transforms run in order after the mapping (DataX's transformer list).
	Transforms []TransformSpec `json:"transforms,omitempty"`
	// Concurrency is the number of workers; 0 means Ferry's default.
	Concurrency int `json:"concurrency,omitempty"`
	// RowsPerSecond and BytesPerSecond are job-wide rate limits; 0 means none.
	RowsPerSecond  float64 `json:"rowsPerSecond,omitempty"`
	BytesPerSecond float64 `json:"bytesPerSecond,omitempty"`
	// Dirty is the dirty-data limit.
	Dirty DirtyLimit `json:"dirty,omitzero"`
	// Cursor, when set, makes the job incremental by a saved cursor (package
	// cursor): each run reads the rows past the cursor the last committed
	// run saved (RunOptions.CursorStore), the first run reads everything.
	Cursor *Cursor `json:"cursor,omitempty"`
	// SourceColumns are added to every row, naming its shard: the first the
	// database, the second the table (sqlshard's KIND, or NAME:KIND with
	// KIND database, schema, table or source).
	SourceColumns []string `json:"sourceColumns,omitempty"`
	// MaxPerSource caps the reads running at once against one database of
	// a sharded source; 0 means sqlshard.DefaultMaxPerSource, -1 no cap.
	MaxPerSource int `json:"maxPerSource,omitempty"`
	// Warnings lists what the job file says that Ferry ignores (unknown
	// keys, accepted no-op keys). plan and check print them.
	Warnings []string `json:"-"`
}

// Cursor says how an incremental job follows its source (the cursor
// package's Spec, as a job file writes it).
type Cursor struct {
	// Columns are the cursor columns, compared as a tuple ("updated_at",
	// "id").
	Columns []string `json:"columns"`
	// Nulls is the policy for NULL cursor values: "include" (default, read
	// on every run) or "exclude".
	Nulls string `json:"nulls,omitempty"`
	// Lookback re-reads this much before the saved cursor ("10m"), for
	// late rows.
	Lookback string `json:"lookback,omitempty"`
}

// Source is one logical source read from one or more parts (shards: the
// tables of a table range, several connection entries, several files).
// Every part must yield the same columns.
type Source struct {
	Parts []Endpoint `json:"parts"`
}

// Endpoint is one connector: a Ferry URL (or a catalog data source) and
// the parameters added to its query.
type Endpoint struct {
	// Plugin is the job file's plugin name, for messages ("mysqlreader").
	Plugin string `json:"plugin,omitempty"`
	// URL is a Ferry connector URL (see `ferry schemes`).
	URL string `json:"url,omitempty"`
	// Failover lists more URLs tried in order when URL cannot be opened
	// (DataX's jdbcUrl list on a reader).
	Failover []string `json:"failover,omitempty"`
	// Datasource names a catalog entry used instead of URL.
	Datasource string `json:"datasource,omitempty"`
	// Env is the catalog environment the job asks for ("dev" or "prod");
	// empty means the run's environment.
	Env string `json:"env,omitempty"`
	// Params are added to the URL's query; a parameter of the URL with the
	// same name is replaced.
	Params Params `json:"params,omitempty"`

	// nonConflict is txtfilewriter's nonConflict prefix: files starting
	// with it must not exist.
	nonConflict string
}

// Params are URL query parameters: each name has one or more values.
type Params map[string]Strings

// Strings is a list of strings that also decodes from one JSON string or
// number.
type Strings []string

// UnmarshalJSON accepts a string, a number, a boolean or an array of them.
func (s *Strings) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case []any:
		out := make(Strings, 0, len(t))
		for _, e := range t {
			str, ok := scalarString(e)
			if !ok {
				return fmt.Errorf("want a string, got %s", jsonKind(e))
			}
			out = append(out, str)
		}
		*s = out
	default:
		str, ok := scalarString(t)
		if !ok {
			return fmt.Errorf("want a string or a list of strings, got %s", jsonKind(t))
		}
		*s = Strings{str}
	}
	return nil
}

func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case float64:
		return fmt.Sprint(t), true
	case bool:
		return fmt.Sprint(t), true
	}
	return "", false
}

// Mapping maps source values onto destination columns. With no Columns,
// every source column goes to the destination column of the same name.
type Mapping struct {
	// Columns are the destination's columns in order, each with its value.
	Columns []MapColumn `json:"columns,omitempty"`
	// Exact requires the source to have exactly len(Columns) columns (a
	// DataX reader with column ["*"], mapped by position).
	Exact bool `json:"exact,omitempty"`
	// ToSourceNames names a destination column without To after its
	// source column (a DataX writer with column ["*"]).
	ToSourceNames bool `json:"toSourceNames,omitempty"`
}

// MapColumn is one destination column and where its value comes from:
// a source column by name (From) or position (Index), or a constant
// (Value, or Null).
type MapColumn struct {
	// To is the destination column.
	To string `json:"to"`
	// From names the source column.
	From string `json:"from,omitempty"`
	// Index is the 0-based position of the source column.
	Index *int `json:"index,omitempty"`
	// Value is a constant (scheduling parameters are already resolved).
	Value *string `json:"value,omitempty"`
	// Null makes the value a constant NULL.
	Null bool `json:"null,omitempty"`
	// Type converts the value: utf8 (string), int64 (long), float64
	// (double), bool, date32, timestamp (timestamp[us]), binary (bytes),
	// decimal. Empty keeps the source type (utf8 for a constant).
	Type string `json:"type,omitempty"`
	// Format is the Java date pattern (yyyy-MM-dd HH:mm:ss) of text
	// converted to a date or timestamp, or of a date written as text.
	Format string `json:"format,omitempty"`
}

// TransformSpec is one transformer of the job (DataX's dx_* form).
type TransformSpec struct {
	Name      string          `json:"name"`
	Parameter json.RawMessage `json:"parameter,omitempty"`
}

// DirtyLimit is the dirty-data limit of a job.
type DirtyLimit struct {
	// MaxRows is the number of dirty rows tolerated: nil or 0 fails on
	// the first, -1 tolerates any number (DataX's default without
	// errorLimit).
	MaxRows *int64 `json:"maxRows,omitempty"`
	// MaxRatio, when positive, fails the run when dirty rows exceed this
	// fraction of the rows read (DataX's errorLimit.percentage).
	MaxRatio float64 `json:"maxRatio,omitempty"`
	// File, when set, receives every dirty row as JSON Lines.
	File string `json:"file,omitempty"`
}

// Policy returns the dirty.Policy of the limit.
func (d DirtyLimit) Policy() dirty.Policy {
	var p dirty.Policy
	switch {
	case d.MaxRows != nil && *d.MaxRows < 0:
		p = dirty.IgnoreAll()
	case d.MaxRows != nil && *d.MaxRows > 0:
		p = dirty.TolerateRows(*d.MaxRows)
	case d.MaxRows == nil && d.MaxRatio > 0:
		p = dirty.IgnoreAll()
	}
	if p.Mode != dirty.FailFirst {
		p.MaxRatio = d.MaxRatio
	}
	return p
}

// Options configure Parse. The zero value parses a job without variables,
// parameters or catalog, in the dev environment, at the current time.
type Options struct {
	// Name names the job file in errors; default "job".
	Name string
	// Vars are DataX variables (datax.py -p "-Dname=value"). They replace
	// $name and ${name} in every string and win over scheduling parameters
	// of the same name.
	Vars map[string]string
	// Params are custom scheduling parameters (name → expression, such as
	// pt=${yyyy-mm-dd}), used as ${name}.
	Params map[string]string
	// CycTime is the scheduled time of the run, which fixes every
	// scheduling parameter; zero means now, in UTC.
	CycTime time.Time
	// Catalog resolves data sources by name; nil means none.
	Catalog *Catalog
	// Env is the environment, "dev" (the default) or "prod": it picks each
	// data source's entry, and a dev run never reaches a prod entry.
	Env string
	// LookupEnv reads ${env:NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Env names.
const (
	EnvDev  = "dev"
	EnvProd = "prod"
)

func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Name == "" {
		c.Name = "job"
	}
	if c.CycTime.IsZero() {
		c.CycTime = time.Now().UTC()
	}
	switch c.Env {
	case "":
		c.Env = EnvDev
	case EnvDev, EnvProd:
	default:
		return c, fmt.Errorf("job: environment %q is not dev or prod", c.Env)
	}
	if c.LookupEnv == nil {
		c.LookupEnv = os.LookupEnv
	}
	return c, nil
}

// Parsed is the result of Parse: the job and what is needed to show it
// safely.
type Parsed struct {
	*Job
	// Env is the environment the job was resolved for.
	Env string
	// CycTime is the scheduled time the parameters were resolved at.
	CycTime time.Time

	secrets []string
}

// Mask replaces every secret value the job was resolved with (catalog and
// ${env:...} values, passwords) by "xxxxx" in s.
func (p *Parsed) Mask(s string) string {
	for _, sec := range p.secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "xxxxx")
		}
	}
	return s
}

// ParseFile reads and parses the job file at path (see Parse).
func ParseFile(path string, opts *Options) (*Parsed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.Name == "" {
		o.Name = path
	}
	return Parse(data, &o)
}

// Parse parses a job file in any of the formats, detected from its
// content, resolves its variables, scheduling parameters, ${env:NAME}
// references and data sources, and checks it. It connects to nothing.
func Parse(data []byte, opts *Options) (*Parsed, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	tree, err := decodeTree(o.Name, replaceVars(data, o.Vars))
	if err != nil {
		return nil, err
	}
	p := &Parsed{Env: o.Env, CycTime: o.CycTime}
	secret := func(v string) {
		if v != "" {
			p.secrets = append(p.secrets, v)
		}
	}
	sched := schedparam.NewResolver(withoutVars(o.Params, o.Vars))
	r := &resolver{
		sched:  func(s string) (string, error) { return sched.Resolve(s, o.CycTime) },
		env:    o.LookupEnv,
		secret: secret,
	}
	root := tree.(map[string]any)
	format := detect(root)
	if format == "" {
		return nil, fmt.Errorf("job: %s: not a DataX job (no \"job\" key), a DataWorks job (no \"steps\") or a Ferry job (no \"source\")", o.Name)
	}
	resolved, err := r.walk("", "", root)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, o.Name)
	}
	root = resolved.(map[string]any)
	var j *Job
	switch format {
	case FormatDataX:
		j, err = fromDataX(root)
	case FormatDataWorks:
		j, err = fromDataWorks(root)
	default:
		j, err = fromNative(root)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, o.Name)
	}
	j.Format = format
	collectPasswords(root, secret)
	if err := j.resolveSources(o, r, secret); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, o.Name)
	}
	if err := j.check(); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, o.Name)
	}
	p.Job = j
	return p, nil
}

// withoutVars drops the custom parameters that a DataX variable overrides
// (the variable is substituted first, so the parameter is never asked for).
func withoutVars(params, vars map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		if _, ok := vars[k]; !ok {
			out[k] = v
		}
	}
	return out
}

func detect(root map[string]any) Format {
	if _, ok := root["job"]; ok {
		return FormatDataX
	}
	if _, ok := root["steps"]; ok {
		return FormatDataWorks
	}
	if _, ok := root["source"]; ok {
		return FormatFerry
	}
	return ""
}

// collectPasswords registers every password value of the tree as a secret.
func collectPasswords(v any, secret func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && isSecretKey(k) {
				secret(s)
				continue
			}
			collectPasswords(e, secret)
		}
	case []any:
		for _, e := range t {
			collectPasswords(e, secret)
		}
	}
}

// check reports a job that names nothing to read or write.
func (j *Job) check() error {
	if len(j.Source.Parts) == 0 {
		return fmt.Errorf("job: the source names nothing to read")
	}
	for i, p := range j.Source.Parts {
		if p.URL == "" {
			return fmt.Errorf("job: source part %d (%s) has no URL or data source", i, p.Plugin)
		}
	}
	if j.Destination.URL == "" {
		return fmt.Errorf("job: the destination (%s) has no URL or data source", j.Destination.Plugin)
	}
	if j.Concurrency < 0 || j.RowsPerSecond < 0 || j.BytesPerSecond < 0 {
		return fmt.Errorf("job: concurrency and speed limits must not be negative")
	}
	if j.Dirty.MaxRatio < 0 || j.Dirty.MaxRatio > 1 {
		return fmt.Errorf("job: the dirty ratio %g is not between 0 and 1", j.Dirty.MaxRatio)
	}
	seen := map[string]bool{}
	for i, c := range j.Mapping.Columns {
		if c.To == "" {
			if j.Mapping.ToSourceNames && c.Index != nil {
				continue
			}
			return fmt.Errorf("job: mapping column %d has no destination name", i)
		}
		if seen[strings.ToLower(c.To)] {
			return fmt.Errorf("job: destination column %q is mapped twice", c.To)
		}
		seen[strings.ToLower(c.To)] = true
		n := 0
		if c.From != "" {
			n++
		}
		if c.Index != nil {
			n++
		}
		if c.Value != nil || c.Null {
			n++
		}
		if n != 1 {
			return fmt.Errorf("job: destination column %q needs exactly one of from, index and value", c.To)
		}
		if _, err := parseConvType(c.Type); err != nil {
			return fmt.Errorf("job: destination column %q: %w", c.To, err)
		}
	}
	return nil
}
