package mysqlreader

import (
	"context"
	"fmt"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"net/url"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

func init() {
	open := ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})
	ferry.DefaultURLMux().RegisterReader("mysql", open)
	ferry.DefaultURLMux().RegisterReader("mariadb", open)
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
	// reader needs (text protocol, UTC session time zone).
	Conn *mysql.Config

	// Table is the table to read ("t" or "db.t").
	Table string
	// Columns are the columns to read; nil means every column.
	Columns []string
	// Where is an SQL condition added to every split's query.
	Where string
	// QuerySQL, instead of Table, is a query whose result is read as one split.
	QuerySQL string
	// SplitPK is the column whose value ranges cut the table into splits.
	// Without it the table is read as one split.
	SplitPK string
	// BatchRows is the number of rows per batch; 0 means 65536.
	BatchRows int
	// TimeZone, when set, is the zone in which the source's DATETIME values
	// are wall-clock times: they are then read as instants
	// (timestamp[us, UTC]). Nil keeps DATETIME zone-less (timestamp[us]).
	TimeZone *time.Location
	// TimeAsDuration reads TIME columns as duration[us], which holds MySQL's
	// whole TIME range (-838:59:59 to 838:59:59). The default is time64[us]
	// (a time of day), and a value outside 00:00:00..23:59:59.999999 is an
	// error naming the column.
	TimeAsDuration bool
	// ZeroDate is the zero-date policy; "" means ZeroDateError.
	ZeroDate ZeroDatePolicy
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
	conn, err := mysqlx.ConnConfig("mysqlreader", u)
	if err != nil {
		return Config{}, err
	}
	p := urlparam.New("mysqlreader", u)
	cfg := Config{
		Conn:           conn,
		Table:          p.String("table", ""),
		Columns:        p.List("columns"),
		Where:          p.String("where", ""),
		QuerySQL:       p.String("querySql", ""),
		SplitPK:        p.String("splitPk", ""),
		BatchRows:      p.Int("batchRows", 0),
		TimeAsDuration: p.String("time", "time64") == "duration",
		ZeroDate:       ZeroDatePolicy(p.String("zeroDate", string(ZeroDateError))),
		NoSnapshot:     !p.Bool("snapshot", true),
	}
	if t := p.String("time", "time64"); t != "time64" && t != "duration" {
		p.Fail("time", fmt.Errorf("%q is not time64 or duration", t))
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
	if (c.Table == "") == (c.QuerySQL == "") {
		return fmt.Errorf("mysqlreader: set exactly one of table and querySql")
	}
	if c.QuerySQL != "" && (c.Where != "" || c.SplitPK != "" || len(c.Columns) > 0) {
		return fmt.Errorf("mysqlreader: querySql cannot be combined with where, splitPk or columns")
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
