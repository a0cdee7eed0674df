package pgwriter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/bisect"
	"github.com/ferrydata/ferry/internal/pgcopy"
)

// Writer writes into a PostgreSQL table with binary COPY.
//
// Every mode is all-or-nothing: insert mode COPYs straight into the target
// inside one transaction per worker, all left open until Commit commits them;
// the other modes COPY into an UNLOGGED staging table and Commit moves the
// rows into the target in one transaction. Abort rolls back and drops the
// staging table, so the target is left as it was.
type Writer struct {
	cfg     Config
	conncfg *pgx.ConnConfig
	admin   *pgx.Conn

	schema  *arrow.Schema
	cols    []pgcopy.Column // destination columns, in schema order
	types   pgcopy.Types
	target  string // quoted
	stage   string // quoted, "" in insert mode
	key     []string
	colList string // quoted batch columns

	mu    sync.Mutex
	conns []*wconn // write connections, shared round-robin when Config.Conns caps them
	next  int
	done  bool
}

// wconn is one write connection (and, in insert mode, its transaction),
// used by one BatchWriter at a time.
type wconn struct {
	mu        sync.Mutex
	conn      *pgx.Conn
	broken    bool
	reconnect bool // staged modes: the connection was lost between batches
}

var _ ferry.Writer = (*Writer)(nil)

// New returns a Writer; it connects in Prepare.
func New(cfg Config) (*Writer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cc, err := pgx.ParseConfig(cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: bad connection string: %s", ferry.Redact(err.Error()))
	}
	return &Writer{cfg: cfg, conncfg: cc, target: quoteIdent(cfg.Table)}, nil
}

func (w *Writer) staged() bool { return w.cfg.Mode != ferry.ModeInsert }

// Prepare connects, runs preSql, creates the table when asked, maps the
// batch columns onto the table's and creates the staging table.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	var err error
	if w.admin, err = pgx.ConnectConfig(ctx, w.conncfg.Copy()); err != nil {
		return fmt.Errorf("pgwriter: connect: %w", err)
	}
	w.schema = schema
	for _, s := range w.cfg.PreSQL {
		if _, err := w.admin.Exec(ctx, s); err != nil {
			return fmt.Errorf("pgwriter: preSql %q: %w", s, err)
		}
	}
	if w.cfg.Create {
		ddl, err := createSQL(w.target, schema, w.cfg.Key)
		if err != nil {
			return err
		}
		if _, err := w.admin.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("pgwriter: create %s: %w", w.cfg.Table, err)
		}
	}
	if err := w.lookup(ctx); err != nil {
		return err
	}
	if w.staged() {
		return w.createStage(ctx)
	}
	return nil
}

