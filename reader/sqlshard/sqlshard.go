// Package sqlshard opens one reader over many tables of a SQL source from a
// single reader URL: a DataX table range (table=order_[00-15],
// table=db.t[0-31]_x), a comma list (table=a,b or tables=a,b), or both.
// Each table is read by its own reader (the same URL with table= that
// table), and the readers are combined by reader/shardreader, which checks
// every shard's schema before anything is written (naming the shard and the
// column that differ), interleaves the splits across databases and caps the
// reads running at once against one database.
//
// The URL parameters sqlshard takes off before it clones the URL:
//
//	tables=a,b,c             the tables (each may be a range); instead of or with table=
//	sourceColumns=_db,_table columns added to every row naming its shard: NAME or NAME:KIND,
//	                         KIND one of database, schema, table, source; without a KIND
//	                         the first column is the database, the second the table
//	maxPerSource=N           reads running at once against one database (default 4; 0: no cap)
//
// A database here is host:port/db: for MySQL a table qualified with a
// database (db2.order_03) is in that database, for PostgreSQL and SQL
// Server a qualifier is a schema of the URL's database.
//
// Connections: each shard is its own reader, so each holds what its reader
// holds while open (pgreader one snapshot connection; mysqlreader its
// snapshot connections, min(splits, hint/shards) of them, opened at
// Splits). A 16-shard MySQL run with 8 workers therefore opens 16 snapshot
// connections (one per shard, since each shard is asked for
// max(1, 8/16) = 1 split), not 16 × 8; a 16-shard PostgreSQL run opens 16
// snapshot connections plus at most min(workers, maxPerSource × databases)
// split connections at a time.
//
// Consistency: each shard is read on its own snapshot (its reader's); there
// is no single moment across shards, even in one database.
//
// One table (no range, no list) opens the plain reader, unchanged.
package sqlshard

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlsource"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
	"github.com/ferrydata/ferry/reader/shardreader"
)

// The URL parameters sqlshard takes.
const (
	ParamTables        = "tables"
	ParamSourceColumns = "sourceColumns"
	ParamMaxPerSource  = "maxPerSource"
)

// params declares the parameters ParseURL takes out of a SQL reader URL
// before the shard readers see it.
var params = urlparam.Table{
	{Name: ParamTables, Doc: "tables read as one source, a,b or ranges (order_[00-15]); with or instead of table", Sample: "t1,t2"},
	{Name: ParamSourceColumns, Doc: "columns naming each row's shard, NAME[:KIND],... (KIND database, schema, table or source)", Sample: "src:table"},
	{Name: ParamMaxPerSource, Default: strconv.Itoa(DefaultMaxPerSource), Doc: "most reads at once against one database (0: no cap)"},
}

// URLParams returns the parameters sqlshard takes in a reader URL of scheme
// (for help texts): nil when scheme is not a SQL reader scheme it expands.
func URLParams(scheme string) []ferry.URLParam {
	if !sqlSchemes[scheme] {
		return nil
	}
	return urlreg.Public(params)
}

// OpenParallel is how many shard readers OpenReader opens at once.
const OpenParallel = 8

// DefaultMaxPerSource is the default cap of reads running at once against
// one database.
const DefaultMaxPerSource = 4

// The kinds of source column.
const (
	KindDatabase = "database" // the database of the shard's table
	KindSchema   = "schema"   // the table's qualifier (PostgreSQL schema, MySQL database), else the database
	KindTable    = "table"    // the table as named (qualified when written so)
	KindSource   = "source"   // host:port/database
)

// A SourceColumn is one column naming each row's shard.
type SourceColumn struct {
	// Name is the column's name.
	Name string
	// Kind is what it holds: KindDatabase, KindSchema, KindTable or
	// KindSource.
	Kind string
}

// Options configure OpenReader. The zero value takes everything from the
// URL and the defaults.
type Options struct {
	// SourceColumns are added to every row (after the URL's
	// sourceColumns).
	SourceColumns []SourceColumn
	// MaxPerSource caps the reads running at once against one database; 0
	// means the URL's maxPerSource, else DefaultMaxPerSource; a negative
	// value means no cap.
	MaxPerSource int
	// Open opens one table's reader; nil means ferry.OpenReader.
	Open func(ctx context.Context, rawURL string) (ferry.Reader, error)
}

