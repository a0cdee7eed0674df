package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/reader/shardreader"
	"github.com/ferrydata/ferry/reader/sqlshard"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/writer/streamwriter"
)

// RunOptions configure Open, Run, Plan and Check. The zero value (or nil)
// means the defaults.
type RunOptions struct {
	// Stdout is where a streamwriter prints; nil means os.Stdout.
	Stdout io.Writer
	// Allocator is used for the batches the job builds; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Logger receives the engine's warnings; nil means slog.Default().
	Logger *slog.Logger
	// Progress is passed to ferry.Options.Progress.
	Progress func(ferry.Progress)
	// DirtySinks receive every dirty row, besides the job's dirty file.
	DirtySinks []dirty.Sink
	// RunID, Checkpoint and CheckpointOrigin are passed to ferry.Options
	// (a checkpoint directory lets ferry.Resume finish a failed run).
	RunID            string
	Checkpoint       string
	CheckpointOrigin json.RawMessage
	// Observer receives the run's events (ferry.Options.Observer).
	Observer ferry.Observer
	// Checks are verified before the commit (ferry.Options.Checks), after
	// the job's own (its cursor tracker).
	Checks []ferry.Check
	// SharedLimits are rate limits shared with other pipelines (a
	// backfill's instances); nil means the job's own speed setting alone.
	SharedLimits *ferry.Limits
	// CursorStore keeps the cursor of a job with a cursor (required to run
	// one; plan and check without it read as a first run). The new cursor
	// is saved only after the run committed: a crash between the commit
	// and the save repeats rows on the next run, never skips any.
	CursorStore CursorStore
	// CursorKey is the cursor's key in CursorStore; "" means
	// Parsed.CursorKey().
	CursorKey string
}

func (o *RunOptions) orDefault() RunOptions {
	if o == nil {
		return RunOptions{}
	}
	return *o
}

// Opened is a job with its connectors open, ready to Run.
type Opened struct {
	// Reader reads every source part.
	Reader ferry.Reader
	// Writer writes the destination; nil when opened for Plan or Check.
	Writer ferry.Writer
	// Options are the run's engine options (limits, dirty policy,
	// transformers).
	Options ferry.Options
	// Projection is the mapping transformer (the first of
	// Options.Transformers).
	Projection *Projection
	// SourceSchema is the schema the source reads; DestSchema the
	// destination table's, nil when unknown (a file, a table to create).
	SourceSchema, DestSchema *arrow.Schema
	// DestErr is why the destination's schema could not be read.
	DestErr error

	cursor *cursorRun // saved by Run after the commit
}

// Close closes what Open opened (after Run, which closes them itself, it
// does nothing).
func (o *Opened) Close() error {
	var errs []error
	if o.Reader != nil {
		errs = append(errs, o.Reader.Close())
		o.Reader = nil
	}
	if o.Writer != nil {
		errs = append(errs, o.Writer.Close())
		o.Writer = nil
	}
	closeSinks(o.Options.DirtySinks)
	o.Options.DirtySinks = nil
	return errors.Join(errs...)
}

func closeSinks(sinks []dirty.Sink) {
	for _, s := range sinks {
		s.Close()
	}
}

// Run runs the opened job once; the connectors are closed when it returns.
func (o *Opened) Run(ctx context.Context) (*ferry.Summary, error) {
	if o.Writer == nil {
		return nil, errors.New("job: opened without a writer (for plan or check)")
	}
	r, w := o.Reader, o.Writer
	o.Reader, o.Writer = nil, nil
	opts := o.Options
	o.Options.DirtySinks = nil
	sum, err := ferry.New(r, w, &opts).Run(ctx)
	if err == nil {
		err = o.cursor.save(sum)
	}
	return sum, err
}

// Run opens the job's connectors and runs it.
func (p *Parsed) Run(ctx context.Context, ro *RunOptions) (*ferry.Summary, error) {
	op, err := p.Open(ctx, ro)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	return op.Run(ctx)
}

// Open opens the source (connecting, reading its schema), reads the
// destination table's schema when it is a database table, and opens the
// writer. Nothing is written until Run.
func (p *Parsed) Open(ctx context.Context, ro *RunOptions) (*Opened, error) {
	return p.open(ctx, ro, true)
}

