package mysqlwriter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/bisect"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/mysqlx"
)

var handlerSeq atomic.Uint64

// batchWriter writes one attempt at a split on its own connection and
// transaction into the staging table, its rows tagged with the attempt.
type batchWriter struct {
	w      *Writer
	conn   *sql.Conn
	split  string
	att    int64 // attempt, in the column _ferry_att
	seq    int64 // rows loaded so far: the last _ferry_seq
	prev   int64 // the split's earlier attempt, whose rows begin deleted
	rows   int64 // rows written
	writes int
	inTx   bool
	closed bool
	broken error
	buf    []byte
	args   []any
}

var _ ferry.SplitWriter = (*batchWriter)(nil)

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
	if !bw.inTx {
		return errors.New("mysqlwriter: Write after Close or Discard")
	}
	if b.NumRows() == 0 {
		return nil
	}
	bw.writes++
	if bw.writes == 3 {
		crashpoint.Hit("mysqlwriter.write3")
	}
	err := bisect.Write(ctx, b, bw.writeAtomic, isDataError, columnOf)
	if err == nil {
		bw.rows += b.NumRows()
	} else if rows := dirty.Rows(err); rows != nil {
		bw.rows += b.NumRows() - int64(len(rows))
	}
	if err != nil && !isDataError(err) && !dirty.Is(err) {
		var rerr interface{ Retryable() bool }
		if !errors.As(err, &rerr) {
			// The transaction may be gone (a lost connection, a deadlock
			// rolls back everything): nothing more can be written on it.
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isTxFatal(err) {
				if isDeadlock(err) || ctx.Err() == nil && mysqlx.IsConnLost(err) {
					// The server rolled the attempt back (a deadlock, or a
					// connection that died before the attempt's commit): the
					// engine discards it and copies the split again.
					err = ferry.Retryable(err)
				}
				bw.broken = fmt.Errorf("mysqlwriter: earlier write failed: %w", err)
			}
		}
	}
	return err
}

// isDeadlock reports a deadlock or a lock wait timeout: the server rolled
// the transaction back, and the work can be done again.
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
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

// columnsClause returns "(a, b, @v2) SET c = CAST(@v2 AS UNSIGNED),
// _ferry_att = N" for LOAD DATA.
func (bw *batchWriter) columnsClause() string {
	w := bw.w
	var cols, set []string
	for i, f := range w.schema.Fields() {
		if w.targets[i].dataType == "bit" {
			v := "@ferry_v" + strconv.Itoa(i)
			cols = append(cols, v)
			set = append(set, mysqlx.MustQuote(f.Name)+" = CAST("+v+" AS UNSIGNED)")
		} else {
			cols = append(cols, mysqlx.MustQuote(f.Name))
		}
	}
	set = append(set, attCol+" = "+strconv.FormatInt(bw.att, 10))
	if w.seqStage() {
		set = append(set, seqCol+" = (@ferry_seq := @ferry_seq + 1)")
	}
	return "(" + strings.Join(cols, ", ") + ") SET " + strings.Join(set, ", ")
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
	verb := "" // the staging table has no keys: replace happens at Commit
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		// The rows are encoded as the driver reads them, a few hundred KiB at
		// a time: no batch-sized buffer, and encoding overlaps the sending.
		if bw.w.seqStage() {
			if _, err := bw.conn.ExecContext(ctx, "SET @ferry_seq = ?", bw.seq); err != nil {
				return bw.wrap(err)
			}
		}
		st := &loadStream{b: b, encs: encs, row: lo, hi: hi, buf: bw.buf[:0]}
		name := "ferry_" + strconv.FormatUint(handlerSeq.Add(1), 10)
		mysql.RegisterReaderHandler(name, func() io.Reader { return st })
		q := "LOAD DATA LOCAL INFILE 'Reader::" + name + "'" + verb + " INTO TABLE " + bw.w.stage.Quoted() +
			" CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " + bw.columnsClause()
		_, err := bw.conn.ExecContext(ctx, q)
		mysql.DeregisterReaderHandler(name)
		bw.buf = st.buf
		if err != nil {
			return bw.wrap(err)
		}
		if err := bw.warnings(ctx); err != nil {
			return err
		}
		bw.seq += int64(hi - lo)
	}
	return nil
}