// sqlSchemes are the SQL reader URL schemes sqlshard expands.
var sqlSchemes = map[string]bool{
	"postgres": true, "postgresql": true, "mysql": true, "mariadb": true,
	"sqlite": true, "sqlite3": true, "sqlserver": true,
}

// Plan is what OpenReader opens: one URL per table and how the shards are
// combined. It is exported for plans and tests; OpenReader is the usual
// entry.
type Plan struct {
	// Shards are the tables, in order.
	Shards []ShardURL
	// SourceColumns are the added columns.
	SourceColumns []SourceColumn
	// MaxPerSource is the cap (0: none).
	MaxPerSource int
}

// A ShardURL is one table of a Plan.
type ShardURL struct {
	Name   string            // the table as named
	Source string            // host:port/database
	URL    string            // the reader URL of this table alone
	Values map[string]string // the source columns' values
}

// ParseURL plans rawURL. It returns nil (and no error) when the URL is not
// a SQL reader URL or names one table without sqlshard parameters (and
// opts adds no source column): then the plain reader is opened.
func ParseURL(rawURL string, opts *Options) (*Plan, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("sqlshard: malformed URL %s", ferry.Redact(rawURL))
	}
	if !sqlSchemes[u.Scheme] {
		return nil, nil
	}
	q, errs := urlparam.Parse(u.RawQuery)
	if len(errs) > 0 {
		return nil, fmt.Errorf("sqlshard: %v", errs[0])
	}
	table, tables := q.Get("table"), q.Get(ParamTables)
	_, hasCols := q[ParamSourceColumns]
	_, hasMax := q[ParamMaxPerSource]
	if tables == "" && !hasCols && !hasMax && !isMulti(table) && len(o.SourceColumns) == 0 {
		return nil, nil
	}
	if q.Get("querySql") != "" {
		return nil, fmt.Errorf("sqlshard: %s, %s and %s go with table, not querySql", ParamTables, ParamSourceColumns, ParamMaxPerSource)
	}
	expr := table
	if tables != "" {
		if expr != "" {
			expr += ","
		}
		expr += tables
	}
	if expr == "" {
		return nil, fmt.Errorf("sqlshard: set table or %s", ParamTables)
	}
	names, err := sqlsource.ExpandTables(expr)
	if err != nil {
		if u.Scheme != "sqlserver" || tables != "" {
			return nil, fmt.Errorf("sqlshard: %w", err)
		}
		names = []string{expr} // a bracket-quoted SQL Server name
	}
	cols, err := parseSourceColumns(q.Get(ParamSourceColumns))
	if err != nil {
		return nil, err
	}
	cols = append(cols, o.SourceColumns...)
	seen := map[string]bool{}
	for _, c := range cols {
		if c.Name == "" || seen[c.Name] {
			return nil, fmt.Errorf("sqlshard: source column %q is empty or repeated", c.Name)
		}
		seen[c.Name] = true
		switch c.Kind {
		case KindDatabase, KindSchema, KindTable, KindSource:
		default:
			return nil, fmt.Errorf("sqlshard: source column %s: kind %q is not database, schema, table or source", c.Name, c.Kind)
		}
	}
	maxPer := DefaultMaxPerSource
	if hasMax {
		n, err := strconv.Atoi(q.Get(ParamMaxPerSource))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("sqlshard: %s=%q: want 0 (no cap) or more", ParamMaxPerSource, q.Get(ParamMaxPerSource))
		}
		maxPer = n
	}
	switch {
	case o.MaxPerSource > 0:
		maxPer = o.MaxPerSource
	case o.MaxPerSource < 0:
		maxPer = 0
	}
	q.Del(ParamTables)
	q.Del(ParamSourceColumns)
	q.Del(ParamMaxPerSource)
	db := urlDatabase(u, q)
	p := &Plan{SourceColumns: cols, MaxPerSource: maxPer}
	for _, name := range names {
		q.Set("table", name)
		cu := *u
		cu.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		tdb, schema := db, db
		if qual, _, ok := cutQualifier(name); ok {
			schema = qual
			if u.Scheme == "mysql" || u.Scheme == "mariadb" {
				tdb = qual
			}
		}
		src := u.Host + "/" + tdb
		vals := map[string]string{}
		for _, c := range cols {
			switch c.Kind {
			case KindDatabase:
				vals[c.Name] = tdb
			case KindSchema:
				vals[c.Name] = schema
			case KindTable:
				vals[c.Name] = name
			case KindSource:
				vals[c.Name] = src
			}
		}
		p.Shards = append(p.Shards, ShardURL{Name: name, Source: src, URL: cu.String(), Values: vals})
	}
	return p, nil
}

