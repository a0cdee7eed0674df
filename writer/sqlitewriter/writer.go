package sqlitewriter

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/bisect"
)

// sqliteDriver is modernc.org/sqlite's driver, used below database/sql so
// that the writer owns exactly one connection and binds values without
// database/sql's conversions.
var sqliteDriver = func() driver.Driver {
	db, _ := sql.Open("sqlite", "")
	defer db.Close()
	return db.Driver()
}()

// Writer writes Arrow batches into one SQLite table.
//
// Everything a run writes happens in one write transaction on one
// connection, begun by Prepare and ended by Commit (COMMIT) or Abort
// (ROLLBACK): SQLite has one writer at a time, so the BatchWriters of all
// workers take turns on that connection (a mutex), and readers of the
// database (WAL mode) see the old rows until Commit.
type Writer struct {
	cfg  Config
	mode ferry.WriteMode

	mu        sync.Mutex // guards everything below
	conn      driver.Conn
	inTx      bool
	done      bool // committed or aborted
	committed bool
	created   bool // Prepare created the database file
	schema    *arrow.Schema
	ncols     int
	rows      int // rows per full INSERT statement
	verb      string
	suffix    string // ON CONFLICT clause
	colList   string
	stmts     map[int]driver.Stmt // prepared INSERT by row count
	key       []string
}

var _ ferry.Writer = (*Writer)(nil)

// Open checks cfg and returns a Writer; the database is opened by Prepare.
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	mode, _ := ferry.ParseWriteMode(string(cfg.Mode))
	if cfg.BatchRows == 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	return &Writer{cfg: cfg, mode: mode}, nil
}

func (w *Writer) errorf(format string, args ...any) error {
	return fmt.Errorf("sqlitewriter: %s table %s: %s", w.cfg.Path, w.cfg.Table, fmt.Errorf(format, args...))
}

func (w *Writer) wrap(what string, err error) error {
	return fmt.Errorf("sqlitewriter: %s table %s: %s: %w", w.cfg.Path, w.cfg.Table, what, err)
}

func (w *Writer) exec(ctx context.Context, q string, args ...any) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	_, err := w.conn.(driver.ExecerContext).ExecContext(ctx, q, named)
	return err
}

func (w *Writer) queryAll(ctx context.Context, q string, args ...any) ([][]driver.Value, error) {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := w.conn.(driver.QueryerContext).QueryContext(ctx, q, named)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]driver.Value
	for {
		dest := make([]driver.Value, len(rows.Columns()))
		if err := rows.Next(dest); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, dest)
	}
}

// Prepare opens the database (creating the file if needed), switches an
// existing file to WAL mode, begins the write transaction, runs PreSQL,
// creates the table if it is missing and, for overwrite and partition-overwrite, deletes
// the rows to be replaced (inside the transaction, so nobody sees them go
// before Commit).
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		return w.errorf("Prepare called twice")
	}
	w.schema = schema
	w.ncols = schema.NumFields()
	if w.ncols == 0 {
		return w.errorf("the schema has no columns")
	}
	for _, f := range schema.Fields() {
		if _, err := DeclaredType(f.Type); err != nil {
			return w.errorf("column %s: %w", f.Name, err)
		}
	}
	// A database file this run creates has no other users: it is loaded
	// with the rollback journal in memory (nothing of the new pages is
	// journaled at all) and removed again by Abort. An existing file is
	// switched to WAL, so that readers (the source, when it is the same
	// file) read while the run writes. Either way synchronous=OFF and no
	// automatic checkpoint while loading: Commit makes the result durable.
	if _, err := os.Stat(w.cfg.Path); errors.Is(err, fs.ErrNotExist) {
		w.created = true
	}
	dsn := "file:" + (&url.URL{Path: w.cfg.Path}).EscapedPath() + "?_pragma=busy_timeout(10000)"
	c, err := sqliteDriver.Open(dsn)
	if err != nil {
		return fmt.Errorf("sqlitewriter: open %s: %w", w.cfg.Path, err)
	}
	w.conn = c
	journal := "PRAGMA journal_mode=WAL"
	if w.created {
		journal = "PRAGMA journal_mode=MEMORY"
	}
	for _, p := range []string{journal, "PRAGMA synchronous=OFF", "PRAGMA wal_autocheckpoint=0", "PRAGMA cache_size=-65536", "PRAGMA temp_store=MEMORY"} {
		if err := w.exec(ctx, p); err != nil {
			return fmt.Errorf("sqlitewriter: open %s: %w", w.cfg.Path, err)
		}
	}
	if err := w.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return w.wrap("begin", err)
	}
	w.inTx = true
	// preSql runs first, so it can create the table with DDL of its own
	// (constraints, indexes) for create=false.
	for _, s := range w.cfg.PreSQL {
		if err := w.exec(ctx, s); err != nil {
			if isNotADatabase(err) {
				return fmt.Errorf("sqlitewriter: open %s: %w", w.cfg.Path, err)
			}
			return w.wrap("preSql", err)
		}
	}
	if err := w.prepareTable(ctx); err != nil {
		return err
	}
	switch w.mode {
	case ferry.ModeOverwrite:
		if err := w.exec(ctx, "DELETE FROM "+quoteIdent(w.cfg.Table)); err != nil {
			return w.wrap("overwrite: delete the old rows", err)
		}
	case ferry.ModePartitionOverwrite:
		if err := w.exec(ctx, "DELETE FROM "+quoteIdent(w.cfg.Table)+" WHERE ("+w.cfg.Partition+")"); err != nil {
			return w.wrap("partition-overwrite: delete the partition", err)
		}
	}
	w.rows = max(1, min(w.cfg.BatchRows, MaxVariables/w.ncols))
	w.stmts = map[int]driver.Stmt{}
	// Prepare the INSERT now, so that a key without a unique index (upsert)
	// or a misspelt column fails here rather than at the first batch.
	if _, err := w.stmt(ctx, w.rows); err != nil {
		return err
	}
	return nil
}

