package sqlserverwriter

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/bisect"
	"github.com/ferrydata/ferry/internal/mssqlx"
)

// splitWriter writes one attempt at one split into the stage. Each batch is
// one bulk copy (or one INSERT transaction) in its own autocommit, so a
// rejected batch leaves nothing and can be bisected; the rows carry the
// attempt's random ID, and only the attempt that Close marks counts.
type splitWriter struct {
	w       *Writer
	p       *plan
	split   string
	attempt int64
	conn    *sql.Conn
	rows    int64 // rows written by this attempt
	seq     int64 // sequence number of the next batch's first row
	broken  error // a lost connection voided the attempt
	done    bool
	oldPath bool
	// send replaces the connection in tests: it gets the encoded rows.
	send func(ctx context.Context, vals []any, n int) error
}

var (
	_ ferry.SplitWriter = (*splitWriter)(nil)
	_ ferry.BatchWriter = (*splitWriter)(nil)
)

// OpenSplit starts an attempt at split splitID.
func (w *Writer) OpenSplit(ctx context.Context, splitID string) (ferry.SplitWriter, error) {
	p, err := w.prepared()
	if err != nil {
		return nil, err
	}
	var b [8]byte
	rand.Read(b[:])
	return &splitWriter{w: w, p: p, split: splitID, attempt: int64(binary.BigEndian.Uint64(b[:]) >> 1)}, nil
}

// Open is the one-process protocol: one attempt per worker, at a split
// named after the worker.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	w.mu.Lock()
	w.workers++
	n := w.workers
	w.mu.Unlock()
	sw, err := w.OpenSplit(ctx, fmt.Sprintf("worker-%d", n))
	if err != nil {
		return nil, err
	}
	s := sw.(*splitWriter)
	s.oldPath = true
	w.mu.Lock()
	w.open[s] = true
	w.mu.Unlock()
	return s, nil
}

func (sw *splitWriter) connect(ctx context.Context) (*sql.Conn, error) {
	if sw.conn == nil {
		c, err := sw.w.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		sw.conn = c
	}
	return sw.conn, nil
}

func (sw *splitWriter) release() {
	if sw.conn != nil {
		sw.conn.Close()
		sw.conn = nil
	}
	sw.done = true
}

// rowError is a value the destination column cannot hold, found before
// anything was sent.
type rowError struct {
	col string
	err error
}

func (e *rowError) Error() string { return fmt.Sprintf("column %s: %v", e.col, e.err) }
func (e *rowError) Unwrap() error { return e.err }

func isData(err error) bool {
	var re *rowError
	return errors.As(err, &re) || mssqlx.IsData(err)
}

// Write writes b into the stage. Rows the server or the encoder rejects
// are isolated by bisection and returned as *dirty.RowErrors with the
// server's message; the others are written.
func (sw *splitWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if sw.done {
		return fmt.Errorf("sqlserverwriter: split %s: Write after Close or Discard", sw.split)
	}
	if sw.broken != nil {
		return sw.broken
	}
	if err := sw.checkSchema(b.Schema()); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	base := sw.seq
	origin := b.Column(0).Data().Offset()
	landed := 0 // slices of b already written by this Write
	load := func(ctx context.Context, s arrow.RecordBatch) error {
		first := base + int64(s.Column(0).Data().Offset()-origin)
		err := sw.load(ctx, s, first)
		if err == nil {
			landed++
		}
		return err
	}
	column := func(err error) string {
		var re *rowError
		if errors.As(err, &re) {
			return re.col
		}
		return mssqlx.ErrorColumn(err, sw.w.bulkCols)
	}
	err := bisect.Write(ctx, b, load, isData, column)
	sw.seq += b.NumRows()
	if landed > 0 && ferry.IsRetryable(err) {
		// Part of b landed before the transient error: writing b again
		// would duplicate it, so the attempt is void instead.
		sw.void(err)
		return sw.broken
	}
	return err
}

func (sw *splitWriter) checkSchema(s *arrow.Schema) error {
	want := sw.w.schema
	if s.NumFields() != want.NumFields() {
		return fmt.Errorf("sqlserverwriter: split %s: batch has %d columns, prepared for %d", sw.split, s.NumFields(), want.NumFields())
	}
	for i, f := range s.Fields() {
		if g := want.Field(i); f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
			return fmt.Errorf("sqlserverwriter: split %s: batch column %d is %s %s, prepared for %s %s", sw.split, i, f.Name, f.Type, g.Name, g.Type)
		}
	}
	return nil
}

// encodeRows returns the driver values of every row of b, row by row, each
// row followed by the attempt and the row's sequence number; a value no
// column can hold is a *rowError for the whole slice (bisection then
// narrows it down without a round trip).
func (sw *splitWriter) encodeRows(b arrow.RecordBatch, first int64) ([]any, error) {
	ncol := int(b.NumCols())
	per := ncol + 2
	n := int(b.NumRows())
	vals := make([]any, n*per)
	for c := 0; c < ncol; c++ {
		a := b.Column(c)
		enc := sw.w.enc[c]
		for r := 0; r < n; r++ {
			if a.IsNull(r) {
				continue
			}
			v, err := enc(a, r)
			if err != nil {
				return nil, &rowError{col: b.Schema().Field(c).Name, err: err}
			}
			vals[r*per+c] = v
		}
	}
	for r := 0; r < n; r++ {
		vals[r*per+ncol] = sw.attempt
		vals[r*per+ncol+1] = first + int64(r)
	}
	return vals, nil
}

