package pgreader

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/pgurl"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/sqlsource"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads (Ferry's, then
// libpq's); ferry help urls prints them.
var params = urlparam.Join(sqlsource.Params.With(
	urlparam.Param{Name: "splitPk", Doc: "column to cut splits on; default the first primary key column, else ctid block ranges (with querySql: a column of its output)", Sample: "id"},
), urlparam.Table{
	{Name: "splits", Default: "0", Doc: "splits wanted; 0 takes the Pipeline's concurrency hint"},
	{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
}, pgurl.Params)

// Config configures a Reader. The zero value of every field but ConnString
// and one of Table or QuerySQL means the default.
type Config struct {
	// ConnString is the libpq connection URL or keyword/value string (user,
	// host, port, database, sslmode, ...), without Ferry's parameters.
	ConnString string
	// Table is the table to read, "name" or "schema.name".
	Table string
	// Columns are the columns to read; nil means all, in table order.
	Columns []string
	// Where is an SQL condition on Table (not with QuerySQL).
	Where string
	// QuerySQL is a query to read instead of Table.
	QuerySQL string
	// SplitPK is the column to cut splits on (Table only); default the
	// first primary key column of Table, else ctid block ranges.
	SplitPK string
	// Splits is the number of splits wanted; 0 means the Pipeline's hint.
	Splits int
	// BatchRows is the most rows per batch; 0 means 65536.
	BatchRows int
	// ReadTimeout fails a connection on which nothing arrived from the
	// server for that long (URL readTimeout=10m); 0 waits forever. The
	// connect timeout is libpq's connect_timeout (default 30 s).
	ReadTimeout time.Duration
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

func (c *Config) source() sqlsource.Source {
	return sqlsource.Source{Table: c.Table, Columns: c.Columns, Where: c.Where, QuerySQL: c.QuerySQL, SplitPK: c.SplitPK}
}

// ParseConfig parses a reader URL:
//
//	postgres://user@host:5432/db?table=public.orders&splitPk=id&where=...
//
// (postgresql:// is the same). Unknown parameters are an error.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("pgreader: bad URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	p := params.Values("pgreader", u)
	src := sqlsource.FromParams(p)
	cfg := Config{
		Table:       src.Table,
		Columns:     src.Columns,
		Where:       src.Where,
		QuerySQL:    src.QuerySQL,
		SplitPK:     src.SplitPK,
		Splits:      p.Int("splits", 0),
		BatchRows:   p.Int("batchRows", 0),
		ReadTimeout: pgurl.ReadTimeout(p),
	}
	connString, err := pgurl.ConnString("pgreader", u, p)
	if err != nil {
		return Config{}, err
	}
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	cfg.ConnString = connString
	return cfg, cfg.check()
}

func (c *Config) check() error {
	if c.ConnString == "" {
		return fmt.Errorf("pgreader: no connection string")
	}
	src := c.source()
	if src.QuerySQL != "" {
		src.SplitPK = "" // pgreader splits a query on a column of its output too
	}
	if err := src.Check("pgreader"); err != nil {
		return err
	}
	if c.BatchRows < 0 || c.Splits < 0 {
		return fmt.Errorf("pgreader: batchRows and splits must not be negative")
	}
	if c.Table != "" {
		if _, err := sqlident.PostgreSQL.QuoteQualified(c.Table); err != nil {
			return fmt.Errorf("pgreader: table %q: %w", c.Table, err)
		}
	}
	for _, n := range append(append([]string(nil), c.Columns...), c.SplitPK) {
		if n != "" {
			if err := sqlident.Check(n); err != nil {
				return fmt.Errorf("pgreader: column %q: %w", n, err)
			}
		}
	}
	return nil
}

func init() {
	open := ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
	ferry.DefaultURLMux().RegisterReader("postgres", urlreg.Reader(params, open))
	ferry.DefaultURLMux().RegisterReader("postgresql", urlreg.Reader(params, open))
}

func quote(name string) string { return sqlident.PostgreSQL.MustQuote(name) }

func literal(s string) (string, error) { return sqlident.PostgreSQL.Literal(s) }
