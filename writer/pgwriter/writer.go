package pgwriter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/bisect"
	"github.com/ferrydata/ferry/internal/pgcopy"
	"github.com/ferrydata/ferry/internal/pgurl"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// Writer writes into a PostgreSQL table with binary COPY.
//
// As a ferry.StageWriter (PrepareStage, OpenSplit, Status) every mode stages:
// each split attempt COPYs into the run's UNLOGGED stage table in one
// transaction that also writes the split's marker, and Commit moves the
// marked rows into the target in one transaction; nothing of the run is
// visible before it.
//
// Through the one-process path (Prepare, Open) every mode is all-or-nothing
// too: insert mode COPYs straight into the target inside one transaction per
// worker, all left open until Commit commits them one after another; the
// other modes COPY into the stage and Commit moves the rows into the target
// in one transaction. Abort rolls back and drops the stage, so the target is
// left as it was.
type Writer struct {
	cfg     Config
	conncfg *pgx.ConnConfig
	admin   *pgx.Conn

	schema  *arrow.Schema
	cols    []pgcopy.Column // destination columns, in schema order
	types   pgcopy.Types
	target  string // quoted
	key     []string
	colList string // quoted batch columns

	stage // the run's stage, when there is one

	mu    sync.Mutex
	conns []*wconn // write connections, shared round-robin when Config.Conns caps them
	next  int
	done  bool
	idle  []*pgx.Conn        // staged: connections of finished split attempts, for reuse
	spare *spareConn         // staged: a connection being dialled for the first attempt
	warm  *spareConn         // the admin connection being dialled (Warm)
	open  map[*pgx.Conn]bool // staged: connections of open split attempts
	sem   chan struct{}      // staged: caps open split attempts at Config.Conns

	verify func(context.Context, ferry.Querier) error // CommitChecked's checks, during its commit

	direct bool // the run writes straight into the target (Direct)
}

// wconn is one write connection (and, in insert mode, its transaction),
// used by one BatchWriter at a time.
type wconn struct {
	mu        sync.Mutex
	conn      *pgx.Conn
	broken    bool
	reconnect bool // staged modes: the connection was lost between batches
	// sp is the state of the savepoint "ferry" in the open transaction:
	// spNone, spClean (set, nothing written since) or spUsed (a COPY
	// succeeded after it, not yet released: the next savepoint releases it,
	// COMMIT releases it with the rest)
	sp int8
	// pending are statements sent with the first savepoint (a direct run's
	// BEGIN, and an overwrite's TRUNCATE), or by Commit if no COPY came
	pending string
}

const (
	spNone int8 = iota
	spClean
	spUsed
)

var _ ferry.Writer = (*Writer)(nil)

// New returns a Writer; it connects in Prepare.
func New(cfg Config) (*Writer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cc, err := pgurl.ParseConfig("pgwriter", cfg.ConnString, cfg.ReadTimeout)
	if err != nil {
		return nil, err
	}
	target, err := sqlident.PostgreSQL.QuoteQualified(cfg.Table)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: table %q: %w", cfg.Table, err)
	}
	return &Writer{cfg: cfg, conncfg: cc, target: target}, nil
}

func (w *Writer) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgurl.Connect(ctx, "pgwriter", w.conncfg)
}

// exec runs one statement built from quoted names over the extended
// protocol: nothing stacked behind it can run.
func exec(ctx context.Context, c *pgx.Conn, sql string) error {
	_, err := pgurl.Exec(ctx, c, sql)
	return err
}

func (w *Writer) staged() bool { return w.cfg.Mode != ferry.ModeInsert && !w.direct }

// Prepare connects, runs preSql, creates the table when asked, maps the
// batch columns onto the table's and creates the staging table.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	if err := w.prepareTarget(ctx, schema, true); err != nil {
		return err
	}
	if w.staged() {
		return w.openStage(ctx, ferry.NewRunID())
	}
	return nil
}

