package mysqlwriter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/bisect"
)

var handlerSeq atomic.Uint64

// batchWriter writes the batches of one worker on its own connection and
// transaction.
type batchWriter struct {
	w      *Writer
	conn   *sql.Conn
	inTx   bool
	closed bool
	broken error
	buf    []byte
	args   []any
}

var _ ferry.BatchWriter = (*batchWriter)(nil)

// dataError is a batch the server took with warnings (LOAD DATA LOCAL turns
// errors into warnings): it was rolled back, and is bad data.
type dataError struct{ msg string }

func (e *dataError) Error() string { return e.msg }

// Write writes b; rows the server rejects are isolated by bisection and
// returned as a *dirty.RowErrors with the server's message.
func (bw *batchWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if bw.broken != nil {
		return bw.broken
	}
	if b.NumRows() == 0 {
		return nil
	}
	err := bisect.Write(ctx, b, bw.writeAtomic, isDataError, columnOf)
	if err != nil && !isDataError(err) && !dirty.Is(err) {
		var rerr interface{ Retryable() bool }
		if !errors.As(err, &rerr) {
			// The transaction may be gone (a lost connection, a deadlock
			// rolls back everything): nothing more can be written on it.
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isTxFatal(err) {
				bw.broken = fmt.Errorf("mysqlwriter: earlier write failed: %w", err)
			}
		}
	}
	return err
}

// isTxFatal reports errors after which the transaction is no longer usable.
func isTxFatal(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return true // not a server error: connection trouble
}

var savepoint = "SAVEPOINT ferry_batch"

// writeAtomic writes b entirely or not at all.
func (bw *batchWriter) writeAtomic(ctx context.Context, b arrow.RecordBatch) error {
	if _, err := bw.conn.ExecContext(ctx, savepoint); err != nil {
		return fmt.Errorf("mysqlwriter: %w", err)
	}
	var err error
	if bw.w.method == MethodLoad {
		err = bw.load(ctx, b)
	} else {
		err = bw.insert(ctx, b)
	}
	if err != nil {
		if isDataError(err) {
			if _, rerr := bw.conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT ferry_batch"); rerr != nil {
				return fmt.Errorf("mysqlwriter: rollback a rejected batch: %w", rerr)
			}
		}
		return err
	}
	return nil
}

func (bw *batchWriter) encoders(b arrow.RecordBatch) ([]encoder, error) {
	encs := make([]encoder, b.NumCols())
	for c := range encs {
		e, err := bw.w.newEncoder(b.Schema().Field(c), b.Column(c), bw.w.targets[c])
		if err != nil {
			return nil, err
		}
		encs[c] = e
	}
	return encs, nil
}

// columnsClause returns "(a, b, @v2) SET c = CAST(@v2 AS UNSIGNED)" for LOAD DATA.
func (w *Writer) columnsClause() string {
	var cols, set []string
	for i, f := range w.schema.Fields() {
		if w.targets[i].dataType == "bit" {
			v := "@ferry_v" + strconv.Itoa(i)
			cols = append(cols, v)
			set = append(set, mysqlx.QuoteIdent(f.Name)+" = CAST("+v+" AS UNSIGNED)")
		} else {
			cols = append(cols, mysqlx.QuoteIdent(f.Name))
		}
	}
	s := "(" + strings.Join(cols, ", ") + ")"
	if len(set) > 0 {
		s += " SET " + strings.Join(set, ", ")
	}
	return s
}

func (bw *batchWriter) load(ctx context.Context, b arrow.RecordBatch) error {
	encs, err := bw.encoders(b)
	if err != nil {
		return err
	}
	n := int(b.NumRows())
	step := bw.w.cfg.BatchRows
	if step <= 0 {
		step = n
	}
	verb := ""
	if bw.w.cfg.Mode == ferry.ModeReplace {
		verb = " REPLACE"
	}
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		// The rows are encoded as the driver reads them, a few hundred KiB at
		// a time: no batch-sized buffer, and encoding overlaps the sending.
		st := &loadStream{b: b, encs: encs, row: lo, hi: hi, buf: bw.buf[:0]}
		name := "ferry_" + strconv.FormatUint(handlerSeq.Add(1), 10)
		mysql.RegisterReaderHandler(name, func() io.Reader { return st })
		q := "LOAD DATA LOCAL INFILE 'Reader::" + name + "'" + verb + " INTO TABLE " + bw.w.into +
			" CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " + bw.w.columnsClause()
		_, err := bw.conn.ExecContext(ctx, q)
		mysql.DeregisterReaderHandler(name)
		bw.buf = st.buf
		if err != nil {
			return bw.wrap(err)
		}
		if err := bw.warnings(ctx); err != nil {
			return err
		}
	}
	return nil
}

// loadStream encodes rows [row, hi) of b as LOAD DATA text on demand.
type loadStream struct {
	b       arrow.RecordBatch
	encs    []encoder
	row, hi int
	buf     []byte
	off     int
}

const chunkBytes = 256 << 10