// load writes all of b or nothing of it.
func (sw *splitWriter) load(ctx context.Context, b arrow.RecordBatch, first int64) error {
	vals, err := sw.encodeRows(b, first)
	if err != nil {
		return err
	}
	n := int(b.NumRows())
	if sw.send != nil {
		err = sw.send(ctx, vals, n)
	} else if conn, cerr := sw.connect(ctx); cerr != nil {
		cerr = fmt.Errorf("sqlserverwriter: split %s: connect: %w", sw.split, cerr)
		if ctx.Err() != nil {
			return cerr
		}
		return ferry.Retryable(cerr) // nothing was sent
	} else if sw.w.cfg.Insert {
		err = sw.insert(ctx, conn, vals, n)
	} else {
		err = sw.bulk(ctx, conn, vals, n)
	}
	switch {
	case err == nil:
		sw.rows += int64(n)
		return nil
	case ctx.Err() != nil:
		sw.void(err)
		return fmt.Errorf("sqlserverwriter: split %s: %w (%v)", sw.split, ctx.Err(), err)
	case isData(err):
		return fmt.Errorf("sqlserverwriter: split %s: %w", sw.split, err)
	case mssqlx.IsRetryable(err):
		// The server rolled the statement back: nothing was applied.
		return ferry.Retryable(fmt.Errorf("sqlserverwriter: split %s: %w", sw.split, err))
	case mssqlx.IsConnLost(err):
		// Whether the batch landed is unknown: this attempt no longer
		// counts, and the split must be copied again.
		sw.void(err)
		return sw.broken
	}
	if _, server := mssqlx.Number(err); !server {
		// A client-side failure inside a bulk copy leaves the session in
		// an unknown state: drop the connection and the attempt.
		sw.void(err)
		return sw.broken
	}
	return fmt.Errorf("sqlserverwriter: split %s: %w", sw.split, err)
}

func (sw *splitWriter) void(err error) {
	sw.broken = fmt.Errorf("sqlserverwriter: split %s: the connection was lost during a write (%v); this attempt is void, copy the split again", sw.split, err)
	if sw.conn != nil {
		sw.conn.Close()
		sw.conn = nil
	}
}

// bulk sends the rows as one bulk copy into the stage (INSERT BULK, with
// TABLOCK unless NoTablock), in autocommit: the server applies all or none.
func (sw *splitWriter) bulk(ctx context.Context, conn *sql.Conn, vals []any, n int) error {
	per := len(sw.w.bulkCols)
	return conn.Raw(func(dc any) error {
		mc, ok := dc.(*mssql.Conn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not *mssql.Conn", dc)
		}
		bk := mc.CreateBulkContext(ctx, sw.p.stage, sw.w.bulkCols)
		bk.Options = mssql.BulkOptions{Tablock: !sw.w.cfg.NoTablock, KeepNulls: true}
		for r := 0; r < n; r++ {
			if err := bk.AddRow(vals[r*per : (r+1)*per]); err != nil {
				return err
			}
		}
		_, err := bk.Done()
		return err
	})
}

// insertRows is the most rows of one INSERT: SQL Server takes at most 2100
// parameters and 1000 rows of VALUES.
func insertRows(cols, configured int) int {
	n := 2099 / cols
	if configured > 0 && configured < n {
		n = configured
	}
	return min(max(n, 1), 1000)
}

// insert sends the rows as multi-row INSERTs in one transaction.
func (sw *splitWriter) insert(ctx context.Context, conn *sql.Conn, vals []any, n int) error {
	per := len(sw.w.bulkCols)
	step := insertRows(per, sw.w.cfg.InsertRows)
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	stmt := ""
	stmtRows := 0
	for r := 0; r < n; r += step {
		k := min(step, n-r)
		if k != stmtRows {
			stmt, stmtRows = sw.p.insertSQL(k), k
		}
		if _, err := conn.ExecContext(ctx, stmt, vals[r*per:(r+k)*per]...); err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION")
			return err
		}
	}
	_, err := conn.ExecContext(ctx, "COMMIT TRANSACTION")
	return err
}

// Close marks the split done with this attempt, in one statement: from
// then on its rows, and no other attempt's, count.
func (sw *splitWriter) Close(ctx context.Context) error {
	if sw.done {
		return nil
	}
	if sw.broken != nil {
		sw.finish()
		return sw.broken
	}
	conn, err := sw.connect(ctx)
	if err != nil {
		return fmt.Errorf("sqlserverwriter: split %s: connect: %w", sw.split, err)
	}
	h := sha256.Sum256([]byte(sw.split))
	_, err = conn.ExecContext(ctx, sw.p.markSQL(), h[:], sw.split, sw.attempt, sw.rows)
	sw.finish()
	if err != nil {
		err = fmt.Errorf("sqlserverwriter: split %s: mark done: %w", sw.split, err)
		if mssqlx.IsRetryable(err) {
			return ferry.Retryable(err)
		}
		return err
	}
	return nil
}

// Discard ends the attempt without marking it. Its rows stay in the stage,
// counted by no marker, until the stage is dropped at Commit or Abort.
func (sw *splitWriter) Discard(ctx context.Context) error {
	sw.finish()
	return nil
}

func (sw *splitWriter) finish() {
	sw.release()
	if sw.oldPath {
		sw.w.mu.Lock()
		delete(sw.w.open, sw)
		sw.w.mu.Unlock()
	}
}