// loadStream encodes rows [row, hi) of b as LOAD DATA text on demand,
// straight into the reader's buffer (the driver's packet).
type loadStream struct {
	b       arrow.RecordBatch
	encs    []encoder
	row, hi int
	// buf[off:] is what p could not hold of the last row encoded.
	buf  []byte
	off  int
	cols []arrow.Array // b's columns, cached by columns
	// nullable[c] is column c's validity bitmap and offset when it has
	// NULLs, else nil.
	nullable [][]byte
	nullOff  []int
}

// rowRoom is the room in p below which a row is encoded into buf and
// copied, rather than into p: a row longer than the room left in p would
// make append move it to a new array.
const rowRoom = 2 << 10

func (s *loadStream) Read(p []byte) (int, error) {
	n := 0
	if s.off < len(s.buf) {
		n = copy(p, s.buf[s.off:])
		s.off += n
		if s.off < len(s.buf) {
			return n, nil
		}
	}
	if s.cols == nil && s.row < s.hi {
		s.columns()
	}
	for s.row < s.hi && n < len(p) {
		if len(p)-n < rowRoom {
			s.buf = s.encodeRow(s.buf[:0], s.row)
			s.row++
			s.off = copy(p[n:], s.buf)
			n += s.off
			if s.off < len(s.buf) {
				return n, nil
			}
			continue
		}
		room := len(p) - n
		d := s.encodeRow(p[n:n:len(p)], s.row)
		s.row++
		if cap(d) != room {
			// Longer than the room: append moved the row to a new array,
			// which becomes buf.
			s.buf = d
			s.off = copy(p[n:], d)
			return n + s.off, nil
		}
		n += len(d)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// columns caches the batch's columns and validity bitmaps.
func (s *loadStream) columns() {
	n := int(s.b.NumCols())
	s.cols = make([]arrow.Array, n)
	s.nullable = make([][]byte, n)
	s.nullOff = make([]int, n)
	for c := range n {
		col := s.b.Column(c)
		s.cols[c] = col
		if col.NullN() > 0 {
			s.nullable[c] = col.NullBitmapBytes()
			s.nullOff[c] = col.Data().Offset()
		}
	}
}

func (s *loadStream) encodeRow(buf []byte, i int) []byte {
	if s.cols == nil {
		s.columns()
	}
	for c := range s.encs {
		e := &s.encs[c]
		if c > 0 {
			buf = append(buf, '\t')
		}
		if bm := s.nullable[c]; bm != nil && bitutil.BitIsNotSet(bm, s.nullOff[c]+i) {
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
		if escapes[c] != 0 {
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
	if step*(ncol+1) > 60000 {
		step = max(1, 60000/(ncol+1))
	}
	verb := "INSERT" // the staging table has no keys: replace happens at Commit
	ph := make([]string, ncol)
	for c := range ph {
		ph[c] = "?"
		if bw.w.targets[c].dataType == "bit" {
			ph[c] = "CAST(? AS UNSIGNED)"
		}
	}
	seq := bw.w.seqStage()
	tuple := "(" + strings.Join(ph, ", ") + ", " + strconv.FormatInt(bw.att, 10) + ")"
	head := verb + " INTO " + bw.w.stage.Quoted() + " (" + bw.w.columnList() + ", " + attCol + ") VALUES "
	if seq {
		tuple = "(" + strings.Join(ph, ", ") + ", " + strconv.FormatInt(bw.att, 10) + ", ?)"
		head = verb + " INTO " + bw.w.stage.Quoted() + " (" + bw.w.columnList() + ", " + attCol + ", " + seqCol + ") VALUES "
	}
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
			if seq {
				args = append(args, bw.seq+int64(i-lo)+1)
			}
		}
		bw.args = args
		if _, err := bw.conn.ExecContext(ctx, q.String(), args...); err != nil {
			return bw.wrap(err)
		}
		if err := bw.warnings(ctx); err != nil {
			return err
		}
		bw.seq += int64(hi - lo)
	}
	clear(bw.args)
	return nil
}

// begin starts the attempt's transaction (READ COMMITTED: the locking
// reads of the marker table take no gap locks, so attempts at different
// splits never deadlock on it) and deletes in it the rows of the split's
// earlier attempt, so that the attempt can load the same keys again. A
// concurrent attempt at the same split waits for this one to end.
func (bw *batchWriter) begin(ctx context.Context) error {
	for _, q := range []string{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "START TRANSACTION"} {
		if _, err := bw.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mysqlwriter: split %s: begin: %w", bw.split, err)
		}
	}
	bw.inTx = true
	w := bw.w
	err := bw.conn.QueryRowContext(ctx, "SELECT att FROM "+w.marker.Quoted()+" WHERE k = ? FOR UPDATE", splitKey(bw.split)).Scan(&bw.prev)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("mysqlwriter: split %s: read its marker: %w", bw.split, err)
	}
	if bw.prev != 0 {
		if _, err := bw.conn.ExecContext(ctx, "DELETE FROM "+w.stage.Quoted()+" WHERE "+attCol+" = ?", bw.prev); err != nil {
			return fmt.Errorf("mysqlwriter: split %s: drop the rows of its earlier attempt: %w", bw.split, err)
		}
	}
	return nil
}

// Close commits the attempt: in one transaction its rows, the deletion of
// the rows of the split's earlier attempt, and the split's marker. Attempts
// at one split close one at a time (a named lock), in any process.
func (bw *batchWriter) Close(ctx context.Context) error {
	if bw.broken != nil {
		return bw.broken
	}
	if !bw.inTx {
		if bw.closed {
			return nil
		}
		return errors.New("mysqlwriter: Close after Discard")
	}
	crashpoint.Hit("mysqlwriter.split_close")
	w := bw.w
	lock := w.splitLock(bw.split)
	var got sql.NullInt64
	if err := bw.conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 600)", lock).Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("mysqlwriter: split %s: wait for another attempt's close: %v", bw.split, err)
	}
	// Released before the connection goes back to the pool, which would
	// otherwise keep holding it.
	defer bw.conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", lock)
	if err := bw.closeTx(ctx); err != nil {
		return err
	}
	bw.conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", lock)
	bw.conn.Close()
	return nil
}

