package mysqlwriter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads (Ferry's, then the
// driver's); ferry help urls prints them.
var params = urlparam.Join(urlparam.Table{
	{Name: "table", Doc: "destination table: t, db.t or `my.db`.`t`", Sample: "t"},
	{Name: "mode", Default: "insert", Doc: "write mode: insert, overwrite, upsert, replace or partition-overwrite"},
	{Name: "key", Doc: "key columns: primary key of a created table, not updated by upsert", Sample: "id"},
	{Name: "partition", Doc: "SQL condition of the rows partition-overwrite replaces", Sample: "d = 1"},
	{Name: "preSql", Doc: "a statement run in Prepare; repeat the parameter for more"},
	{Name: "postSql", Doc: "a statement run at Commit, after the data is in place; repeatable"},
	{Name: "batchRows", Default: "0", Doc: "rows per LOAD DATA or INSERT; 0 means a whole batch per LOAD DATA, 1000 per INSERT"},
	{Name: "create", Default: "false", Doc: "create the table from the Arrow schema when missing"},
	{Name: "method", Doc: "load (LOAD DATA LOCAL INFILE) or insert; default load when the server allows local_infile", Sample: "insert"},
	{Name: "staleAge", Default: "24h", Doc: "age after which the stage of a dead run on the same target is dropped"},
	{Name: "timeZone", Default: "UTC", Doc: "IANA zone in which instants are written into DATETIME columns"},
}, mysqlx.Params)

func init() {
	open := ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
	ferry.DefaultURLMux().RegisterWriter("mysql", urlreg.Writer(params, open))
	ferry.DefaultURLMux().RegisterWriter("mariadb", urlreg.Writer(params, open))
}

// The write methods a Writer can use; Method reports the one in use.
const (
	// MethodLoad streams batches with LOAD DATA LOCAL INFILE.
	MethodLoad = "load"
	// MethodInsert sends multi-row INSERT statements with bound values; it
	// is used when the server has local_infile off.
	MethodInsert = "insert"
)

// Config configures a Writer. The zero value of every field but Conn and
// Table means the default.
type Config struct {
	// Conn is the connection configuration of go-sql-driver/mysql;
	// ParseConfig fills it from the URL. Open copies it and sets the
	// session the writer needs (UTC time zone, strict SQL mode).
	Conn *mysql.Config
	// Table is the target table: "t", "db.t", or backquoted parts with dots
	// inside ("`my.db`.`t`"). It is parsed and quoted, never pasted.
	Table string
	// Mode is the write mode; "" means ferry.ModeInsert.
	Mode ferry.WriteMode
	// Key lists the key columns: the primary key of a table made by Create,
	// and the columns upsert does not update. Upsert and replace match rows
	// by the table's own primary and unique keys, as MySQL does.
	Key []string
	// Partition is the SQL condition selecting the rows that
	// ModePartitionOverwrite replaces, e.g. "biz_date = '20240101'".
	Partition string
	// PreSQL runs in Prepare; PostSQL runs at Commit, after the data is
	// in place. Neither is undone by Abort.
	PreSQL, PostSQL []string
	// BatchRows caps the rows of one LOAD DATA or INSERT statement; 0 means
	// a whole batch per LOAD DATA and 1000 rows per INSERT.
	BatchRows int
	// Create creates the target table from the Arrow schema when it does not
	// exist.
	Create bool
	// TimeZone is the zone in which instants (timestamp with a time zone)
	// are written into DATETIME columns; nil means UTC. TIMESTAMP columns
	// always receive the instant itself.
	TimeZone *time.Location
	// Method forces a write method (MethodLoad or MethodInsert); "" picks
	// LOAD DATA when the server allows local_infile, else INSERT.
	Method string
	// StaleAge is how old the stage of a dead run prepared with PrepareStage
	// must be before the next run on the same target drops it; 0 means
	// DefaultStaleAge. Stages of ended runs and of one-process runs (made by
	// Prepare) are dropped at any age, those a live run holds never.
	StaleAge time.Duration
	// Allocator is unused by the writer itself (it allocates no Arrow
	// memory); it is here for symmetry with the other connectors.
	Allocator memory.Allocator
}

// ParseConfig parses a URL of the form
// mysql://user:password@host:port/db?table=t&mode=upsert (or mariadb://).
// See the package documentation for the parameters.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("mysqlwriter: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	p := params.Values("mysqlwriter", u)
	c, err := mysqlx.ConnConfig("mysqlwriter", u, p)
	if err != nil {
		return Config{}, err
	}
	q, _ := urlparam.Parse(u.RawQuery) // its errors are p's, reported by Done
	cfg := Config{
		Conn:      c,
		Table:     p.String("table", ""),
		Key:       p.List("key"),
		Partition: p.String("partition", ""),
		BatchRows: p.Int("batchRows", 0),
		Create:    p.Bool("create", false),
		Method:    p.String("method", ""),
		StaleAge:  p.Duration("staleAge", 0),
	}
	// preSql/postSql may hold commas: each occurrence is one statement.
	cfg.PreSQL = q["preSql"]
	cfg.PostSQL = q["postSql"]
	p.Has("preSql")
	p.Has("postSql")
	mode, err := ferry.ParseWriteMode(p.String("mode", ""))
	if err != nil {
		p.Fail("mode", err)
	}
	cfg.Mode = mode
	if tz := p.String("timeZone", ""); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			p.Fail("timeZone", err)
		}
		cfg.TimeZone = loc
	}
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	if c.Conn == nil {
		return fmt.Errorf("mysqlwriter: Config.Conn is nil")
	}
	if c.Table == "" {
		return urlparam.Invalid(errors.New("mysqlwriter: table is required"))
	}
	if _, err := mysqlx.ParseTable(c.Table); err != nil {
		return fmt.Errorf("mysqlwriter: table: %w", err)
	}
	if err := mysqlx.CheckNames("mysqlwriter: key column", c.Key); err != nil {
		return err
	}
	if c.StaleAge < 0 {
		return fmt.Errorf("mysqlwriter: staleAge=%s is negative", c.StaleAge)
	}
	switch c.Mode {
	case "", ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace:
	case ferry.ModePartitionOverwrite:
		if c.Partition == "" {
			return fmt.Errorf("mysqlwriter: mode partition-overwrite needs partition (an SQL condition)")
		}
	default:
		return fmt.Errorf("mysqlwriter: unsupported write mode %q", c.Mode)
	}
	switch c.Method {
	case "", MethodLoad, MethodInsert:
	default:
		return fmt.Errorf("mysqlwriter: method=%q (want load or insert)", c.Method)
	}
	if c.BatchRows < 0 {
		return fmt.Errorf("mysqlwriter: batchRows=%d is negative", c.BatchRows)
	}
	return nil
}

// strictSQLMode makes bad values errors instead of silent changes.
const strictSQLMode = "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'"