// prepareTable creates the table or checks the existing one, and builds the
// INSERT statement's parts.
func (w *Writer) prepareTable(ctx context.Context) error {
	info, err := w.queryAll(ctx, `SELECT name, pk FROM pragma_table_info(?)`, w.cfg.Table)
	if err != nil {
		if isNotADatabase(err) {
			return fmt.Errorf("sqlitewriter: open %s: %w", w.cfg.Path, err)
		}
		return w.wrap("read the table's columns", err)
	}
	var pk []string
	if len(info) == 0 {
		if w.cfg.NoCreate {
			return w.errorf("the table does not exist (and create=false)")
		}
		ddl, err := CreateTableSQL(w.cfg.Table, w.schema, w.cfg.Key)
		if err != nil {
			return w.errorf("create table: %w", err)
		}
		if err := w.exec(ctx, ddl); err != nil {
			return w.wrap("create table", err)
		}
		pk = w.cfg.Key
	} else {
		have := map[string]bool{}
		var names []string
		pkAt := map[int64]string{}
		for _, row := range info {
			name, _ := row[0].(string)
			have[strings.ToLower(name)] = true
			names = append(names, name)
			if n, _ := row[1].(int64); n > 0 {
				pkAt[n] = name
			}
		}
		for i := int64(1); i <= int64(len(pkAt)); i++ {
			pk = append(pk, pkAt[i])
		}
		for _, f := range w.schema.Fields() {
			if !have[strings.ToLower(f.Name)] {
				return w.errorf("the table has no column %q (it has %s)", f.Name, strings.Join(names, ", "))
			}
		}
	}
	w.key = w.cfg.Key
	if len(w.key) == 0 {
		w.key = pk
	}
	quoted := make([]string, w.ncols)
	for i, f := range w.schema.Fields() {
		quoted[i] = quoteIdent(f.Name)
	}
	w.colList = strings.Join(quoted, ", ")
	w.verb = "INSERT INTO"
	switch w.mode {
	case ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModePartitionOverwrite:
	case ferry.ModeReplace:
		w.verb = "INSERT OR REPLACE INTO"
	case ferry.ModeUpsert:
		if len(w.key) == 0 {
			return w.errorf("upsert needs a key: set key=... or give the table a primary key")
		}
		isKey := map[string]bool{}
		qk := make([]string, len(w.key))
		for i, k := range w.key {
			isKey[strings.ToLower(k)] = true
			qk[i] = quoteIdent(k)
		}
		var sets []string
		for _, f := range w.schema.Fields() {
			if !isKey[strings.ToLower(f.Name)] {
				sets = append(sets, fmt.Sprintf("%s = excluded.%s", quoteIdent(f.Name), quoteIdent(f.Name)))
			}
		}
		if len(sets) == 0 {
			w.suffix = fmt.Sprintf(" ON CONFLICT (%s) DO NOTHING", strings.Join(qk, ", "))
		} else {
			w.suffix = fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s", strings.Join(qk, ", "), strings.Join(sets, ", "))
		}
	default:
		return w.errorf("write mode %s is not supported", w.mode)
	}
	return nil
}

