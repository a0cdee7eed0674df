package mysqlreader

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/testenv"
)

// refusingConnector hands out real connections whose PrepareContext fails
// with prepErr, as a server or proxy without prepared statements does.
type refusingConnector struct {
	driver.Connector
	prepErr error
}

func (c refusingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return refusingConn{dc.(mysqlConn), c.prepErr}, nil
}

type mysqlConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.QueryerContext
}

type refusingConn struct {
	mysqlConn
	prepErr error
}

func (c refusingConn) PrepareContext(context.Context, string) (driver.Stmt, error) {
	return nil, c.prepErr
}

// TestProtocolFallback: a table read prepares its query (the binary
// protocol); when the server refuses the statement the split is read
// through the text protocol instead, and when the connection fails that
// error is the answer (no second try on a dead connection).
func TestProtocolFallback(t *testing.T) {
	cfg, err := ParseConfig(testenv.MySQLURL() + "?table=t")
	require.NoError(t, err)
	conn := cfg.Conn.Clone()
	conn.InterpolateParams = true
	base, err := mysql.NewConnector(conn)
	require.NoError(t, err)
	testenv.Ping(t, "mysql", conn.FormatDSN(), "MariaDB").Close()

	for _, tc := range []struct {
		name     string
		prepErr  error
		wantErr  error
		wantText bool
	}{
		{"refused statement", &mysql.MySQLError{Number: 1295, Message: "This command is not supported in the prepared statement protocol yet"}, nil, true},
		{"lost connection", driver.ErrBadConn, driver.ErrBadConn, false},
		{"prepared", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var db *sql.DB
			if tc.prepErr == nil {
				db = sql.OpenDB(base)
			} else {
				db = sql.OpenDB(refusingConnector{base, tc.prepErr})
			}
			defer db.Close()
			c, err := db.Conn(ctx)
			require.NoError(t, err)
			defer c.Close()
			rr := &recordReader{ctx: ctx, pin: pin(c)}
			defer rr.pin.unpin()
			err = rr.query("SELECT ? + 1", []any{int64(41)}, true)
			if tc.wantErr != nil {
				require.True(t, errors.Is(err, tc.wantErr), "%v", err)
				require.Nil(t, rr.drows)
				return
			}
			require.NoError(t, err)
			// the refused connection cannot prepare, so a row read with
			// no statement open came through the text protocol
			require.Equal(t, !tc.wantText, rr.stmt != nil, "a prepared statement is open")
			vals := make([]driver.Value, 1)
			require.NoError(t, rr.pin.do(func(driver.Conn) { err = rr.drows.Next(vals) }))
			require.NoError(t, err)
			require.Equal(t, int64(42), vals[0])
			require.NoError(t, rr.pin.do(func(driver.Conn) {
				err = rr.drows.Close()
				if rr.stmt != nil {
					err = errors.Join(err, rr.stmt.Close())
				}
			}))
			require.NoError(t, err)
		})
	}
}