var rangeRe = regexp.MustCompile(`\[\d+-\d+\]`)

// isMulti reports whether a table parameter names several tables.
func isMulti(table string) bool {
	return strings.Contains(table, ",") || rangeRe.MatchString(table)
}

// cutQualifier splits "a.b" at its last unquoted dot.
func cutQualifier(name string) (string, string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || strings.ContainsAny(name, "\"`[") {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// urlDatabase returns the database a URL connects to.
func urlDatabase(u *url.URL, q url.Values) string {
	switch u.Scheme {
	case "sqlite", "sqlite3":
		p := u.Path
		if u.Opaque != "" {
			p = u.Opaque
		}
		return path.Base(p)
	case "sqlserver":
		return q.Get("database")
	}
	return strings.Trim(u.Path, "/")
}

// parseSourceColumns parses sourceColumns=NAME[:KIND],...
func parseSourceColumns(s string) ([]SourceColumn, error) {
	var out []SourceColumn
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, kind, ok := strings.Cut(item, ":")
		if !ok {
			switch i {
			case 0:
				kind = KindDatabase
			case 1:
				kind = KindTable
			default:
				return nil, fmt.Errorf("sqlshard: %s: say what column %s holds (%s:database, :schema, :table or :source)", ParamSourceColumns, item, item)
			}
		}
		out = append(out, SourceColumn{Name: strings.TrimSpace(name), Kind: strings.TrimSpace(kind)})
	}
	return out, nil
}

// OpenReader opens the reader of rawURL: one reader per table when the URL
// names several (a range, a list, tables=) or has sqlshard parameters,
// combined by shardreader; otherwise the plain reader (ferry.OpenReader).
// Every shard's schema is read and checked before OpenReader returns.
func OpenReader(ctx context.Context, rawURL string, opts *Options) (ferry.Reader, error) {
	open := ferry.OpenReader
	if opts != nil && opts.Open != nil {
		open = opts.Open
	}
	p, err := ParseURL(rawURL, opts)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return open(ctx, rawURL)
	}
	return p.Open(ctx, open)
}

// Open opens the plan's shards with open (nil: ferry.OpenReader) and
// combines them; the schemas are checked before it returns.
func (p *Plan) Open(ctx context.Context, open func(context.Context, string) (ferry.Reader, error)) (ferry.Reader, error) {
	if open == nil {
		open = ferry.OpenReader
	}
	// The shards open OpenParallel at a time (each reads its table's
	// columns: one round trip or a few, which add up over many shards).
	readers := make([]ferry.Reader, len(p.Shards))
	errs := make([]error, len(p.Shards))
	sem := make(chan struct{}, OpenParallel)
	var wg sync.WaitGroup
	for i, s := range p.Shards {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			readers[i], errs[i] = open(ctx, s.URL)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			for _, r := range readers {
				if r != nil {
					r.Close()
				}
			}
			s := p.Shards[i]
			return nil, fmt.Errorf("sqlshard: shard %s (%s): %w", s.Name, s.Source, err)
		}
	}
	shards := make([]shardreader.Shard, len(p.Shards))
	for i, s := range p.Shards {
		shards[i] = shardreader.Shard{Name: s.Name, Source: s.Source, Reader: readers[i], Values: s.Values}
	}
	names := make([]string, len(p.SourceColumns))
	for i, c := range p.SourceColumns {
		names[i] = c.Name
	}
	r, err := shardreader.New(shards, &shardreader.Options{SourceColumns: names, MaxPerSource: p.MaxPerSource})
	if err != nil {
		return nil, fmt.Errorf("sqlshard: %w", err)
	}
	if _, err := r.Schema(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("sqlshard: %w", err)
	}
	return r, nil
}