// prepareTarget connects the admin connection (unless it is), runs preSql
// (when pre), creates the table when asked and maps the batch columns onto
// it.
func (w *Writer) prepareTarget(ctx context.Context, schema *arrow.Schema, pre bool) error {
	if w.admin == nil {
		var err error
		if w.admin, err = w.connectAdmin(ctx); err != nil {
			return err
		}
	}
	w.schema = schema
	if pre {
		for _, s := range w.cfg.PreSQL {
			if _, err := w.admin.Exec(ctx, s); err != nil {
				return fmt.Errorf("pgwriter: preSql %q: %w", s, err)
			}
		}
	}
	if w.cfg.Create {
		ddl, err := createSQL(w.target, schema, w.cfg.Key)
		if err != nil {
			return err
		}
		if err := exec(ctx, w.admin, ddl); err != nil {
			return fmt.Errorf("pgwriter: create %s: %w", w.cfg.Table, err)
		}
	}
	return w.lookup(ctx)
}

// errNoTable is the error for a target that does not exist.
func (w *Writer) errNoTable() error {
	return fmt.Errorf("pgwriter: table %s does not exist: create it, or set create=true (Config.Create) to create it from the source's columns, types and primary key", w.cfg.Table)
}

// isNoTable reports whether err is the server's "relation (or schema) does
// not exist".
func isNoTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")
}

// lookup reads the target's columns (one round trip, which also tells
// whether it exists) and their types, maps the batch columns onto them and
// checks the mode's keys.
func (w *Writer) lookup(ctx context.Context) error {
	rows, err := w.admin.Query(ctx, `SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod), a.attnotnull,
			a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''
		FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, w.target)
	if err != nil {
		if isNoTable(err) {
			return w.errNoTable()
		}
		return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	dest := map[string]pgcopy.Column{}
	var required []string // NOT NULL without a default, in table order
	for rows.Next() {
		var c pgcopy.Column
		var hasDefault bool
		if err := rows.Scan(&c.Name, &c.OID, &c.TypMod, &c.SourceType, &c.NotNull, &hasDefault); err != nil {
			rows.Close()
			return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
		}
		dest[c.Name] = c
		if c.NotNull && !hasDefault {
			required = append(required, c.Name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		if isNoTable(err) {
			return w.errNoTable()
		}
		return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	var missing, q []string
	var oids []uint32
	w.cols = nil
	for _, f := range w.schema.Fields() {
		c, ok := dest[f.Name]
		if !ok {
			missing = append(missing, f.Name)
			continue
		}
		w.cols = append(w.cols, c)
		oids = append(oids, c.OID)
		q = append(q, quote(c.Name))
	}
	if len(missing) > 0 {
		return fmt.Errorf("pgwriter: table %s has no column(s) %s", w.cfg.Table, strings.Join(missing, ", "))
	}
	var lacking []string
	for _, name := range required {
		if w.schema.FieldIndices(name) == nil {
			lacking = append(lacking, strconv.Quote(name))
		}
	}
	if len(lacking) > 0 {
		return fmt.Errorf("pgwriter: table %s: column(s) %s are NOT NULL without a default and the source has no such column: every row would be rejected (map a source column to it, give it a default, or drop NOT NULL)",
			w.cfg.Table, strings.Join(lacking, ", "))
	}
	w.colList = strings.Join(q, ", ")
	if w.types, err = pgcopy.LoadTypes(ctx, w.admin, oids); err != nil {
		return fmt.Errorf("pgwriter: %w", err)
	}
	if _, err := pgcopy.NewEncoder(w.schema, w.cols, w.types); err != nil {
		return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	if w.cfg.Mode == ferry.ModeUpsert || w.cfg.Mode == ferry.ModeReplace {
		w.key = w.cfg.Key
		if len(w.key) == 0 {
			rows, err := w.admin.Query(ctx, `SELECT a.attname FROM pg_catalog.pg_index i, unnest(i.indkey) WITH ORDINALITY k(n, o)
				JOIN pg_catalog.pg_attribute a ON a.attnum = k.n WHERE i.indrelid = $1::regclass AND a.attrelid = i.indrelid AND i.indisprimary ORDER BY k.o`, w.target)
			if err != nil {
				return fmt.Errorf("pgwriter: primary key of %s: %w", w.cfg.Table, err)
			}
			w.key, err = pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("pgwriter: primary key of %s: %w", w.cfg.Table, err)
			}
		}
		if len(w.key) == 0 {
			return fmt.Errorf("pgwriter: mode %s on %s needs key columns (no primary key)", w.cfg.Mode, w.cfg.Table)
		}
		for _, k := range w.key {
			if w.schema.FieldIndices(k) == nil {
				return fmt.Errorf("pgwriter: key column %q is not among the batch columns", k)
			}
		}
	}
	if w.cfg.Mode == ferry.ModeUpsert {
		// ON CONFLICT (key) needs a unique index on exactly the key columns;
		// without one every staged row would be refused at Commit.
		var ok bool
		err := w.admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
			WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
			AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_catalog.pg_attribute a
				WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])) = (SELECT array_agg(k ORDER BY k) FROM unnest($2::text[]) k)
			AND cardinality(i.indkey::int2[]) = cardinality($2::text[]))`, w.target, w.key).Scan(&ok)
		if err != nil {
			return fmt.Errorf("pgwriter: unique keys of %s: %w", w.cfg.Table, err)
		}
		if !ok {
			return fmt.Errorf("pgwriter: mode upsert on %s: no unique index or constraint on exactly the key column(s) %s (add one, e.g. ALTER TABLE ... ADD UNIQUE (%s), or use mode=replace)",
				w.cfg.Table, strings.Join(w.key, ", "), strings.Join(w.key, ", "))
		}
	}
	return nil
}