func (p *Parsed) open(ctx context.Context, ro *RunOptions, withWriter bool) (*Opened, error) {
	o := ro.orDefault()
	op := &Opened{}
	ok := false
	defer func() {
		if !ok {
			op.Close()
		}
	}()
	if err := p.Job.checkNonConflict(); err != nil {
		return nil, err
	}
	parts, cur, err := p.applyCursor(o, withWriter)
	if err != nil {
		return nil, err
	}
	op.cursor = cur
	// the destination's schema is read while the source opens
	type probed struct {
		schema *arrow.Schema
		err    error
	}
	probe := make(chan probed, 1)
	go func() {
		s, err := probeDest(ctx, p.Destination)
		probe <- probed{s, err}
	}()
	so := p.shardOptions()
	partOpts := &sqlshard.Options{MaxPerSource: so.MaxPerSource}
	if len(parts) == 1 {
		partOpts = so // the one part's own tables get the source columns
	}
	shards := make([]shardreader.Shard, 0, len(parts))
	seen := map[string]bool{}
	for i, part := range parts {
		var vals map[string]string
		if len(parts) > 1 && len(so.SourceColumns) > 0 {
			if vals, err = partValues(so.SourceColumns, part); err != nil {
				for _, s := range shards {
					s.Reader.Close()
				}
				return nil, errors.New(p.Mask(err.Error()))
			}
		}
		r, err := openPart(ctx, part, p.Mask, partOpts)
		if err != nil {
			for _, s := range shards {
				s.Reader.Close()
			}
			if len(parts) == 1 {
				return nil, err
			}
			return nil, fmt.Errorf("%s (part %d of %d)", err, i+1, len(parts))
		}
		name, source := partName(part, i)
		if seen[name] {
			name = fmt.Sprintf("%s#%d", name, i)
		}
		seen[name] = true
		shards = append(shards, shardreader.Shard{Name: name, Source: source, Reader: r, Values: vals})
	}
	if len(shards) == 1 {
		op.Reader = shards[0].Reader
	} else {
		var names []string
		if len(parts) > 1 {
			for _, c := range so.SourceColumns {
				names = append(names, c.Name)
			}
		}
		maxPer := so.MaxPerSource
		switch {
		case maxPer == 0:
			maxPer = sqlshard.DefaultMaxPerSource
		case maxPer < 0:
			maxPer = 0
		}
		sr, err := shardreader.New(shards, &shardreader.Options{SourceColumns: names, MaxPerSource: maxPer})
		if err != nil {
			return nil, errors.New(p.Mask(err.Error()))
		}
		op.Reader = sr
	}
	if op.SourceSchema, err = op.Reader.Schema(ctx); err != nil {
		return nil, errors.New(p.Mask(err.Error()))
	}
	pr := <-probe
	op.DestSchema, op.DestErr = pr.schema, pr.err
	if op.DestErr != nil {
		op.DestErr = errors.New(p.Mask(op.DestErr.Error()))
	}
	proj := NewProjection(p.Mapping, op.DestSchema, o.Allocator)
	if _, err := proj.OutputSchema(op.SourceSchema); err != nil {
		return nil, err
	}
	op.Projection = proj
	ts := []ferry.Transformer{proj}
	if len(p.Transforms) > 0 {
		specs := make([]transform.Spec, len(p.Transforms))
		for i, t := range p.Transforms {
			specs[i] = transform.Spec{Name: t.Name, Parameter: t.Parameter}
		}
		more, err := transform.BuildAll(specs, &transform.Options{Allocator: o.Allocator})
		if err != nil {
			return nil, fmt.Errorf("job: %w", err)
		}
		ts = append(ts, more...)
	}
	var checks []ferry.Check
	if cur != nil {
		checks = append(checks, cur.tracker)
	}
	op.Options = ferry.Options{
		Concurrency:      p.Concurrency,
		RowsPerSecond:    p.RowsPerSecond,
		BytesPerSecond:   p.BytesPerSecond,
		Dirty:            p.Dirty.Policy(),
		Transformers:     ts,
		Progress:         o.Progress,
		Logger:           o.Logger,
		Allocator:        o.Allocator,
		DirtySinks:       append([]dirty.Sink(nil), o.DirtySinks...),
		RunID:            o.RunID,
		Checkpoint:       o.Checkpoint,
		CheckpointOrigin: o.CheckpointOrigin,
		Observer:         o.Observer,
		Checks:           append(checks, o.Checks...),
		SharedLimits:     o.SharedLimits,
	}
	if !withWriter {
		ok = true
		return op, nil
	}
	if p.Dirty.File != "" {
		sink, err := dirty.CreateFileSink(p.Dirty.File)
		if err != nil {
			return nil, fmt.Errorf("job: dirty file: %w", err)
		}
		op.Options.DirtySinks = append(op.Options.DirtySinks, sink)
	}
	w, err := openWriter(ctx, p.Destination, o.Stdout)
	if err != nil {
		return nil, errors.New(p.Mask(err.Error()))
	}
	op.Writer = w
	ok = true
	return op, nil
}

