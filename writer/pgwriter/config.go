package pgwriter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/pgurl"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads (Ferry's, then
// libpq's); ferry help urls prints them.
var params = urlparam.Join(urlparam.Table{
	{Name: "table", Doc: "destination table, [schema.]name", Sample: "t"},
	{Name: "mode", Default: "insert", Doc: "write mode: insert, overwrite, upsert, replace or partition-overwrite"},
	{Name: "key", Doc: "key columns of upsert and replace, comma-separated; default the primary key", Sample: "id"},
	{Name: "partition", Doc: "SQL predicate of the rows partition-overwrite replaces", Sample: "d = 1"},
	{Name: "preSql", Doc: "statements run in Prepare; repeatable, or several separated by ';' (%3B)"},
	{Name: "postSql", Doc: "statements run at Commit (in the commit transaction but for insert)"},
	{Name: "create", Default: "false", Doc: "create the table from the Arrow schema when missing"},
	{Name: "conns", Default: "0", Doc: "most write connections; 0 means one per batch writer"},
	{Name: "staleAfter", Default: "24h", Doc: "age after which an unheld stage of another run is dropped (negative: never)", Sample: "24h"},
	{Name: "batchRows", Default: "0", Doc: "accepted, ignored (the Pipeline sizes batches)"},
}, pgurl.Params.With(
	urlparam.Param{Name: "readTimeout", Default: "0", Doc: "fail a connection on which nothing arrived for this long; must exceed the longest statement (0 waits forever)", Sample: "10m"},
))

// Config configures a Writer. The zero value of every field but ConnString
// and Table means the default.
type Config struct {
	// ConnString is the libpq connection URL or keyword/value string, without
	// Ferry's parameters.
	ConnString string
	// Table is the destination table, "name" or "schema.name".
	Table string
	// Mode is the write mode: ModeInsert (default), ModeOverwrite,
	// ModeUpsert, ModeReplace or ModePartitionOverwrite.
	Mode ferry.WriteMode
	// Key are the key columns for upsert and replace; default the primary key.
	Key []string
	// Partition is the SQL predicate of ModePartitionOverwrite
	// (biz_date = '20250726'): matching rows are replaced by the new ones.
	Partition string
	// PreSQL statements run in Prepare; PostSQL statements run at Commit
	// (inside the commit transaction for every mode but insert).
	PreSQL, PostSQL []string
	// Create creates Table from the batches' schema when it does not exist.
	Create bool
	// Conns caps the write connections: BatchWriters beyond it share the
	// existing ones (their COPYs take turns). 0 means one per BatchWriter.
	// On a small machine one connection often writes as fast as several,
	// which only contend for the table's extension lock.
	Conns int
	// ReadTimeout fails a connection on which nothing arrived from the
	// server for that long (URL readTimeout=10m); 0 waits forever. It must
	// exceed the longest statement, Commit's included. The connect timeout
	// is libpq's connect_timeout (default 30 s).
	ReadTimeout time.Duration
	// StaleAfter is the age after which the stage of another run on the same
	// target that no live run holds is dropped when a run starts (URL
	// staleAfter); 0 means 24 hours, negative never. Younger stages are kept
	// so that their runs can still be resumed; ferry gc drops them sooner.
	StaleAfter time.Duration
	// Allocator is used for temporary Arrow memory; nil means the default.
	Allocator memory.Allocator
}

// ParseConfig parses a writer URL:
//
//	postgres://user@host:5432/db?table=public.orders&mode=upsert&key=id
//
// (postgresql:// is the same). preSql and postSql may be repeated or hold
// several statements separated by ";". Unknown parameters are an error.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("pgwriter: bad URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	p := params.Values("pgwriter", u)
	q, _ := urlparam.Parse(u.RawQuery) // malformed pairs are reported by p.Done
	cfg := Config{
		Table:       p.String("table", ""),
		Key:         p.List("key"),
		Partition:   p.String("partition", ""),
		Create:      p.Bool("create", false),
		Conns:       p.Int("conns", 0),
		ReadTimeout: pgurl.ReadTimeout(p),
		StaleAfter:  p.Duration("staleAfter", 0),
	}
	p.Has("preSql")
	p.Has("postSql")
	cfg.PreSQL = stmts(q["preSql"])
	cfg.PostSQL = stmts(q["postSql"])
	mode, err := ferry.ParseWriteMode(p.String("mode", ""))
	if err != nil {
		p.Fail("mode", err)
	}
	cfg.Mode = mode
	p.Int("batchRows", 0) // accepted for symmetry: the Pipeline sizes batches
	connString, err := pgurl.ConnString("pgwriter", u, p)
	if err != nil {
		return Config{}, err
	}
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	cfg.ConnString = connString
	return cfg, cfg.check()
}

func stmts(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ";") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (c *Config) check() error {
	if c.ConnString == "" {
		return fmt.Errorf("pgwriter: no connection string")
	}
	if c.Table == "" {
		return urlparam.Invalid(errors.New("pgwriter: no table (want ?table=NAME)"))
	}
	parts, err := sqlident.PostgreSQL.Split(c.Table)
	if err != nil {
		return fmt.Errorf("pgwriter: table %q: %w", c.Table, err)
	}
	for _, p := range parts {
		if len(p) > maxIdent {
			return fmt.Errorf("pgwriter: table %q: name %q is longer than PostgreSQL's %d bytes", c.Table, p, maxIdent)
		}
	}
	for _, k := range c.Key {
		if err := sqlident.Check(k); err != nil {
			return fmt.Errorf("pgwriter: key: %w", err)
		}
	}
	if c.Conns < 0 {
		return fmt.Errorf("pgwriter: conns must not be negative")
	}
	if c.Mode == "" {
		c.Mode = ferry.ModeInsert
	}
	switch c.Mode {
	case ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace:
	case ferry.ModePartitionOverwrite:
		if c.Partition == "" {
			return fmt.Errorf("pgwriter: mode partition-overwrite needs a partition predicate")
		}
	default:
		return fmt.Errorf("pgwriter: unsupported mode %q", c.Mode)
	}
	return nil
}

func init() {
	open := ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(cfg)
	})
	ferry.DefaultURLMux().RegisterWriter("postgres", urlreg.Writer(params, open))
	ferry.DefaultURLMux().RegisterWriter("postgresql", urlreg.Writer(params, open))
}

// quote quotes one identifier; names that cannot be quoted were refused by
// Config.check or come from the catalog.
func quote(name string) string { return sqlident.PostgreSQL.MustQuote(name) }

// quoteList quotes names and joins them with ", ".
func quoteList(names []string) (string, error) { return sqlident.PostgreSQL.QuoteList(names) }
