package sqlitewriter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/sqlsource"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads; ferry help urls
// prints them.
var params = urlparam.Table{
	{Name: "table", Doc: "destination table, [schema.]name", Sample: "t"},
	{Name: "mode", Default: "insert", Doc: "write mode: insert, overwrite, upsert, replace or partition-overwrite"},
	{Name: "key", Doc: "key columns of upsert (default the primary key) and of a created table", Sample: "id"},
	{Name: "partition", Doc: "SQL predicate of the rows partition-overwrite replaces (that mode only)"},
	{Name: "create", Default: "true", Doc: "create a missing table from the Arrow schema (false: a missing table is an error)"},
	{Name: "batchRows", Default: "256", Doc: "rows per INSERT (fewer for wide tables: at most 32766 bound values)"},
	{Name: "preSql", Doc: "statements run first in the write transaction, separated by ';' (%3B)"},
	{Name: "postSql", Doc: "statements run just before the write transaction commits"},
}

// MaxVariables is SQLite's limit on bound parameters per statement in
// modernc.org/sqlite (SQLITE_MAX_VARIABLE_NUMBER).
const MaxVariables = 32766

// DefaultBatchRows is the number of rows per INSERT statement when
// Config.BatchRows is 0 (fewer when the table is wide: a statement binds at
// most MaxVariables values).
const DefaultBatchRows = 256

// Config configures a Writer. The zero value of every field but Path and
// Table means the default.
type Config struct {
	// Path is the database file; it is created when it does not exist.
	Path string
	// Table is the destination table, "table" or "schema.table" (a part in
	// double quotes may hold dots: "my.table").
	Table string
	// Mode is the write mode: insert (the default), overwrite, upsert,
	// replace or partition-overwrite.
	Mode ferry.WriteMode
	// Key lists the key columns for upsert (default: the table's primary
	// key), and the primary key of a table the writer creates.
	Key []string
	// Partition is the SQL predicate of the rows partition-overwrite
	// replaces, for example "day = '2024-06-01'".
	Partition string
	// NoCreate makes a missing table an error; by default the writer creates
	// it from the Arrow schema (see CreateTableSQL).
	NoCreate bool
	// BatchRows is the number of rows per INSERT statement; 0 means
	// DefaultBatchRows. It is lowered so a statement binds at most
	// MaxVariables values.
	BatchRows int
	// PreSQL runs in the write transaction first, before the table is
	// checked or created (so it may create the table with DDL of its own),
	// PostSQL just before it commits.
	PreSQL  []string
	PostSQL []string
	// RunID names the temporary file a new database is built in
	// (".<name>.ferry-<RunID>.tmp"); empty means a new ferry.NewRunID().
	RunID string
	// Allocator is accepted for symmetry with other connectors; the writer
	// allocates no Arrow memory. nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a URL of the form
// sqlite:///path/to/file.db?table=orders&mode=upsert&key=id (see the
// package documentation for every parameter).
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("sqlitewriter: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	if u.Scheme != "sqlite" && u.Scheme != "sqlite3" {
		return Config{}, fmt.Errorf("sqlitewriter: URL scheme %q is not sqlite", u.Scheme)
	}
	var cfg Config
	cfg.Path = pathFromURL(u)
	p := params.Values("sqlitewriter", u)
	cfg.Table = p.String("table", "")
	mode, err := ferry.ParseWriteMode(p.String("mode", ""))
	if err != nil {
		p.Fail("mode", err)
	}
	cfg.Mode = mode
	cfg.Key = p.List("key")
	cfg.Partition = p.String("partition", "")
	cfg.NoCreate = !p.Bool("create", true)
	cfg.BatchRows = p.Int("batchRows", 0)
	cfg.PreSQL = splitStatements(p.String("preSql", ""))
	cfg.PostSQL = splitStatements(p.String("postSql", ""))
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

// splitStatements splits preSql/postSql on ";" at the end of a statement.
// Each statement runs on its own; semicolons inside literals are kept.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == ';':
			if t := strings.TrimSpace(cur.String()); t != "" {
				out = append(out, t)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(ch)
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, t)
	}
	return out
}

// pathFromURL returns the database file a sqlite URL names:
// sqlite:///abs/file.db is /abs/file.db, sqlite://./rel/file.db and
// sqlite:rel/file.db are relative to the working directory.
func pathFromURL(u *url.URL) string {
	if u.Opaque != "" {
		p, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return u.Opaque
		}
		return p
	}
	return u.Host + u.Path
}

func (c Config) validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("no database file (want sqlite:///path/to/file.db?table=t)"))
	}
	if c.Table == "" {
		errs = append(errs, errors.New("table is required"))
	} else if _, err := sqlident.SQLite.Split(c.Table); err != nil {
		errs = append(errs, fmt.Errorf("table: %w", err))
	}
	for _, k := range c.Key {
		if err := sqlident.Check(k); err != nil {
			errs = append(errs, fmt.Errorf("key: %w", err))
		}
	}
	if c.Partition != "" {
		if err := sqlsource.CheckFragment("partition", c.Partition); err != nil {
			errs = append(errs, err)
		}
	}
	if c.RunID != "" {
		if err := ferry.CheckRunID(c.RunID); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := ferry.ParseWriteMode(string(c.Mode)); err != nil {
		errs = append(errs, err)
	}
	mode, _ := ferry.ParseWriteMode(string(c.Mode))
	if mode == ferry.ModePartitionOverwrite && strings.TrimSpace(c.Partition) == "" {
		errs = append(errs, errors.New("mode partition-overwrite needs a partition predicate (partition=...)"))
	}
	if mode != ferry.ModePartitionOverwrite && c.Partition != "" {
		errs = append(errs, fmt.Errorf("partition applies to mode partition-overwrite, not %s", mode))
	}
	if c.BatchRows < 0 {
		errs = append(errs, fmt.Errorf("batchRows %d is negative", c.BatchRows))
	}
	if err := errors.Join(errs...); err != nil {
		return urlparam.Invalid(fmt.Errorf("sqlitewriter: %w", err))
	}
	return nil
}

func init() {
	ferry.DefaultURLMux().RegisterWriter("sqlite", urlreg.Writer(params, ferry.WriterOpenerFunc(openURL)))
}

func openURL(ctx context.Context, u *url.URL) (ferry.Writer, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}