func openWriter(ctx context.Context, e Endpoint, stdout io.Writer) (ferry.Writer, error) {
	if e.Plugin == "streamwriter" || strings.HasPrefix(e.URL, "stream:") {
		cfg, err := streamwriter.ParseConfig(e.URL)
		if err != nil {
			return nil, fmt.Errorf("job: destination: %w", err)
		}
		if cfg.Out == nil && stdout != nil {
			cfg.Out = stdout
		}
		return streamwriter.New(cfg), nil
	}
	w, err := ferry.OpenWriter(ctx, e.URL)
	if err != nil {
		return nil, fmt.Errorf("job: destination %w", err)
	}
	return w, nil
}

// partName names a source part (for split IDs and errors) and its source
// (the server and database, for interleaving the shards' splits).
func partName(e Endpoint, i int) (name, source string) {
	pu, err := url.Parse(e.URL)
	if err != nil {
		return fmt.Sprintf("part%d", i), ""
	}
	q := pu.Query()
	db := strings.Trim(pu.Path, "/")
	if q.Get("database") != "" {
		db = q.Get("database")
	}
	source = pu.Host + "/" + db
	switch {
	case q.Get("table") != "":
		if db != "" && pu.Host != "" {
			return db + "." + q.Get("table"), source
		}
		return q.Get("table"), source
	case q.Get("querySql") != "":
		return fmt.Sprintf("query%d", i), source
	case pu.Path != "" && pu.Path != "/":
		return path.Base(pu.Path), source
	}
	return fmt.Sprintf("part%d", i), source
}

// Writer parameters that a reader of the same URL does not take.
var writerOnlyParams = []string{"mode", "key", "partition", "preSql", "postSql", "create", "conns", "batchRows", "method", "timeZone"}

// destProbeURL returns the reader URL that reads the destination table's
// schema, or "" when the destination is not a database table.
func destProbeURL(e Endpoint) (string, bool, error) {
	pu, err := url.Parse(e.URL)
	if err != nil {
		return "", false, fmt.Errorf("job: destination: malformed URL %s", ferry.Redact(e.URL))
	}
	q := pu.Query()
	create := q.Get("create") == "true"
	switch pu.Scheme {
	case "postgres", "postgresql", "mysql", "mariadb", "sqlserver":
	case "sqlite", "sqlite3":
		create = q.Get("create") != "false"
		if _, err := os.Stat(fileset.URLPath(pu)); err != nil {
			return "", create, nil // a new database file
		}
	default:
		return "", false, nil
	}
	if q.Get("table") == "" {
		return "", create, nil
	}
	for _, k := range writerOnlyParams {
		q.Del(k)
	}
	if pu.Scheme == "mysql" || pu.Scheme == "mariadb" {
		q.Set("snapshot", "false")
	}
	pu.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return pu.String(), create, nil
}

// probeDest reads the destination table's schema through a reader of the
// same database (reading nothing but the catalog). A missing table is an
// error unless the writer creates it.
func probeDest(ctx context.Context, e Endpoint) (*arrow.Schema, error) {
	u, create, err := destProbeURL(e)
	if err != nil || u == "" {
		return nil, err
	}
	r, err := ferry.OpenReader(ctx, u)
	if err != nil {
		if create {
			return nil, nil
		}
		return nil, fmt.Errorf("job: destination: %w", err)
	}
	defer r.Close()
	s, err := r.Schema(ctx)
	if err != nil {
		if create {
			return nil, nil
		}
		return nil, fmt.Errorf("job: destination table: %w", err)
	}
	return s, nil
}

// checkNonConflict is txtfilewriter's writeMode nonConflict: no file may
// start with the file name.
func (j *Job) checkNonConflict() error {
	prefix := j.Destination.nonConflict
	if prefix == "" {
		return nil
	}
	m, _ := filepath.Glob(globEscape(prefix) + "*")
	if len(m) > 0 {
		return fmt.Errorf("job: txtfilewriter writeMode nonConflict: %s already exists", m[0])
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer("*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(s)
}

// Shown returns the job as JSON with URLs redacted and secrets masked.
func (p *Parsed) Shown() string {
	cp := *p.Job
	red := func(e Endpoint) Endpoint {
		e.URL = ferry.Redact(e.URL)
		fo := make([]string, len(e.Failover))
		for i, u := range e.Failover {
			fo[i] = ferry.Redact(u)
		}
		if len(fo) > 0 {
			e.Failover = fo
		}
		return e
	}
	cp.Source.Parts = make([]Endpoint, len(p.Source.Parts))
	for i, e := range p.Source.Parts {
		cp.Source.Parts[i] = red(e)
	}
	cp.Destination = red(p.Destination)
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(&cp)
	return p.Mask(strings.TrimSuffix(buf.String(), "\n"))
}