func (s *loadStream) Read(p []byte) (int, error) {
	for s.off >= len(s.buf) {
		if s.row >= s.hi {
			return 0, io.EOF
		}
		s.buf, s.off = s.buf[:0], 0
		for s.row < s.hi && len(s.buf) < chunkBytes {
			s.buf = s.encodeRow(s.buf, s.row)
			s.row++
		}
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

func (s *loadStream) encodeRow(buf []byte, i int) []byte {
	for c, e := range s.encs {
		if c > 0 {
			buf = append(buf, '\t')
		}
		if s.b.Column(c).IsNull(i) {
			buf = append(buf, '\\', 'N')
			continue
		}
		if !e.raw {
			buf = e.app(buf, i)
			continue
		}
		if e.view != nil {
			buf = appendEscaped(buf, e.view(i))
			continue
		}
		// Encode at the end of buf, then escape it in place.
		start := len(buf)
		buf = e.app(buf, i)
		if needsEscape(buf[start:]) {
			val := append([]byte(nil), buf[start:]...)
			buf = appendEscaped(buf[:start], val)
		}
	}
	return append(buf, '\n')
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		switch c {
		case '\\', '\t', '\n', '\r', 0, 0x1a:
			return true
		}
	}
	return false
}

// warnings returns a *dataError when the last statement left warnings.
func (bw *batchWriter) warnings(ctx context.Context) error {
	rows, err := bw.conn.QueryContext(ctx, "SHOW WARNINGS LIMIT 5")
	if err != nil {
		return fmt.Errorf("mysqlwriter: show warnings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return fmt.Errorf("mysqlwriter: show warnings: %w", err)
		}
		if level != "Note" {
			return &dataError{msg: fmt.Sprintf("mysqlwriter: %s: %s %d: %s", bw.w.cfg.Table, level, code, msg)}
		}
	}
	return rows.Err()
}

func (bw *batchWriter) wrap(err error) error {
	return fmt.Errorf("mysqlwriter: write into %s: %w", bw.w.cfg.Table, err)
}

func (bw *batchWriter) insert(ctx context.Context, b arrow.RecordBatch) error {
	encs, err := bw.encoders(b)
	if err != nil {
		return err
	}
	n := int(b.NumRows())
	step := bw.w.cfg.BatchRows
	if step <= 0 {
		step = 1000
	}
	ncol := int(b.NumCols())
	if step*ncol > 60000 {
		step = max(1, 60000/ncol)
	}
	verb := "INSERT"
	if bw.w.cfg.Mode == ferry.ModeReplace {
		verb = "REPLACE"
	}
	ph := make([]string, ncol)
	for c := range ph {
		ph[c] = "?"
		if bw.w.targets[c].dataType == "bit" {
			ph[c] = "CAST(? AS UNSIGNED)"
		}
	}
	tuple := "(" + strings.Join(ph, ", ") + ")"
	head := verb + " INTO " + bw.w.into + " (" + bw.w.columnList() + ") VALUES "
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		var q strings.Builder
		q.WriteString(head)
		args := bw.args[:0]
		for i := lo; i < hi; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			for c, e := range encs {
				col := b.Column(c)
				if col.IsNull(i) {
					args = append(args, nil)
					continue
				}
				v := e.app([]byte{}, i) // non-nil: an empty value is not NULL
				if col.DataType().ID() == arrow.BINARY || col.DataType().ID() == arrow.LARGE_BINARY || col.DataType().ID() == arrow.FIXED_SIZE_BINARY && bw.w.targets[c].dataType != "uuid" {
					args = append(args, v)
				} else {
					args = append(args, string(v))
				}
			}
		}
		bw.args = args
		if _, err := bw.conn.ExecContext(ctx, q.String(), args...); err != nil {
			return bw.wrap(err)
		}
		if err := bw.warnings(ctx); err != nil {
			return err
		}
	}
	clear(bw.args)
	return nil
}

// Close ends the worker: in the staged modes it commits its rows into the
// staging table; in the direct modes they wait for Writer.Commit.
func (bw *batchWriter) Close(ctx context.Context) error {
	if bw.broken != nil {
		return bw.broken
	}
	if bw.w.staged() && bw.inTx {
		if _, err := bw.conn.ExecContext(ctx, "COMMIT"); err != nil {
			return fmt.Errorf("mysqlwriter: commit into staging table: %w", err)
		}
		bw.inTx = false
	}
	bw.closed = true
	return nil
}

// dataErrors are the server errors that mean a bad value or row.
var dataErrors = map[uint16]bool{
	1048: true, // column cannot be null
	1062: true, // duplicate entry
	1263: true, // NULL supplied to NOT NULL
	1264: true, // out of range
	1265: true, // data truncated
	1292: true, // incorrect value
	1366: true, // incorrect integer/string value
	1367: true, // illegal value
	1406: true, // data too long
	1411: true, // incorrect value for function
	1416: true, // cannot get geometry
	1452: true, // foreign key fails
	1690: true, // value out of range
	3140: true, // invalid JSON (MySQL)
	3819: true, // check constraint (MySQL)
	4025: true, // CONSTRAINT failed (MariaDB)
}

func isDataError(err error) bool {
	var de *dataError
	if errors.As(err, &de) {
		return true
	}
	var me *mysql.MySQLError
	return errors.As(err, &me) && dataErrors[me.Number]
}

var (
	colQuoted   = regexp.MustCompile("(?i)column '([^']+)'")
	colBacktick = regexp.MustCompile("(?i)(?:column|for) `[^`]*`\\.`[^`]*`\\.`([^`]+)`")
	colConstr   = regexp.MustCompile("CONSTRAINT `(?:[^`.]*\\.)?([^`]+)` failed")
)

// columnOf extracts the column name from a server message.
func columnOf(err error) string {
	s := err.Error()
	for _, re := range []*regexp.Regexp{colQuoted, colBacktick, colConstr} {
		if m := re.FindStringSubmatch(s); m != nil {
			return m[1]
		}
	}
	return ""
}
