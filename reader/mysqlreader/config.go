package mysqlreader

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"github.com/ferrydata/ferry/internal/sqlsource"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads (Ferry's, then the
// driver's); ferry help urls prints them.
var params = urlparam.Join(sqlsource.Params.With(
	urlparam.Param{Name: "table", Doc: "table to read: t, db.t or `my.db`.`t` (or set querySql)", Sample: "t"},
	urlparam.Param{Name: "splitPk", Doc: "column to cut splits on; default a single-integer primary key, else one split", Sample: "id"},
), urlparam.Table{
	{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
	{Name: "time", Default: "duration", Doc: "TIME columns as duration (the whole MySQL range) or time64 (a time of day)"},
	{Name: "zeroDate", Default: "error", Doc: "zero dates ('0000-00-00'): error, or null"},
	{Name: "snapshot", Default: "true", Doc: "read every split in one consistent snapshot"},
	{Name: "timeZone", Doc: "IANA zone of DATETIME values, read then as instants; default zone-less", Sample: "Asia/Shanghai"},
	{Name: "protocol", Default: "binary", Doc: "a table's rows through binary (a prepared statement) or text (the protocol querySql uses)"},
}, mysqlx.Params)

func init() {
	open := ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
	ferry.DefaultURLMux().RegisterReader("mysql", urlreg.Reader(params, open))
	ferry.DefaultURLMux().RegisterReader("mariadb", urlreg.Reader(params, open))
}

// ZeroDatePolicy says what the reader does with MySQL's zero dates
// ('0000-00-00', or a date with a zero month or day), which no Arrow date
// can hold.
type ZeroDatePolicy string

const (
	// ZeroDateError fails the read with an error naming the column and row
	// (the default): nothing is silently changed.
	ZeroDateError ZeroDatePolicy = "error"
	// ZeroDateNull reads zero dates as NULL (JDBC's
	// zeroDateTimeBehavior=convertToNull).
	ZeroDateNull ZeroDatePolicy = "null"
)

// Config configures a Reader. The zero value of every field but Conn and
// one of Table or QuerySQL means the default.
type Config struct {
	// Conn is the connection configuration of go-sql-driver/mysql.
	// ParseConfig fills it from the URL; Open copies it and sets what the
	// reader needs (arguments interpolated, UTC session time zone).
	Conn *mysql.Config

	// Table is the table to read: "t", "db.t", or backquoted parts with
	// dots inside ("`my.db`.`t`"). It is parsed and quoted, never pasted.
	Table string
	// Columns are the columns to read; nil means every column.
	Columns []string
	// Where is an SQL condition added to every split's query.
	Where string
	// QuerySQL, instead of Table, is a query whose result is read as one split.
	QuerySQL string
	// SplitPK is the column whose value ranges cut the table into splits.
	// "" means the table's primary key when it is a single integer column;
	// without one the table is read as one split (Splits says why in
	// SplitNote).
	SplitPK string
	// BatchRows is the number of rows per batch; 0 means 65536.
	BatchRows int
	// TimeZone, when set, is the zone in which the source's DATETIME values
	// are wall-clock times: they are then read as instants
	// (timestamp[us, UTC]). Nil keeps DATETIME zone-less (timestamp[us]).
	TimeZone *time.Location
	// TimeOfDay reads TIME columns as time64[us] (a time of day). The
	// default is duration[us], which holds MySQL's whole TIME range
	// (-838:59:59.999999 to 838:59:59.999999) exactly. With TimeOfDay a row
	// whose TIME is outside 00:00:00..23:59:59.999999 is a dirty row
	// (reported through ferry.DirtyReporter), not a failed read.
	TimeOfDay bool
	// ZeroDate is the zero-date policy; "" means ZeroDateError.
	ZeroDate ZeroDatePolicy
	// TextProtocol reads a table's splits through the text protocol, as
	// QuerySQL always is. The default is a prepared statement, whose rows
	// come in the binary protocol: integers and floating-point numbers as
	// binary values, which the server does not format nor the reader parse
	// (on the benchmark table, a quarter less of the reader's CPU and a
	// third less time). The values read are the same either way. A server
	// or proxy that refuses to prepare the query gets the text protocol
	// without this option.
	TextProtocol bool
	// NoSnapshot turns the consistent snapshot off: each split is then read
	// on its own connection at the time it is read.
	NoSnapshot bool
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a URL of the form
// mysql://user:password@host:port/db?table=t&splitPk=id (or mariadb://).
// See the package documentation for the parameters.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("mysqlreader: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	p := params.Values("mysqlreader", u)
	conn, err := mysqlx.ConnConfig("mysqlreader", u, p)
	if err != nil {
		return Config{}, err
	}
	src := sqlsource.FromParams(p)
	cfg := Config{
		Conn:       conn,
		Table:      src.Table,
		Columns:    src.Columns,
		Where:      src.Where,
		QuerySQL:   src.QuerySQL,
		SplitPK:    src.SplitPK,
		BatchRows:  p.Int("batchRows", 0),
		TimeOfDay:  p.String("time", "duration") == "time64",
		ZeroDate:   ZeroDatePolicy(p.String("zeroDate", string(ZeroDateError))),
		NoSnapshot: !p.Bool("snapshot", true),
	}
	switch proto := p.String("protocol", "binary"); proto {
	case "binary":
	case "text":
		cfg.TextProtocol = true
	default:
		p.Fail("protocol", fmt.Errorf("%q is not binary or text", proto))
	}
	if t := p.String("time", "duration"); t != "time64" && t != "duration" {
		p.Fail("time", fmt.Errorf("%q is not duration or time64", t))
	}
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
		return fmt.Errorf("mysqlreader: Config.Conn is nil")
	}
	if err := c.source().Check("mysqlreader"); err != nil {
		return err
	}
	if c.Table != "" {
		if _, err := mysqlx.ParseTable(c.Table); err != nil {
			return fmt.Errorf("mysqlreader: table: %w", err)
		}
	}
	switch c.ZeroDate {
	case "", ZeroDateError, ZeroDateNull:
	default:
		return fmt.Errorf("mysqlreader: zeroDate=%q (want error or null)", c.ZeroDate)
	}
	if c.BatchRows < 0 {
		return fmt.Errorf("mysqlreader: batchRows=%d is negative", c.BatchRows)
	}
	return nil
}

func (c *Config) source() sqlsource.Source {
	return sqlsource.Source{Table: c.Table, Columns: c.Columns, Where: c.Where, QuerySQL: c.QuerySQL, SplitPK: c.SplitPK}
}