// closeTx writes the marker and commits, holding the split's lock.
func (bw *batchWriter) closeTx(ctx context.Context) error {
	w := bw.w
	var prev int64
	err := bw.conn.QueryRowContext(ctx, "SELECT att FROM "+w.marker.Quoted()+" WHERE k = ? FOR UPDATE", splitKey(bw.split)).Scan(&prev)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("mysqlwriter: split %s: read its marker: %w", bw.split, err)
	}
	if prev != 0 && prev != bw.att && prev != bw.prev {
		// An attempt that ran alongside this one closed first.
		if _, err := bw.conn.ExecContext(ctx, "DELETE FROM "+w.stage.Quoted()+" WHERE "+attCol+" = ?", prev); err != nil {
			return fmt.Errorf("mysqlwriter: split %s: drop the rows of its earlier attempt: %w", bw.split, err)
		}
	}
	if _, err := bw.conn.ExecContext(ctx, "INSERT INTO "+w.marker.Quoted()+" (k, att, n, at) VALUES (?, ?, ?, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE att = VALUES(att), n = VALUES(n), at = VALUES(at)",
		splitKey(bw.split), bw.att, bw.rows); err != nil {
		return fmt.Errorf("mysqlwriter: split %s: write its marker: %w", bw.split, err)
	}
	crashpoint.Hit("mysqlwriter.split_commit")
	if _, err := bw.conn.ExecContext(ctx, "COMMIT"); err != nil {
		bw.broken = fmt.Errorf("mysqlwriter: split %s: commit: %w", bw.split, err)
		if !outcomeKnown(err) {
			bw.broken = ferry.OutcomeUnknown(bw.broken)
		}
		return bw.broken
	}
	bw.inTx = false
	bw.closed = true
	return nil
}

// Discard rolls the attempt back: nothing it wrote counts.
func (bw *batchWriter) Discard(ctx context.Context) error {
	if !bw.inTx {
		return nil
	}
	bw.inTx = false
	ctx = context.WithoutCancel(ctx)
	_, err := bw.conn.ExecContext(ctx, "ROLLBACK")
	bw.conn.Close()
	if err != nil && bw.broken == nil {
		return fmt.Errorf("mysqlwriter: split %s: discard: %w", bw.split, err)
	}
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