// stmt returns the prepared INSERT of n rows.
func (w *Writer) stmt(ctx context.Context, n int) (driver.Stmt, error) {
	if s, ok := w.stmts[n]; ok {
		return s, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s) VALUES ", w.verb, quoteIdent(w.cfg.Table), w.colList)
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", w.ncols), ",") + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(w.suffix)
	if len(w.stmts) >= 24 { // odd tail sizes: keep the cache small
		for k, s := range w.stmts {
			if k != w.rows {
				s.Close()
				delete(w.stmts, k)
			}
		}
	}
	s, err := w.conn.(driver.ConnPrepareContext).PrepareContext(ctx, b.String())
	if err != nil {
		return nil, w.wrap("prepare INSERT", err)
	}
	w.stmts[n] = s
	return s, nil
}

// Open returns a BatchWriter. Any number may be open at once; they take
// turns on the Writer's connection.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.inTx || w.done {
		return nil, w.errorf("Open before Prepare or after Commit/Abort")
	}
	bw := &batchWriter{w: w, args: make([]driver.NamedValue, w.rows*w.ncols)}
	bw.resetOrdinals(len(bw.args))
	return bw, nil
}

// Commit runs PostSQL and commits the transaction, durably
// (synchronous=FULL for the COMMIT).
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.inTx || w.done {
		return w.errorf("Commit without a prepared run")
	}
	for _, s := range w.cfg.PostSQL {
		if err := w.exec(ctx, s); err != nil {
			return w.wrap("postSql", err)
		}
	}
	w.closeStmts()
	ctx = context.WithoutCancel(ctx)
	if err := w.exec(ctx, "COMMIT"); err != nil {
		return w.wrap("commit", err)
	}
	w.inTx, w.done, w.committed = false, true, true
	if w.created {
		// Rollback-journal mode without sync: fsync the file ourselves.
		f, err := os.OpenFile(w.cfg.Path, os.O_RDWR, 0)
		if err == nil {
			err = f.Sync()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return w.wrap("sync after commit", err)
		}
		return nil
	}
	// Make the commit durable: copy the WAL into the database, fsyncing
	// both. A checkpoint that finds readers still on the file leaves the
	// rest to SQLite's next checkpoint (the COMMIT is in the WAL either way).
	for _, p := range []string{"PRAGMA synchronous=FULL", "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_autocheckpoint=1000"} {
		if _, err := w.queryAll(ctx, p); err != nil {
			return w.wrap("checkpoint after commit", err)
		}
	}
	return nil
}

// Abort rolls the transaction back: the table (created or not), its rows
// and whatever PreSQL did are as they were before Prepare. A database file
// the run created is removed by Close.
func (w *Writer) Abort(ctx context.Context, cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	return w.rollback()
}

func (w *Writer) rollback() error {
	w.closeStmts()
	if !w.inTx || w.conn == nil {
		return nil
	}
	w.inTx = false
	if err := w.exec(context.Background(), "ROLLBACK"); err != nil {
		return w.wrap("rollback", err)
	}
	return nil
}

func (w *Writer) closeStmts() {
	for k, s := range w.stmts {
		s.Close()
		delete(w.stmts, k)
	}
}

// Close rolls back a transaction neither committed nor aborted, and closes
// the connection.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.rollback()
	if w.conn != nil {
		if cerr := w.conn.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("sqlitewriter: close %s: %w", w.cfg.Path, cerr)
		}
		w.conn = nil
	}
	if w.created && !w.committed {
		// The run created the file and did not commit: leave no file.
		for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
			os.Remove(w.cfg.Path + suffix)
		}
		w.created = false
	}
	return err
}

type batchWriter struct {
	w    *Writer
	args []driver.NamedValue // the values of one INSERT statement
}

