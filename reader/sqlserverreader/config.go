package sqlserverreader

import (
	"context"
	"fmt"
	"net/url"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/sqlsource"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the URL parameters configFromURL reads (Ferry's, then
// go-mssqldb's); ferry help urls prints them.
var params = mssqlx.Params(urlparam.Join(sqlsource.Params.With(
	urlparam.Param{Name: "splitPk", Doc: "column to cut splits on (integer, string, decimal, date/time or uniqueidentifier); default the primary key's first column", Sample: "id"},
), urlparam.Table{
	{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
	{Name: "isolation", Default: "snapshot", Doc: "split consistency: snapshot, require-snapshot or read-committed"},
	{Name: "keepOffsets", Default: "false", Doc: "add c_offset (UTC offset, minutes) after each datetimeoffset column c"},
}))

func init() {
	ferry.DefaultURLMux().RegisterReader("sqlserver", urlreg.Reader(params, ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	})))
}

// Isolation says how the splits of a read are made consistent.
type Isolation string

// The isolation settings.
const (
	// IsolationSnapshot (the default) reads every split in a SNAPSHOT
	// transaction when the database has ALLOW_SNAPSHOT_ISOLATION ON, the
	// snapshots started together under a brief shared table lock so that
	// all splits see one committed state. When snapshot isolation is off,
	// the read falls back to READ COMMITTED per split (each split sees the
	// table as it is when the split is read) and Consistency says so.
	IsolationSnapshot Isolation = "snapshot"
	// IsolationRequireSnapshot is IsolationSnapshot, but a database without
	// ALLOW_SNAPSHOT_ISOLATION fails Splits instead of falling back.
	IsolationRequireSnapshot Isolation = "require-snapshot"
	// IsolationReadCommitted reads each split under READ COMMITTED on its
	// own connection, with no cross-split consistency.
	IsolationReadCommitted Isolation = "read-committed"
)

// Config configures a Reader. The zero value of every field but DSN and
// the Source means the default.
type Config struct {
	// DSN is the go-mssqldb connection string, in any of its forms
	// (sqlserver:// URL, ADO "server=...;user id=...", ODBC). ParseConfig
	// fills it from the URL without Ferry's parameters.
	DSN string
	// Source is the table (with columns, where and splitPk) or querySql.
	// Table may be "t", "schema.t" or "db.schema.t" (quoted with
	// brackets where a part holds dots: "[my.schema].t").
	Source sqlsource.Source
	// BatchRows is the number of rows per batch; 0 means 65536.
	BatchRows int
	// Isolation is the consistency of the splits; "" means
	// IsolationSnapshot.
	Isolation Isolation
	// KeepOffsets adds, after every datetimeoffset column c, an int16
	// column "c_offset" holding each value's UTC offset in minutes; the
	// datetimeoffset itself is read as an instant (timestamp with zone
	// UTC) either way.
	KeepOffsets bool
	// Allocator allocates the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// ParseConfig parses a URL of go-mssqldb's form with Ferry's parameters:
//
//	sqlserver://user:password@host:1433?database=db&table=dbo.orders&splitPk=id
//
// See the package documentation for the parameters. A parameter that is
// neither Ferry's nor go-mssqldb's is an error.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("sqlserverreader: malformed URL %s", ferry.Redact(urlstr))
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	dsn, p, err := mssqlx.SplitURL("sqlserverreader", u, params)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		DSN:         dsn,
		Source:      sqlsource.FromParams(p),
		BatchRows:   p.Int("batchRows", 0),
		Isolation:   Isolation(p.String("isolation", string(IsolationSnapshot))),
		KeepOffsets: p.Bool("keepOffsets", false),
	}
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	if err := mssqlx.CheckDSN("sqlserverreader", c.DSN); err != nil {
		return err
	}
	if err := c.Source.Check("sqlserverreader"); err != nil {
		return err
	}
	switch c.Isolation {
	case "", IsolationSnapshot, IsolationRequireSnapshot, IsolationReadCommitted:
	default:
		return fmt.Errorf("sqlserverreader: isolation=%q (want snapshot, require-snapshot or read-committed)", c.Isolation)
	}
	if c.BatchRows < 0 {
		return fmt.Errorf("sqlserverreader: batchRows=%d is negative", c.BatchRows)
	}
	return nil
}
