package sqlitereader

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// DefaultBatchRows is the number of rows per batch when Config.BatchRows is 0.
const DefaultBatchRows = 65536

// Config configures a Reader. The zero value of every field but Path and
// one of Table or QuerySQL means the default.
type Config struct {
	// Path is the database file. It must exist; the reader opens it read-only.
	Path string
	// Table is the table or view to read. Exactly one of Table and QuerySQL is set.
	Table string
	// Columns lists the columns to read, in order; nil means every column.
	Columns []string
	// Where is an SQL predicate added to the query of every split.
	Where string
	// QuerySQL is a whole SELECT to read instead of a table; it is read as
	// one split.
	QuerySQL string
	// SplitPK is the integer column to split on; empty means the rowid (a
	// view or a table WITHOUT ROWID is then read as one split).
	SplitPK string
	// BatchRows caps the rows of a batch; 0 means DefaultBatchRows.
	BatchRows int
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a URL of the form
// sqlite:///path/to/file.db?table=orders (see the package documentation for
// every parameter).
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("sqlitereader: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	if u.Scheme != "sqlite" && u.Scheme != "sqlite3" {
		return Config{}, fmt.Errorf("sqlitereader: URL scheme %q is not sqlite", u.Scheme)
	}
	var cfg Config
	cfg.Path = PathFromURL(u)
	p := urlparam.New("sqlitereader", u)
	cfg.Table = p.String("table", "")
	cfg.Columns = p.List("columns")
	cfg.Where = p.String("where", "")
	cfg.QuerySQL = p.String("querySql", "")
	cfg.SplitPK = p.String("splitPk", "")
	cfg.BatchRows = p.Int("batchRows", 0)
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

// PathFromURL returns the database file a sqlite URL names:
// sqlite:///abs/file.db is /abs/file.db, sqlite://./rel/file.db and
// sqlite:rel/file.db are relative to the working directory.
func PathFromURL(u *url.URL) string {
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
	switch {
	case c.Table == "" && c.QuerySQL == "":
		errs = append(errs, errors.New("one of table and querySql is required"))
	case c.Table != "" && c.QuerySQL != "":
		errs = append(errs, errors.New("table and querySql are exclusive"))
	case c.QuerySQL != "" && (len(c.Columns) > 0 || c.Where != "" || c.SplitPK != ""):
		errs = append(errs, errors.New("columns, where and splitPk apply to a table, not to querySql"))
	}
	if c.BatchRows < 0 {
		errs = append(errs, fmt.Errorf("batchRows %d is negative", c.BatchRows))
	}
	for _, col := range c.Columns {
		if col == "" {
			errs = append(errs, errors.New("empty column name in columns"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlitereader: %w", err)
	}
	return nil
}

func init() {
	ferry.DefaultURLMux().RegisterReader("sqlite", ferry.ReaderOpenerFunc(openURL))
}

func openURL(ctx context.Context, u *url.URL) (ferry.Reader, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}

// quoteIdent quotes an SQLite identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