// Open connects a worker. In insert mode it starts the worker's transaction,
// which Commit commits; in the staged modes each batch is one autocommitted
// COPY into the stage.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	enc, err := pgcopy.NewEncoder(w.schema, w.cols, w.types)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: %w", err)
	}
	copySQL := "COPY " + w.target + " (" + w.colList + ") FROM STDIN (FORMAT binary)"
	if w.staged() {
		enc.AppendInt8(0)
		copySQL = w.stageCopySQL()
	}
	w.mu.Lock()
	if w.direct {
		c := w.directConn()
		w.mu.Unlock()
		return &batchWriter{w: w, c: c, enc: enc, copySQL: copySQL, sp: true}, nil
	}
	if w.cfg.Conns > 0 && len(w.conns) >= w.cfg.Conns {
		c := w.conns[w.next%len(w.conns)]
		w.next++
		w.mu.Unlock()
		return &batchWriter{w: w, c: c, enc: enc, copySQL: copySQL, sp: !w.staged()}, nil
	}
	w.mu.Unlock()
	conn, err := w.connect(ctx)
	if err != nil {
		return nil, ferry.Retryable(err)
	}
	c := &wconn{conn: conn}
	if !w.staged() {
		// insert: one transaction per worker, committed by the Writer's
		// Commit, and the first Write's savepoint
		if err := pgurl.ExecAll(ctx, conn, "BEGIN", "SAVEPOINT ferry"); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("pgwriter: begin: %w", err)
		}
		c.sp = spClean
	}
	w.mu.Lock()
	w.conns = append(w.conns, c)
	w.mu.Unlock()
	return &batchWriter{w: w, c: c, enc: enc, copySQL: copySQL, sp: !w.staged()}, nil
}

// Commit makes the rows visible: it commits the workers' transactions
// (insert) or moves the staged rows into the target in one transaction.
func (w *Writer) Commit(ctx context.Context) error {
	if w.runID != "" && w.stagedRun {
		return w.commitStage(ctx)
	}
	if w.direct {
		return w.commitDirect(ctx)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return errors.New("pgwriter: Commit after Commit or Abort")
	}
	w.done = true
	if !w.staged() {
		for _, c := range w.conns {
			if c.conn == nil {
				continue
			}
			if err := exec(ctx, c.conn, "COMMIT"); err != nil {
				return fmt.Errorf("pgwriter: commit into %s: %w", w.cfg.Table, err)
			}
			c.conn.Close(ctx)
			c.conn = nil
		}
		if len(w.cfg.PostSQL) == 0 {
			return nil
		}
		return w.inTx(ctx, func(tx pgx.Tx) error { return w.post(ctx, tx) })
	}
	return w.commitStageLocked(ctx)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (w *Writer) post(ctx context.Context, tx pgx.Tx) error {
	for _, s := range w.cfg.PostSQL {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("pgwriter: postSql %q: %w", s, err)
		}
	}
	return nil
}

