package mssqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"syscall"

	mssql "github.com/microsoft/go-mssqldb"
)

// Number returns the SQL Server error number of err (an mssql.Error it
// wraps), and whether there is one.
func Number(err error) (int32, bool) {
	var me mssql.Error
	if errors.As(err, &me) {
		return me.Number, true
	}
	var pe *mssql.Error
	if errors.As(err, &pe) && pe != nil {
		return pe.Number, true
	}
	return 0, false
}

// retryableNumbers are server errors after which the failed statement (and
// its transaction) was rolled back, so running it again is safe and may
// succeed: deadlock victim, lock timeout, snapshot update conflicts, and
// the transient errors of Azure SQL and failovers.
var retryableNumbers = map[int32]string{
	1205:  "deadlock victim",
	1222:  "lock request timeout",
	3960:  "snapshot isolation update conflict",
	3961:  "snapshot isolation: object changed by DDL",
	41302: "in-memory OLTP update conflict",
	41305: "in-memory OLTP repeatable read validation",
	41325: "in-memory OLTP serializable validation",
	41301: "in-memory OLTP commit dependency",
	40197: "service error processing the request",
	40501: "service busy",
	40613: "database unavailable",
	40143: "service unavailable",
	40540: "service unavailable",
	49918: "not enough resources",
	49919: "too many create/update operations",
	49920: "too many operations",
	10928: "resource limit reached",
	10929: "resource minimum not guaranteed",
	4221:  "login to read-secondary failed (redo wait)",
	233:   "connection closed by the server",
	10053: "connection aborted",
	10054: "connection reset",
	10060: "connection timeout",
	64:    "connection lost",
	20:    "instance does not support encryption (transient during failover)",
	8645:  "timeout waiting for memory",
	8651:  "insufficient memory",
	1204:  "lock resources exhausted",
}

// dataNumbers are server errors caused by the values of a row: bisecting
// the batch isolates the rows.
var dataNumbers = map[int32]string{
	515:   "NULL into a NOT NULL column",
	547:   "constraint violation",
	2601:  "duplicate key in a unique index",
	2627:  "primary key or unique constraint violation",
	2628:  "string or binary data would be truncated",
	8152:  "string or binary data would be truncated",
	8115:  "arithmetic overflow",
	220:   "arithmetic overflow for a data type",
	232:   "arithmetic overflow for type",
	236:   "conversion to bit failed",
	241:   "conversion to date/time failed",
	242:   "date/time value out of range",
	244:   "value overflows an integer column",
	245:   "conversion failed",
	248:   "value overflows an int column",
	517:   "date value overflow",
	8114:  "error converting data type",
	8169:  "conversion to uniqueidentifier failed",
	9455:  "XML parse error",
	9436:  "XML parse error",
	9400:  "XML parse error",
	9420:  "XML illegal character",
	4815:  "invalid column length from the bulk copy client",
	4816:  "invalid column type from the bulk copy client",
	4819:  "bulk load: data conversion error",
	4864:  "bulk load: data conversion error",
	4866:  "bulk load: column too long",
	7339:  "invalid data for a column",
	13609: "JSON text is not properly formatted",
}

// IsRetryableNumber reports whether n is a transient server error number.
func IsRetryableNumber(n int32) bool { _, ok := retryableNumbers[n]; return ok }

// IsDataNumber reports whether n is a server error caused by row values.
func IsDataNumber(n int32) bool { _, ok := dataNumbers[n]; return ok }

// IsRetryable reports whether err is a transient server error (deadlock,
// lock timeout, snapshot conflict, Azure transient). Lost connections are
// not: whether the write they carried was applied is not known.
func IsRetryable(err error) bool {
	n, ok := Number(err)
	return ok && IsRetryableNumber(n)
}

// IsData reports whether err is a server error caused by row values.
func IsData(err error) bool {
	n, ok := Number(err)
	return ok && IsDataNumber(n)
}

// IsConnLost reports whether err says the connection failed rather than
// the server refusing a statement: driver.ErrBadConn, a network error,
// an unexpected end of the stream, a broken TDS stream.
func IsConnLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if _, ok := Number(err); ok {
		return false
	}
	var ne net.Error
	var se mssql.StreamError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne) || errors.As(err, &se)
}

var (
	colQuoted = regexp.MustCompile(`(?i)column '([^']*)'`)
	colID     = regexp.MustCompile(`(?i)for colid (\d+)`)
)

// ErrorColumn returns the column a server error names: "column 'x'" in the
// message (515, 2628), or the 1-based colid of a bulk copy error (4815)
// looked up in cols, the columns of the bulk copy in order; "" when the
// message names none.
func ErrorColumn(err error, cols []string) string {
	var me mssql.Error
	if !errors.As(err, &me) {
		return ""
	}
	if m := colQuoted.FindStringSubmatch(me.Message); m != nil {
		return m[1]
	}
	if m := colID.FindStringSubmatch(me.Message); m != nil {
		if i, err := strconv.Atoi(m[1]); err == nil && i >= 1 && i <= len(cols) {
			return cols[i-1]
		}
	}
	return ""
}
