package sqlserverwriter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads (Ferry's, then
// go-mssqldb's); ferry help urls prints them.
var params = mssqlx.Params(urlparam.Table{
	{Name: "table", Doc: "destination table: t, schema.t or db.schema.t", Sample: "dbo.t"},
	{Name: "mode", Default: "insert", Doc: "write mode: insert, overwrite, upsert, replace or partition-overwrite"},
	{Name: "key", Doc: "key columns of upsert and replace, comma-separated; default the primary key", Sample: "id"},
	{Name: "partition", Doc: "SQL predicate of the rows partition-overwrite replaces", Sample: "d = 1"},
	{Name: "preSql", Doc: "statements run once when the stage is prepared (';' written %3B)"},
	{Name: "postSql", Doc: "statements run at Commit, in the commit transaction"},
	{Name: "create", Default: "false", Doc: "create the table from the Arrow schema when missing"},
	{Name: "load", Default: "bulk", Doc: "how the stage is loaded: bulk (bulk copy) or insert"},
	{Name: "insertRows", Default: "0", Doc: "rows per INSERT with load=insert; 0 fits SQL Server's 2100 parameters, at most 1000"},
	{Name: "tablock", Default: "true", Doc: "bulk-load the stage with the TABLOCK hint"},
	{Name: "batchRows", Default: "0", Doc: "accepted, ignored (the Pipeline sizes batches)"},
})

func init() {
	ferry.DefaultURLMux().RegisterWriter("sqlserver", urlreg.Writer(params, ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})))
}

// Config configures a Writer. The zero value of every field but DSN and
// Table means the default.
type Config struct {
	// DSN is the go-mssqldb connection string in any of its forms;
	// ParseConfig fills it from the URL without Ferry's parameters.
	DSN string
	// Table is the destination: "t", "schema.t" or "db.schema.t".
	Table string
	// Mode is the write mode; "" means ferry.ModeInsert.
	Mode ferry.WriteMode
	// Key are the key columns of upsert and replace (nil means the
	// table's primary key), and the primary key of a created table.
	Key []string
	// Partition is the SQL predicate of partition-overwrite
	// ("biz_date = '20250726'"), sent as written.
	Partition string
	// PreSQL runs once, when the stage is first prepared, in the same
	// transaction that creates it. PostSQL runs at Commit, inside the
	// commit transaction.
	PreSQL, PostSQL []string
	// Create creates the table from the Arrow schema when it is missing
	// (see the package documentation for the types).
	Create bool
	// Insert loads the stage with multi-row parameterised INSERTs instead
	// of bulk copy (for servers or proxies that refuse INSERT BULK).
	Insert bool
	// InsertRows is the most rows per INSERT; 0 means as many as fit in
	// SQL Server's 2100 parameters, at most 1000.
	InsertRows int
	// NoTablock loads the stage without the TABLOCK hint. With it (the
	// default) concurrent bulk loads into the stage heap take compatible
	// bulk-update locks and are minimally logged where the recovery model
	// allows.
	NoTablock bool
	// RunID names the stage of the old (one-process) protocol; "" means
	// a new run ID per Prepare. The staged protocol takes the run ID from
	// PrepareStage.
	RunID string
}

// ParseConfig parses a URL of go-mssqldb's form with Ferry's parameters:
//
//	sqlserver://user:password@host:1433?database=db&table=dbo.orders&mode=upsert&key=id
//
// A parameter that is neither Ferry's nor go-mssqldb's is an error.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("sqlserverwriter: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	dsn, p, err := mssqlx.SplitURL("sqlserverwriter", u, params)
	if err != nil {
		return Config{}, err
	}
	mode, merr := ferry.ParseWriteMode(p.String("mode", ""))
	if merr != nil {
		p.Fail("mode", merr)
	}
	cfg := Config{
		DSN:        dsn,
		Table:      p.String("table", ""),
		Mode:       mode,
		Key:        p.List("key"),
		Partition:  strings.TrimSpace(p.String("partition", "")),
		PreSQL:     statements(p.String("preSql", "")),
		PostSQL:    statements(p.String("postSql", "")),
		Create:     p.Bool("create", false),
		Insert:     p.String("load", "bulk") == "insert",
		InsertRows: p.Int("insertRows", 0),
		NoTablock:  !p.Bool("tablock", true),
	}
	if l := p.String("load", "bulk"); l != "bulk" && l != "insert" {
		p.Fail("load", fmt.Errorf("%q is not bulk or insert", l))
	}
	p.Int("batchRows", 0) // accepted: the Pipeline sizes batches
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

// statements splits a URL's preSql/postSql value on ";" outside quotes.
// (In a URL, ';' must be written %3B.)
func statements(s string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '[':
			quote = c
			if c == '[' {
				quote = ']'
			}
		case c == ';':
			if t := strings.TrimSpace(cur.String()); t != "" {
				out = append(out, t)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, t)
	}
	return out
}

func (c *Config) validate() error {
	if err := mssqlx.CheckDSN("sqlserverwriter", c.DSN); err != nil {
		return err
	}
	if c.Table == "" {
		return urlparam.Invalid(errors.New("sqlserverwriter: table is required"))
	}
	if _, err := mssqlx.ParseTable(c.Table); err != nil {
		return fmt.Errorf("sqlserverwriter: table %q: %w", c.Table, err)
	}
	if c.Mode == "" {
		c.Mode = ferry.ModeInsert
	}
	if _, err := ferry.ParseWriteMode(string(c.Mode)); err != nil {
		return fmt.Errorf("sqlserverwriter: %w", err)
	}
	switch {
	case c.Mode == ferry.ModePartitionOverwrite && c.Partition == "":
		return fmt.Errorf("sqlserverwriter: mode partition-overwrite needs partition (an SQL predicate)")
	case c.Mode != ferry.ModePartitionOverwrite && c.Partition != "":
		return fmt.Errorf("sqlserverwriter: partition goes with mode partition-overwrite, not %s", c.Mode)
	case len(c.Key) > 0 && c.Mode != ferry.ModeUpsert && c.Mode != ferry.ModeReplace && !c.Create:
		return fmt.Errorf("sqlserverwriter: key goes with modes upsert and replace, or with create (the created table's primary key), not with mode %s alone", c.Mode)
	case c.InsertRows < 0 || c.InsertRows > 1000:
		return fmt.Errorf("sqlserverwriter: insertRows=%d (want 0..1000)", c.InsertRows)
	}
	for _, k := range c.Key {
		if k == "" {
			return fmt.Errorf("sqlserverwriter: key has an empty name")
		}
	}
	if c.RunID != "" {
		if err := ferry.CheckRunID(c.RunID); err != nil {
			return fmt.Errorf("sqlserverwriter: %w", err)
		}
	}
	return nil
}
