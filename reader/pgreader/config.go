package pgreader

import (
	"context"
	"fmt"
	"github.com/ferrydata/ferry/internal/pgurl"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

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
	// SplitPK is the column to cut splits on; default the first primary key
	// column of Table, else ctid block ranges (Table only).
	SplitPK string
	// Splits is the number of splits wanted; 0 means the Pipeline's hint.
	Splits int
	// BatchRows is the most rows per batch; 0 means 65536.
	BatchRows int
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
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
	p := urlparam.New("pgreader", u)
	cfg := Config{
		Table:     p.String("table", ""),
		Columns:   p.List("columns"),
		Where:     p.String("where", ""),
		QuerySQL:  p.String("querySql", ""),
		SplitPK:   p.String("splitPk", ""),
		Splits:    p.Int("splits", 0),
		BatchRows: p.Int("batchRows", 0),
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
	switch {
	case c.ConnString == "":
		return fmt.Errorf("pgreader: no connection string")
	case c.Table == "" && c.QuerySQL == "":
		return fmt.Errorf("pgreader: set table or querySql")
	case c.Table != "" && c.QuerySQL != "":
		return fmt.Errorf("pgreader: set table or querySql, not both")
	case c.QuerySQL != "" && (c.Where != "" || len(c.Columns) > 0):
		return fmt.Errorf("pgreader: where and columns go with table, not querySql")
	case c.BatchRows < 0 || c.Splits < 0:
		return fmt.Errorf("pgreader: batchRows and splits must not be negative")
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
	ferry.DefaultURLMux().RegisterReader("postgres", open)
	ferry.DefaultURLMux().RegisterReader("postgresql", open)
}

// quoteIdent quotes a possibly schema-qualified name ("s.t" → "s"."t"); a
// name that already contains double quotes is taken as written.
func quoteIdent(name string) string {
	if strings.Contains(name, `"`) {
		return name
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, ".")
}

func quoteCol(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