func (w *Writer) lookup(ctx context.Context) error {
	rows, err := w.admin.Query(ctx, `SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod), a.attnotnull
		FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, w.target)
	if err != nil {
		return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	dest := map[string]pgcopy.Column{}
	for rows.Next() {
		var c pgcopy.Column
		if err := rows.Scan(&c.Name, &c.OID, &c.TypMod, &c.SourceType, &c.NotNull); err != nil {
			rows.Close()
			return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
		}
		dest[c.Name] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
		q = append(q, quoteCol(f.Name))
	}
	if len(missing) > 0 {
		return fmt.Errorf("pgwriter: table %s has no column(s) %s", w.cfg.Table, strings.Join(missing, ", "))
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
	return nil
}

func (w *Writer) createStage(ctx context.Context) error {
	var nsp, rel string
	if err := w.admin.QueryRow(ctx, `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::regclass`, w.target).Scan(&nsp, &rel); err != nil {
		return fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	if len(rel) > 40 {
		rel = rel[:40]
	}
	w.stage = quoteCol(nsp) + "." + quoteCol(rel+"_ferry_"+hex.EncodeToString(rnd[:]))
	like := "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED"
	if w.cfg.Mode == ferry.ModeOverwrite || w.cfg.Mode == ferry.ModePartitionOverwrite {
		like = "INCLUDING ALL" // unique indexes reject duplicates at load time, as the target would
	}
	ddl := "CREATE UNLOGGED TABLE " + w.stage + " (LIKE " + w.target + " " + like + ")"
	if _, err := w.admin.Exec(ctx, ddl); err != nil {
		return fmt.Errorf("pgwriter: create staging table for %s: %w", w.cfg.Table, err)
	}
	if w.cfg.Mode == ferry.ModeUpsert || w.cfg.Mode == ferry.ModeReplace {
		if _, err := w.admin.Exec(ctx, "ALTER TABLE "+w.stage+" ADD COLUMN ferry_seq bigserial"); err != nil {
			return fmt.Errorf("pgwriter: create staging table for %s: %w", w.cfg.Table, err)
		}
	}
	return nil
}

// Open connects a worker and starts its transaction.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	enc, err := pgcopy.NewEncoder(w.schema, w.cols, w.types)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: %w", err)
	}
	into := w.target
	if w.staged() {
		into = w.stage
	}
	copySQL := "COPY " + into + " (" + w.colList + ") FROM STDIN (FORMAT binary)"
	w.mu.Lock()
	if w.cfg.Conns > 0 && len(w.conns) >= w.cfg.Conns {
		c := w.conns[w.next%len(w.conns)]
		w.next++
		w.mu.Unlock()
		return &batchWriter{w: w, c: c, enc: enc, copySQL: copySQL}, nil
	}
	w.mu.Unlock()
	conn, err := pgx.ConnectConfig(ctx, w.conncfg.Copy())
	if err != nil {
		return nil, ferry.Retryable(fmt.Errorf("pgwriter: connect: %w", err))
	}
	if !w.staged() {
		// insert: one transaction per worker, committed by the Writer's Commit
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("pgwriter: begin: %w", err)
		}
	}
	c := &wconn{conn: conn}
	w.mu.Lock()
	w.conns = append(w.conns, c)
	w.mu.Unlock()
	return &batchWriter{w: w, c: c, enc: enc, copySQL: copySQL}, nil
}

// Commit makes the rows visible: it commits the workers' transactions
// (insert) or moves the staged rows into the target in one transaction.
func (w *Writer) Commit(ctx context.Context) error {
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
			if _, err := c.conn.Exec(ctx, "COMMIT"); err != nil {
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
	return w.inTx(ctx, func(tx pgx.Tx) error {
		var stmts []string
		ins := "INSERT INTO " + w.target + " (" + w.colList + ") SELECT " + w.colList + " FROM " + w.stage
		keys := make([]string, len(w.key))
		for i, k := range w.key {
			keys[i] = quoteCol(k)
		}
		kl := strings.Join(keys, ", ")
		switch w.cfg.Mode {
		case ferry.ModeOverwrite:
			stmts = []string{"TRUNCATE " + w.target, ins}
		case ferry.ModePartitionOverwrite:
			var stray int64
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+w.stage+" WHERE NOT coalesce(("+w.cfg.Partition+"), false)").Scan(&stray); err != nil {
				return fmt.Errorf("pgwriter: partition %q: %w", w.cfg.Partition, err)
			}
			if stray > 0 {
				return fmt.Errorf("pgwriter: %d new row(s) do not match partition %q: a rerun would not replace them", stray, w.cfg.Partition)
			}
			stmts = []string{"DELETE FROM " + w.target + " WHERE " + w.cfg.Partition, ins}
		case ferry.ModeUpsert, ferry.ModeReplace:
			dedup := "INSERT INTO " + w.target + " (" + w.colList + ") SELECT DISTINCT ON (" + kl + ") " + w.colList +
				" FROM " + w.stage + " ORDER BY " + kl + ", ferry_seq DESC"
			if w.cfg.Mode == ferry.ModeReplace {
				var on []string
				for _, k := range keys {
					on = append(on, "t."+k+" = s."+k)
				}
				stmts = []string{"DELETE FROM " + w.target + " t USING " + w.stage + " s WHERE " + strings.Join(on, " AND "), dedup}
				break
			}
			var set []string
			for _, f := range w.schema.Fields() {
				if !contains(w.key, f.Name) {
					set = append(set, quoteCol(f.Name)+" = EXCLUDED."+quoteCol(f.Name))
				}
			}
			if len(set) == 0 {
				dedup += " ON CONFLICT (" + kl + ") DO NOTHING"
			} else {
				dedup += " ON CONFLICT (" + kl + ") DO UPDATE SET " + strings.Join(set, ", ")
			}
			stmts = []string{dedup}
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("pgwriter: %s into %s: %w", w.cfg.Mode, w.cfg.Table, err)
			}
		}
		if err := w.post(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP TABLE "+w.stage); err != nil {
			return fmt.Errorf("pgwriter: drop staging table: %w", err)
		}
		return nil
	})
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

// Abort rolls back every worker and drops the staging table.
func (w *Writer) Abort(ctx context.Context, cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	for _, c := range w.conns {
		if c.conn != nil {
			c.conn.Close(context.Background()) // closing rolls back
			c.conn = nil
		}
	}
	if w.stage == "" {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	drop := "DROP TABLE IF EXISTS " + w.stage
	var err error
	if w.admin != nil && !w.admin.IsClosed() {
		_, err = w.admin.Exec(ctx, drop)
	}
	if w.admin == nil || w.admin.IsClosed() || err != nil {
		// the admin connection may have been killed too: use a fresh one
		conn, cerr := pgx.ConnectConfig(ctx, w.conncfg.Copy())
		if cerr != nil {
			return fmt.Errorf("pgwriter: drop staging table %s: %w", w.stage, errors.Join(err, cerr))
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, drop); err != nil {
			return fmt.Errorf("pgwriter: drop staging table %s: %w", w.stage, err)
		}
	}
	w.stage = ""
	return nil
}

// Close closes the connections.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.conns {
		if c.conn != nil {
			c.conn.Close(context.Background())
			c.conn = nil
		}
	}
	if w.admin != nil {
		w.admin.Close(context.Background())
	}
	return nil
}

type batchWriter struct {
	w       *Writer
	c       *wconn
	enc     *pgcopy.Encoder
	copySQL string
}

// Write COPYs b inside a savepoint; a batch rejected for bad data is
// bisected until the bad rows are isolated.
func (bw *batchWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	bw.c.mu.Lock()
	defer bw.c.mu.Unlock()
	if bw.c.broken || bw.c.conn == nil {
		return errors.New("pgwriter: write after a fatal error or Close")
	}
	if bw.c.reconnect {
		conn, err := pgx.ConnectConfig(ctx, bw.w.conncfg.Copy())
		if err != nil {
			return ferry.Retryable(fmt.Errorf("pgwriter: reconnect: %w", err))
		}
		bw.c.conn.Close(context.Background())
		bw.c.conn, bw.c.reconnect = conn, false
	}
	err := bisect.Write(ctx, b, bw.copyOnce, isData, columnOf)
	if err != nil && !isDirty(err) && !ferry.IsRetryable(err) {
		bw.c.broken = true
	}
	return err
}

func isDirty(err error) bool { return ferry.Classify(err) == ferry.ClassDirty }

// copyOnce writes all of b or nothing: in insert mode inside a savepoint of
// the worker's transaction, in the staged modes as one autocommitted COPY
// into the staging table (the staging table is dropped on Abort), which
// spares a subtransaction per batch.
func (bw *batchWriter) copyOnce(ctx context.Context, b arrow.RecordBatch) error {
	pc := bw.c.conn.PgConn()
	sp := !bw.w.staged()
	if sp {
		if _, err := pc.Exec(ctx, "SAVEPOINT ferry").ReadAll(); err != nil {
			return fmt.Errorf("pgwriter: savepoint: %w", err)
		}
	}
	er := &errReader{r: bw.enc.Reader(b)}
	_, err := pc.CopyFrom(ctx, er, bw.copySQL)
	er.stop() // pgconn may return while its goroutine still reads: b must not be touched after this
	if err == nil {
		if sp {
			if _, err := pc.Exec(ctx, "RELEASE SAVEPOINT ferry").ReadAll(); err != nil {
				return fmt.Errorf("pgwriter: release savepoint: %w", err)
			}
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
			bw.c.reconnect = true
			return ferry.Retryable(fmt.Errorf("pgwriter: copy into %s: connection lost, batch not applied: %w", bw.w.cfg.Table, err))
		}
		return notRetryable{fmt.Errorf("pgwriter: copy into %s: connection lost (the worker's work is rolled back): %w", bw.w.cfg.Table, err)}
	}
	if sp {
		if _, rerr := pc.Exec(ctx, "ROLLBACK TO SAVEPOINT ferry").ReadAll(); rerr != nil {
			return fmt.Errorf("pgwriter: copy into %s: %w (and rollback to savepoint: %v)", bw.w.cfg.Table, err, rerr)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
		return ferry.Retryable(fmt.Errorf("pgwriter: copy into %s: %w", bw.w.cfg.Table, err))
	}
	return fmt.Errorf("pgwriter: copy into %s: %w", bw.w.cfg.Table, err)
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

// Close ends the worker. Its rows are already in the staging table (staged
// modes) or in its open transaction, which the Writer's Commit commits
// (insert); the connection stays open until then.
func (bw *batchWriter) Close(ctx context.Context) error { return nil }

// notRetryable hides the SafeToRetry of a pgconn error: the batch itself
// never reached the server, but the worker's earlier batches went with its
// connection, so the split cannot simply be retried.
type notRetryable struct{ error }

func (e notRetryable) Unwrap() error     { return e.error }
func (e notRetryable) Retryable() bool   { return false }
func (e notRetryable) SafeToRetry() bool { return false }
