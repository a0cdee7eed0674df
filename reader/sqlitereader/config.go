package sqlitereader

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
var params = urlparam.Join(sqlsource.Params.With(
	urlparam.Param{Name: "querySql", Doc: "a SELECT to read instead of table, as one split"},
	urlparam.Param{Name: "splitPk", Doc: "integer column to split on; default the rowid (a view or WITHOUT ROWID table: one split)", Sample: "id"},
), urlparam.Table{
	{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
})

// DefaultBatchRows is the number of rows per batch when Config.BatchRows is 0.
const DefaultBatchRows = 65536

// Config configures a Reader. The zero value of every field but Path and
// one of Table or QuerySQL means the default.
type Config struct {
	// Path is the database file. It must exist; the reader opens it read-only.
	Path string
	// Table is the table or view to read, "table" or "schema.table" (a part
	// in double quotes may hold dots: "my.table"). Exactly one of Table and
	// QuerySQL is set.
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
	p := params.Values("sqlitereader", u)
	src := sqlsource.FromParams(p)
	cfg.Table, cfg.Columns, cfg.Where, cfg.QuerySQL, cfg.SplitPK = src.Table, src.Columns, src.Where, src.QuerySQL, src.SplitPK
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
	src := c.source()
	if err := src.Check("sqlitereader"); err != nil {
		// Check prefixes its message; keep one prefix.
		errs = append(errs, errors.New(strings.TrimPrefix(err.Error(), "sqlitereader: ")))
	}
	if c.Table != "" {
		if _, err := sqlident.SQLite.Split(c.Table); err != nil {
			errs = append(errs, fmt.Errorf("table: %w", err))
		}
	}
	for _, col := range c.Columns {
		if err := sqlident.Check(col); err != nil && col != "" {
			errs = append(errs, fmt.Errorf("columns: %w", err))
		}
	}
	if c.SplitPK != "" {
		if err := sqlident.Check(c.SplitPK); err != nil {
			errs = append(errs, fmt.Errorf("splitPk: %w", err))
		}
	}
	if c.Where != "" {
		if err := sqlsource.CheckFragment("where", c.Where); err != nil {
			errs = append(errs, err)
		}
	}
	if c.BatchRows < 0 {
		errs = append(errs, fmt.Errorf("batchRows %d is negative", c.BatchRows))
	}
	if err := errors.Join(errs...); err != nil {
		return urlparam.Invalid(fmt.Errorf("sqlitereader: %w", err))
	}
	return nil
}

// source is the part of c that internal/sqlsource checks.
func (c Config) source() sqlsource.Source {
	return sqlsource.Source{Table: c.Table, Columns: c.Columns, Where: c.Where, QuerySQL: c.QuerySQL, SplitPK: c.SplitPK}
}

func init() {
	ferry.DefaultURLMux().RegisterReader("sqlite", urlreg.Reader(params, ferry.ReaderOpenerFunc(openURL)))
}

func openURL(ctx context.Context, u *url.URL) (ferry.Reader, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}