// Write inserts b with multi-row INSERT statements of BatchRows rows. The
// values of a statement are converted outside the Writer's lock, so that
// workers convert in parallel and take turns only to execute.
//
// When SQLite rejects a statement for its data (a constraint, a value the
// writer cannot store exactly), that statement's rows are bisected to
// isolate the bad ones: SQLite undoes a failed statement as a whole, so each
// attempt is all or nothing. The good rows are written and the bad ones
// returned as a *dirty.RowErrors.
func (bw *batchWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	w := bw.w
	if int(b.NumCols()) != w.ncols {
		return w.errorf("batch has %d columns, the schema %d", b.NumCols(), w.ncols)
	}
	encs, err := encoders(b)
	if err != nil {
		return w.errorf("%w", err)
	}
	var bad []dirty.RowError
	n := int(b.NumRows())
	for start := 0; start < n; start += w.rows {
		if err := ctx.Err(); err != nil {
			return w.wrap("insert", err)
		}
		end := min(start+w.rows, n)
		err := bw.insert(ctx, b, encs, start, end)
		if err == nil {
			continue
		}
		if cerr := ctx.Err(); cerr != nil {
			// An interrupted statement: report the cancellation.
			return w.wrap("insert", fmt.Errorf("%w (%v)", cerr, err))
		}
		if !isDataError(err) {
			return w.wrap("insert", err)
		}
		chunk := b.NewSlice(int64(start), int64(end))
		err = bisect.Write(ctx, chunk, func(ctx context.Context, part arrow.RecordBatch) error {
			pe, err := encoders(part)
			if err != nil {
				return err
			}
			return bw.insert(ctx, part, pe, 0, int(part.NumRows()))
		}, isDataError, columnOf)
		chunk.Release()
		rows := dirty.Rows(err)
		if err != nil && rows == nil {
			return w.wrap("insert", err)
		}
		for _, re := range rows {
			re.Row += int64(start)
			bad = append(bad, re)
		}
	}
	if len(bad) > 0 {
		return &dirty.RowErrors{Rows: bad}
	}
	return nil
}

func encoders(b arrow.RecordBatch) ([]encoder, error) {
	encs := make([]encoder, b.NumCols())
	for c := range encs {
		e, err := newEncoder(b.Column(c))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", b.ColumnName(c), err)
		}
		encs[c] = e
	}
	return encs, nil
}

// Close does nothing: rows are in the write transaction as soon as Write returns.
func (bw *batchWriter) Close(ctx context.Context) error { return nil }

// insert writes rows [start, end) of b, at most BatchRows of them, with one
// INSERT statement: all of them or, on error, none.
func (bw *batchWriter) insert(ctx context.Context, b arrow.RecordBatch, encs []encoder, start, end int) error {
	w := bw.w
	k := 0
	defer func() {
		clear(bw.args[:k]) // drop references into b
		bw.resetOrdinals(k)
	}()
	for r := start; r < end; r++ {
		for c := 0; c < w.ncols; c++ {
			if b.Column(c).IsNull(r) {
				bw.args[k].Value = nil
			} else {
				v, err := encs[c](r)
				if err != nil {
					return &encodeError{column: b.ColumnName(c), err: err}
				}
				bw.args[k].Value = v
			}
			k++
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.inTx || w.done {
		return w.errorf("Write after Commit or Abort")
	}
	s, err := w.stmt(ctx, end-start)
	if err != nil {
		return err
	}
	_, err = s.(driver.StmtExecContext).ExecContext(ctx, bw.args[:k])
	return err
}

func (bw *batchWriter) resetOrdinals(k int) {
	for i := range bw.args[:k] {
		bw.args[i].Ordinal = i + 1
	}
}

// isDataError reports whether err is about the rows rather than the
// database: a constraint violation, a type mismatch, a value too big, or a
// value the writer cannot store.
func isDataError(err error) bool {
	var ee *encodeError
	if errors.As(err, &ee) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
			return true
		}
	}
	return false
}

func isNotADatabase(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB
}

// columnOf names the column of a constraint error ("NOT NULL constraint
// failed: t.col") or an encoding error.
func columnOf(err error) string {
	var ee *encodeError
	if errors.As(err, &ee) {
		return ee.column
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "constraint failed: "); i >= 0 {
		rest := msg[i+len("constraint failed: "):]
		if j := strings.IndexAny(rest, " ,("); j >= 0 {
			rest = rest[:j]
		}
		if j := strings.LastIndexByte(rest, '.'); j >= 0 {
			return rest[j+1:]
		}
		return rest
	}
	return ""
}