func (w *Writer) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := w.admin.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgwriter: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.Background())
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgwriter: commit into %s: %w", w.cfg.Table, err)
	}
	return nil
}

// Abort rolls back every worker and drops the stage, over a fresh
// connection when the writer's own were killed.
func (w *Writer) Abort(ctx context.Context, cause error) error {
	w.mu.Lock()
	w.done = true
	for c := range w.open {
		c.Close(context.Background())
	}
	w.open = nil
	for _, c := range w.conns {
		if c.conn != nil {
			c.conn.Close(context.Background()) // closing rolls back
			c.conn = nil
		}
	}
	w.mu.Unlock()
	w.closeIdle()
	if w.runID == "" {
		return nil
	}
	return w.abortStage(context.WithoutCancel(ctx))
}

// Close closes the connections (which releases the run's advisory lock).
func (w *Writer) Close() error {
	w.mu.Lock()
	for c := range w.open { // attempts still open are rolled back
		c.Close(context.Background())
	}
	w.open = nil
	for _, c := range w.conns {
		if c.conn != nil {
			c.conn.Close(context.Background())
			c.conn = nil
		}
	}
	w.mu.Unlock()
	w.closeIdle()
	if w.admin != nil {
		if w.lockedRun != "" && !w.admin.IsClosed() {
			// release the run's lock before closing: the server frees a
			// closed session's locks a moment later, and a collector that
			// runs right after Close must see the run as not live
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			exec(ctx, w.admin, "SELECT pg_advisory_unlock_all()")
			cancel()
		}
		w.admin.Close(context.Background())
	}
	return nil
}

type batchWriter struct {
	w       *Writer
	c       *wconn
	enc     *pgcopy.Encoder
	copySQL string
	sp      bool // each COPY in a savepoint of an open transaction
}

// Write COPYs b (inside a savepoint in insert mode); a batch rejected for
// bad data is bisected until the bad rows are isolated.
func (bw *batchWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	bw.c.mu.Lock()
	defer bw.c.mu.Unlock()
	if bw.c.broken || bw.c.conn == nil {
		return errors.New("pgwriter: write after a fatal error or Close")
	}
	if bw.c.reconnect {
		conn, err := bw.w.connect(ctx)
		if err != nil {
			return ferry.Retryable(fmt.Errorf("pgwriter: reconnect: %w", err))
		}
		bw.c.conn.Close(context.Background())
		bw.c.conn, bw.c.reconnect, bw.c.sp = conn, false, spNone
	}
	err := bisect.Write(ctx, b, func(ctx context.Context, b arrow.RecordBatch) error {
		return copyOnce(ctx, bw.w, bw.c, bw.enc, bw.copySQL, bw.sp, b)
	}, isData, columnOf)
	if err != nil && !isDirty(err) && !ferry.IsRetryable(err) {
		bw.c.broken = true
	}
	return err
}

func isDirty(err error) bool { return ferry.Classify(err) == ferry.ClassDirty }

// copyOnce writes all of b or nothing: with sp inside a savepoint of the
// connection's open transaction, else as one autocommitted COPY into the
// stage (dropped on Abort), which spares a subtransaction per batch.
func copyOnce(ctx context.Context, w *Writer, c *wconn, enc *pgcopy.Encoder, copySQL string, sp bool, b arrow.RecordBatch) error {
	pc := c.conn.PgConn()
	if sp {
		// a savepoint just before the COPY: one that is set and clean, or
		// a new one (releasing the used one) in one round trip
		q := ""
		switch c.sp {
		case spNone:
			q = "SAVEPOINT ferry"
		case spUsed:
			q = "RELEASE SAVEPOINT ferry; SAVEPOINT ferry"
		}
		if c.pending != "" {
			q = c.pending + "; " + q
		}
		if q != "" {
			if _, err := pc.Exec(ctx, q).ReadAll(); err != nil {
				c.sp = spNone
				if c.pending != "" {
					return fmt.Errorf("pgwriter: %s into %s: %w", w.cfg.Mode, w.cfg.Table, err)
				}
				return fmt.Errorf("pgwriter: savepoint: %w", err)
			}
			c.sp, c.pending = spClean, ""
		}
	}
	er := &errReader{r: enc.Reader(b)}
	_, err := pc.CopyFrom(ctx, er, copySQL)
	er.stop() // pgconn may return while its goroutine still reads: b must not be touched after this
	if err == nil {
		if sp {
			c.sp = spUsed
		}
		return nil
	}
	if er.err != nil { // safe: stop() synchronised with the last Read
		err = er.err // the value the encoder rejected, not the server's "COPY from stdin failed"
	}
	if pc.IsClosed() || ctx.Err() != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *pgconn.PgError
		if !sp && (pgconn.SafeToRetry(err) || errors.As(err, &pe) && pe.Severity == "FATAL") {
			// staged: the earlier batches are committed in the staging table,
			// and this autocommitted COPY either never reached the server or
			// was ended by a FATAL error instead of completing (so it rolled
			// back); reconnect on the retry
			c.reconnect = true
			return ferry.Retryable(fmt.Errorf("pgwriter: copy into %s: connection lost, batch not applied: %w", w.cfg.Table, err))
		}
		return notRetryable{fmt.Errorf("pgwriter: copy into %s: connection lost (the worker's work is rolled back): %w", w.cfg.Table, err)}
	}
	if sp {
		// the savepoint stays, clean again
		if _, rerr := pc.Exec(ctx, "ROLLBACK TO SAVEPOINT ferry").ReadAll(); rerr != nil {
			c.sp = spNone
			return fmt.Errorf("pgwriter: copy into %s: %w (and rollback to savepoint: %v)", w.cfg.Table, err, rerr)
		}
		c.sp = spClean
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
		return ferry.Retryable(fmt.Errorf("pgwriter: copy into %s: %w", w.cfg.Table, err))
	}
	return fmt.Errorf("pgwriter: copy into %s: %w", w.cfg.Table, err)
}

// errReader remembers the encoder's error (pgconn reports only the server's
// "COPY from stdin failed") and stops reading the batch once stop is called.
type errReader struct {
	mu      sync.Mutex
	r       io.Reader
	err     error
	stopped bool
}

func (e *errReader) Read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

func (e *errReader) stop() {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
}

func isData(err error) bool {
	var ee *pgcopy.EncodeError
	if errors.As(err, &ee) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23"))
}

func columnOf(err error) string {
	var ee *pgcopy.EncodeError
	if errors.As(err, &ee) {
		return ee.Column
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ColumnName
	}
	return ""
}

// Close ends the worker. Its rows are already in the stage (staged modes)
// or in its open transaction, which the Writer's Commit commits (insert);
// the connection stays open until then.
func (bw *batchWriter) Close(ctx context.Context) error { return nil }

// notRetryable hides the SafeToRetry of a pgconn error: the batch itself
// never reached the server, but the worker's earlier batches went with its
// connection, so the split cannot simply be retried.
type notRetryable struct{ error }

func (e notRetryable) Unwrap() error     { return e.error }
func (e notRetryable) Retryable() bool   { return false }
func (e notRetryable) SafeToRetry() bool { return false }

var _ ferry.PassthroughWriter = (*Writer)(nil)

// PassthroughFormat returns, once the target is prepared, the wire format
// of rows whose columns have the target's types (pgcopy.PassthroughFormat):
// a PostgreSQL reader whose columns match hands over its binary COPY tuples,
// which the writer copies without decoding or encoding them. It returns ""
// before Prepare and when a target column's type is not built in.
func (w *Writer) PassthroughFormat() string {
	if w.schema == nil || len(w.cols) != w.schema.NumFields() {
		return ""
	}
	return pgcopy.PassthroughFormat(w.cols)
}
