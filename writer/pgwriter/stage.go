package pgwriter

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/bisect"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/pgcopy"
	"github.com/ferrydata/ferry/internal/pgurl"
	"github.com/ferrydata/ferry/internal/sqlident"
)

var (
	_ ferry.StageWriter    = (*Writer)(nil)
	_ ferry.StageCollector = (*Writer)(nil)
)

// stage is a run's stage, in the target's schema:
//
//   - the rows table <table>_ferry_<runid>: UNLOGGED, the target's columns,
//     defaults and CHECK constraints, plus ferry_attempt (the split attempt
//     that wrote the row) and, for upsert and replace, ferry_seq (load order);
//   - the marker table <table>_ferry_<runid>_m: one row per done split (its
//     marked attempt and row count). It is UNLOGGED like the rows, so a
//     server crash, which empties unlogged tables, empties both together and
//     never leaves a marker without its rows. Its comment is the run's
//     record (run id, target, mode, state, times), which Commit and Abort
//     update and make durable (SET LOGGED) in their own transaction, so that
//     Status answers after a commit whose outcome was unknown.
//
// Every process of a live run holds a shared advisory lock keyed on the run
// ID on its admin connection; the collector drops only stages whose lock it
// can take exclusively.
type stage struct {
	runID     string
	lockedRun string // the run whose shared lock the admin connection holds
	stagedRun bool   // PrepareStage was called: the StageWriter protocol
	plan      string // planMove or planSwap (see swap.go)
	nsp, rel  string // the target's schema and table name
	rowsName  string // unquoted, for messages and CollectStages
	rows      string // quoted and qualified
	marks     string // quoted and qualified
}

// stageRecord is the run's record, the comment of the marker table.
type stageRecord struct {
	Stage   int       `json:"ferry_stage"`
	Run     string    `json:"run"`
	Target  string    `json:"target"` // quoted and schema-qualified, from the catalog
	Mode    string    `json:"mode"`
	State   string    `json:"state"` // staging, committed, aborted
	Plan    string    `json:"plan,omitempty"`
	Created time.Time `json:"created"`
	At      time.Time `json:"at"` // last change of State
}

const (
	stateStaging   = "staging"
	stateCommitted = "committed"
	stateAborted   = "aborted"
	planMove       = "move" // UNLOGGED stage, rows moved at Commit
	planSwap       = "swap" // LOGGED copy of the target, swapped in at Commit
	recordPrefix   = `{"ferry_stage":1,`
	// tombstoneAge is how long the record of a committed or aborted run is
	// kept for Status before a new run on the target drops it.
	tombstoneAge = 10 * time.Minute
)

// stageNames returns the rows and marker table names of run on table rel,
// within PostgreSQL's 63-byte limit (rel is shortened at a rune boundary).
func stageNames(rel, runID string) (rows, marks string) {
	max := 63 - len("_ferry_") - len(runID) - len("_m")
	for len(rel) > max {
		_, n := utf8.DecodeLastRuneInString(rel)
		rel = rel[:len(rel)-n]
	}
	rows = rel + "_ferry_" + runID
	return rows, rows + "_m"
}

const (
	lockRunSQL   = `SELECT pg_advisory_lock_shared(hashtextextended('ferry stage ' || $1, 0))`
	tryRunSQL    = `SELECT pg_try_advisory_xact_lock(hashtextextended('ferry stage ' || $1, 0))`
	lockCommit   = `SELECT pg_advisory_xact_lock(hashtextextended('ferry commit ' || $1, 0))`
	lockSplitSQL = `SELECT pg_advisory_xact_lock(hashtextextended('ferry split ' || $1 || ' ' || $2, 0))`
)

// resolveTarget reads the target's catalog names and sets the stage's
// names of run runID ("" for none) from them.
func (w *Writer) resolveTarget(ctx context.Context, c *pgx.Conn, runID string) error {
	found, err := w.targetNames(ctx, c)
	if err != nil {
		return err
	}
	if !found {
		return w.errNoTable()
	}
	w.setTarget(runID)
	return nil
}

// targetNames reads the target's catalog names into w.nsp and w.rel, or
// reports that it does not exist.
func (w *Writer) targetNames(ctx context.Context, c *pgx.Conn) (bool, error) {
	var nsp, rel *string
	if err := c.QueryRow(ctx, `SELECT n.nspname, c.relname FROM (SELECT to_regclass($1) AS oid) t
		LEFT JOIN pg_catalog.pg_class c ON c.oid = t.oid LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`, w.target).Scan(&nsp, &rel); err != nil {
		return false, fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	if nsp == nil || rel == nil {
		return false, nil
	}
	w.nsp, w.rel = *nsp, *rel
	return true, nil
}

// setTarget sets the run and the stage's names from w.nsp and w.rel.
func (w *Writer) setTarget(runID string) {
	w.runID = runID
	if runID == "" {
		return
	}
	rows, marks := stageNames(w.rel, runID)
	w.rowsName = rows
	w.rows = quote(w.nsp) + "." + quote(rows)
	w.marks = quote(w.nsp) + "." + quote(marks)
}

const recordQuery = `SELECT to_regclass($1) IS NOT NULL, obj_description(to_regclass($1), 'pg_class')`

// readRecord returns the run's record, or nil when the marker table is gone.
func (w *Writer) readRecord(ctx context.Context, c *pgx.Conn) (*stageRecord, error) {
	var text *string
	var exists bool
	if err := c.QueryRow(ctx, recordQuery, w.marks).Scan(&exists, &text); err != nil {
		return nil, fmt.Errorf("pgwriter: stage of run %s: %w", w.runID, err)
	}
	return w.parseRecord(exists, text)
}

// parseRecord checks what recordQuery read: the run's record, or nil when
// the marker table does not exist.
func (w *Writer) parseRecord(exists bool, text *string) (*stageRecord, error) {
	if !exists {
		return nil, nil
	}
	var rec stageRecord
	if text == nil || !strings.HasPrefix(*text, recordPrefix) || json.Unmarshal([]byte(*text), &rec) != nil || rec.Run != w.runID {
		return nil, fmt.Errorf("pgwriter: table %s exists but is not the stage of run %s", w.marks, w.runID)
	}
	return &rec, nil
}

// lockRun takes the run's shared lock on the admin connection and reads
// the run's record (nil when there is no stage yet), in one round trip.
func (w *Writer) lockRun(ctx context.Context) (*stageRecord, error) {
	var text *string
	var exists bool
	b := &pgx.Batch{}
	b.Queue(lockRunSQL, w.runID)
	b.Queue(recordQuery, w.marks).QueryRow(func(row pgx.Row) error { return row.Scan(&exists, &text) })
	if err := w.admin.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("pgwriter: lock run %s: %w", w.runID, err)
	}
	w.lockedRun = w.runID
	return w.parseRecord(exists, text)
}

func recordSQL(marks string, rec stageRecord) (string, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return "", fmt.Errorf("pgwriter: %w", err)
	}
	lit, err := sqlident.PostgreSQL.Literal(string(b))
	if err != nil {
		return "", fmt.Errorf("pgwriter: %w", err)
	}
	return "COMMENT ON TABLE " + marks + " IS " + lit, nil
}

// openStage creates the stage of a new run on the admin connection (after
// dropping stale stages of other runs) and holds the run's lock.
func (w *Writer) openStage(ctx context.Context, runID string) error {
	if w.lockedRun != runID || w.rel == "" {
		if err := w.resolveTarget(ctx, w.admin, runID); err != nil {
			return err
		}
		if _, err := w.lockRun(ctx); err != nil {
			return err
		}
	}
	if w.cfg.StaleAfter >= 0 {
		stale := w.cfg.StaleAfter
		if stale == 0 {
			stale = 24 * time.Hour
		}
		if _, err := w.collect(ctx, w.admin, func(rec stageRecord, age time.Duration) bool {
			if rec.State == stateStaging {
				return age >= stale
			}
			return age >= tombstoneAge
		}, false); err != nil {
			return err
		}
	}
	plan, ts, err := w.choosePlan(ctx)
	if err != nil {
		return err
	}
	w.plan = plan
	var uniq []string
	if plan == planMove && w.cfg.Mode != ferry.ModeUpsert && w.cfg.Mode != ferry.ModeReplace {
		if uniq, err = w.uniqueIndexes(ctx); err != nil {
			return err
		}
	}
	now := time.Now().UTC()
	comment, err := recordSQL(w.marks, stageRecord{Stage: 1, Run: runID, Target: quote(w.nsp) + "." + quote(w.rel), Mode: string(w.cfg.Mode), State: stateStaging, Plan: w.plan, Created: now, At: now})
	if err != nil {
		return err
	}
	stmts := []string{
		"BEGIN",
		"CREATE UNLOGGED TABLE " + w.rows + " (LIKE " + w.target + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)",
		"ALTER TABLE " + w.rows + " ADD COLUMN ferry_attempt bigint NOT NULL",
	}
	logged := ""
	if w.plan == planSwap {
		// the stage becomes the target: logged, with everything LIKE copies,
		// in the target's tablespace; its markers are logged like its rows
		if ts != "" {
			ts = " TABLESPACE " + quote(ts)
		}
		stmts[1] = "CREATE TABLE " + w.rows + " (LIKE " + w.target + " INCLUDING ALL)" + ts
		uniq, logged = nil, " "
	}
	if w.cfg.Mode == ferry.ModeUpsert || w.cfg.Mode == ferry.ModeReplace {
		// the last row of a key wins: the stage takes repeated keys
		stmts = append(stmts, "ALTER TABLE "+w.rows+" ADD COLUMN ferry_seq bigserial")
	} else {
		// the target's unique keys reject repeated keys among the run's rows
		// at load time, as dirty rows, as the target would
		for _, cols := range uniq {
			stmts = append(stmts, "CREATE UNIQUE INDEX ON "+w.rows+" ("+cols+")")
		}
	}
	stmts = append(stmts,
		"CREATE"+map[string]string{"": " UNLOGGED", " ": ""}[logged]+" TABLE "+w.marks+" (split text PRIMARY KEY, attempt bigint NOT NULL, nrows bigint NOT NULL)",
		comment,
		"COMMIT")
	// one round trip; a failure stops the rest and leaves the transaction
	// aborted, or the connection broken
	if err := pgurl.ExecAll(ctx, w.admin, stmts...); err != nil {
		exec(context.WithoutCancel(ctx), w.admin, "ROLLBACK")
		return fmt.Errorf("pgwriter: create the stage of %s (%s): %w", w.cfg.Table, w.rowsName, err)
	}
	return nil
}

// uniqueIndexes returns the column lists (quoted) of the target's unique
// indexes on plain columns, without a predicate.
func (w *Writer) uniqueIndexes(ctx context.Context) ([]string, error) {
	rows, err := w.admin.Query(ctx, `SELECT (SELECT array_agg(a.attname::text ORDER BY k.o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
			JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)
		FROM pg_catalog.pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = i.indnatts`, w.target)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: unique keys of %s: %w", w.cfg.Table, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[[]string])
	if err != nil {
		return nil, fmt.Errorf("pgwriter: unique keys of %s: %w", w.cfg.Table, err)
	}
	var out []string
	for _, n := range names {
		q, err := quoteList(n)
		if err != nil {
			return nil, fmt.Errorf("pgwriter: unique keys of %s: %w", w.cfg.Table, err)
		}
		out = append(out, q)
	}
	return out, nil
}

func (w *Writer) stageCopySQL() string {
	return "COPY " + w.rows + " (" + w.colList + ", ferry_attempt) FROM STDIN (FORMAT binary)"
}

// PrepareStage is Prepare for the run runID (see ferry.StageWriter). The
// first call creates the table when asked, runs preSql and creates the
// stage; a call with the runID of a stage that exists, in any process,
// attaches to it and runs nothing again. Stages of other runs on the same
// table that no live run holds and that are older than Config.StaleAfter
// are dropped first.
func (w *Writer) PrepareStage(ctx context.Context, runID string, schema *arrow.Schema) error {
	if err := ferry.CheckRunID(runID); err != nil {
		return fmt.Errorf("pgwriter: %w", err)
	}
	if w.admin != nil {
		if w.stagedRun && w.runID == runID {
			return nil
		}
		return fmt.Errorf("pgwriter: PrepareStage(%s) after Prepare or PrepareStage(%s)", runID, w.runID)
	}
	w.stagedRun = true
	var err error
	if w.admin, err = w.connectAdmin(ctx); err != nil {
		return err
	}
	w.schema = schema
	found, err := w.targetNames(ctx, w.admin)
	if err != nil {
		return err
	}
	if found {
		w.setTarget(runID)
		rec, err := w.lockRun(ctx)
		if err != nil {
			return err
		}
		if rec != nil { // attach
			if rec.State == stateAborted {
				return fmt.Errorf("pgwriter: run %s on %s was aborted", runID, w.cfg.Table)
			}
			w.plan = rec.Plan
			if err := w.lookup(ctx); err != nil {
				return err
			}
			w.dialSpare(ctx)
			return nil
		}
	}
	// a new run: prepareTarget and openStage go on on this connection
	// (openStage takes the run's lock unless it is held)
	if err := w.prepareTarget(ctx, schema, true); err != nil {
		return err
	}
	if err := w.openStage(ctx, runID); err != nil {
		return err
	}
	w.dialSpare(ctx)
	return nil
}

// OpenSplit starts an attempt at split splitID: a transaction on a
// connection of its own (at most Config.Conns at a time when set).
func (w *Writer) OpenSplit(ctx context.Context, splitID string) (ferry.SplitWriter, error) {
	if !w.stagedRun || w.schema == nil {
		return nil, errors.New("pgwriter: OpenSplit before PrepareStage")
	}
	w.mu.Lock()
	if w.sem == nil && w.cfg.Conns > 0 {
		w.sem = make(chan struct{}, w.cfg.Conns)
	}
	sem := w.sem
	w.mu.Unlock()
	if sem != nil {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	sw, err := w.openSplit(ctx, splitID)
	if err != nil && sem != nil {
		<-sem
	}
	return sw, err
}

func (w *Writer) openSplit(ctx context.Context, splitID string) (*splitWriter, error) {
	enc, err := pgcopy.NewEncoder(w.schema, w.cols, w.types)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: %w", err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("pgwriter: %w", err)
	}
	attempt := int64(binary.BigEndian.Uint64(b[:]) >> 1)
	enc.AppendInt8(attempt)
	w.mu.Lock()
	var conn *pgx.Conn
	if n := len(w.idle); n > 0 {
		conn, w.idle = w.idle[n-1], w.idle[:n-1]
	}
	spare := w.spare
	if conn == nil {
		w.spare = nil
	}
	w.mu.Unlock()
	if conn == nil && spare != nil {
		conn = spare.take(ctx)
	}
	if conn == nil {
		if conn, err = w.connect(ctx); err != nil {
			return nil, ferry.Retryable(err)
		}
	}
	w.mu.Lock()
	if w.open == nil {
		w.open = map[*pgx.Conn]bool{}
	}
	w.open[conn] = true
	w.mu.Unlock()
	// One attempt at a time per split: the attempt's transaction removes
	// the rows of the marked earlier attempt (so that unique keys do not
	// clash with them) and puts them back if it is discarded or lost. One
	// round trip.
	start := &pgx.Batch{}
	start.Queue("BEGIN")
	start.Queue(lockSplitSQL, w.runID, splitID)
	start.Queue("DELETE FROM "+w.rows+" WHERE ferry_attempt IN (SELECT attempt FROM "+w.marks+" WHERE split = $1)", splitID)
	start.Queue("SAVEPOINT ferry") // for the first Write
	if err := conn.SendBatch(ctx, start).Close(); err != nil {
		w.mu.Lock()
		delete(w.open, conn)
		w.mu.Unlock()
		conn.Close(context.Background())
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ferry.Retryable(fmt.Errorf("pgwriter: split %s: start the attempt: %w", splitID, err))
	}
	return &splitWriter{w: w, c: &wconn{conn: conn, sp: spClean}, enc: enc, split: splitID, attempt: attempt, copySQL: w.stageCopySQL()}, nil
}

// release ends the tracking of an attempt's connection and, with reuse,
// keeps it for the next attempt (else closes it).
func (w *Writer) release(conn *pgx.Conn, reuse bool) {
	w.mu.Lock()
	tracked := w.open[conn]
	delete(w.open, conn)
	if reuse && tracked && !conn.IsClosed() && !w.done {
		w.idle = append(w.idle, conn)
		conn = nil
	}
	sem := w.sem
	w.mu.Unlock()
	if conn != nil {
		conn.Close(context.Background())
	}
	if sem != nil {
		<-sem
	}
}

func (w *Writer) closeIdle() {
	w.mu.Lock()
	idle, spares := w.idle, []*spareConn{w.spare, w.warm}
	w.idle, w.spare, w.warm = nil, nil, nil
	w.mu.Unlock()
	for _, c := range idle {
		c.Close(context.Background())
	}
	for _, sp := range spares {
		if sp != nil {
			sp.cancel()
			if c := sp.take(context.Background()); c != nil {
				c.Close(context.Background())
			}
		}
	}
}

// spareConn is a connection dialled in the background once the stage is
// prepared, for the first split attempt: its connect overlaps the rest of
// the planning instead of delaying the first split.
type spareConn struct {
	done   chan struct{}
	cancel context.CancelFunc
	conn   *pgx.Conn
}

// dialSpare starts dialling the spare connection (unless there is one).
func (w *Writer) dialSpare(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spare == nil && !w.done {
		w.spare = w.dial(ctx)
	}
}

// dial starts dialling a connection in the background. Its context is ctx
// without ctx's cancellation: it ends with the spareConn's cancel.
func (w *Writer) dial(ctx context.Context) *spareConn {
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sp := &spareConn{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(sp.done)
		defer cancel()
		if c, err := w.connect(dctx); err == nil {
			sp.conn = c
		}
	}()
	return sp
}

var _ ferry.Warmer = (*Writer)(nil)

// Warm starts dialling the admin connection in the background, so that it
// overlaps the reader's planning (see ferry.Warmer).
func (w *Writer) Warm(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.admin == nil && w.warm == nil && !w.done {
		w.warm = w.dial(ctx)
	}
}

// connectAdmin connects the admin connection: the one Warm dialled when
// it is there (else, or when its dial failed, a new one).
func (w *Writer) connectAdmin(ctx context.Context) (*pgx.Conn, error) {
	w.mu.Lock()
	warm := w.warm
	w.warm = nil
	w.mu.Unlock()
	if warm != nil {
		if c := warm.take(ctx); c != nil {
			return c, nil
		}
	}
	return w.connect(ctx)
}

// take waits for the dial and returns its connection, or nil when it
// failed or ctx ended first (the connection is then closed when it comes).
func (sp *spareConn) take(ctx context.Context) *pgx.Conn {
	select {
	case <-sp.done:
		return sp.conn
	case <-ctx.Done():
		go func() {
			<-sp.done
			if sp.conn != nil {
				sp.conn.Close(context.Background())
			}
		}()
		return nil
	}
}

// splitWriter is one attempt at one split, in one transaction.
type splitWriter struct {
	w       *Writer
	c       *wconn
	enc     *pgcopy.Encoder
	split   string
	attempt int64
	copySQL string
	rows    int64
	writes  int
	ended   bool
	lost    error // the connection died: every later Write returns it
}

// Write COPYs b into the stage inside a savepoint of the attempt's
// transaction; a batch rejected for bad data is bisected until the bad rows
// are isolated (*dirty.RowErrors), and the others are written.
func (sw *splitWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if sw.lost != nil {
		// the Pipeline retries a retryable batch on the same writer: say
		// again that the attempt is lost, so that it copies the split again
		return sw.lost
	}
	if sw.ended || sw.c.broken {
		return fmt.Errorf("pgwriter: split %s: write after a fatal error, Close or Discard", sw.split)
	}
	sw.writes++
	crashpoint.Hit("pgwriter.write")
	err := bisect.Write(ctx, b, func(ctx context.Context, b arrow.RecordBatch) error {
		return copyOnce(ctx, sw.w, sw.c, sw.enc, sw.copySQL, true, b)
	}, isData, columnOf)
	switch {
	case err == nil:
		sw.rows += b.NumRows()
	case isDirty(err):
		sw.rows += b.NumRows() - dirtyCount(err)
	default:
		sw.c.broken = true
		if sw.c.conn.IsClosed() && !errors.Is(err, context.Canceled) {
			// the attempt's transaction died with its connection: nothing of
			// it counts, and copying the split again is safe
			err = ferry.Retryable(err)
			sw.lost = err
		}
	}
	return err
}

// Close commits the attempt's rows together with the split's marker,
// replacing the rows of any earlier attempt at the split.
func (sw *splitWriter) Close(ctx context.Context) error {
	if sw.ended {
		return fmt.Errorf("pgwriter: split %s: Close after Close or Discard", sw.split)
	}
	if sw.c.broken {
		sw.Discard(ctx)
		return fmt.Errorf("pgwriter: split %s: Close after a failed Write (the attempt is discarded)", sw.split)
	}
	sw.ended = true
	conn, w := sw.c.conn, sw.w
	fail := func(what string, err error) error {
		w.release(conn, false)
		if isConnLost(err) {
			err = ferry.Retryable(err) // copying the split again replaces whatever this attempt left
		}
		return fmt.Errorf("pgwriter: split %s: %s: %w", sw.split, what, err)
	}
	crashpoint.Hit("pgwriter.split-commit")
	// the marker and COMMIT in one round trip: a failed marker skips the
	// COMMIT, and the transaction dies with the released connection
	b := &pgx.Batch{}
	b.Queue("INSERT INTO "+w.marks+" (split, attempt, nrows) VALUES ($1, $2, $3) ON CONFLICT (split) DO UPDATE SET attempt = EXCLUDED.attempt, nrows = EXCLUDED.nrows",
		sw.split, sw.attempt, sw.rows)
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fail("mark and commit", err)
	}
	w.release(conn, true)
	return nil
}

// Discard rolls the attempt back: nothing it wrote counts.
func (sw *splitWriter) Discard(ctx context.Context) error {
	if sw.ended {
		return nil
	}
	sw.ended = true
	conn := sw.c.conn
	if conn.IsClosed() || sw.c.broken {
		sw.w.release(conn, false)
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := exec(rctx, conn, "ROLLBACK"); err != nil {
		sw.w.release(conn, false) // closing rolls back too
		return nil
	}
	sw.w.release(conn, true)
	return nil
}

func dirtyCount(err error) int64 {
	var re *dirty.RowErrors
	if errors.As(err, &re) {
		return int64(len(re.Rows))
	}
	var one dirty.RowError
	if errors.As(err, &one) {
		return 1
	}
	return 0
}

func isConnLost(err error) bool {
	var pe *pgconn.PgError
	return !errors.As(err, &pe) || pe.Severity == "FATAL" || pe.Severity == "PANIC"
}

// Status reads the run's markers and record from the destination.
func (w *Writer) Status(ctx context.Context) (ferry.StageStatus, error) {
	if w.runID == "" {
		return ferry.StageStatus{}, errors.New("pgwriter: Status before PrepareStage")
	}
	c, done, err := w.adminConn(ctx)
	if err != nil {
		return ferry.StageStatus{}, err
	}
	defer done()
	// the record and the markers in one round trip (the markers' query
	// fails when there is no stage: the record says so first)
	var (
		exists, read bool
		text         *string
		marked       []ferry.SplitMark
	)
	b := &pgx.Batch{}
	b.Queue(recordQuery, w.marks).QueryRow(func(row pgx.Row) error { read = true; return row.Scan(&exists, &text) })
	b.Queue("SELECT split, nrows FROM " + w.marks + " ORDER BY split").Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var m ferry.SplitMark
			if err := rows.Scan(&m.Split, &m.Rows); err != nil {
				return err
			}
			marked = append(marked, m)
		}
		return rows.Err()
	})
	berr := c.SendBatch(ctx, b).Close()
	if !read {
		return ferry.StageStatus{}, fmt.Errorf("pgwriter: stage of run %s: %w", w.runID, berr)
	}
	rec, err := w.parseRecord(exists, text)
	if err != nil {
		return ferry.StageStatus{}, err
	}
	if rec == nil {
		return ferry.StageStatus{}, fmt.Errorf("pgwriter: no stage of run %s on %s (never prepared, or collected)", w.runID, w.cfg.Table)
	}
	st := ferry.StageStatus{Committed: rec.State == stateCommitted, Aborted: rec.State == stateAborted}
	if st.Aborted {
		return st, nil
	}
	if berr != nil {
		return st, fmt.Errorf("pgwriter: markers of run %s: %w", w.runID, berr)
	}
	st.Done = marked
	return st, nil
}

// adminConn returns the admin connection, or a fresh one (closed by done)
// when it was lost.
func (w *Writer) adminConn(ctx context.Context) (*pgx.Conn, func(), error) {
	if w.admin != nil && !w.admin.IsClosed() && w.admin.Ping(ctx) == nil {
		return w.admin, func() {}, nil
	}
	c, err := w.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.Close(context.Background()) }, nil
}

// commitStage is the staged Commit: idempotent, and callable in a process
// that only attached.
func (w *Writer) commitStage(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.commitStageLocked(ctx)
}

// commitStageLocked moves the staged rows into the target, runs postSql,
// drops the rows table and records the commit, all in one transaction.
func (w *Writer) commitStageLocked(ctx context.Context) error {
	crashpoint.Hit("pgwriter.commit")
	w.done = true
	c, done, err := w.adminConn(ctx)
	if err != nil {
		return err
	}
	defer done()
	rollback := func(err error) error {
		exec(context.WithoutCancel(ctx), c, "ROLLBACK")
		return err
	}
	// begin, lock, read the record and count the staged rows: one round trip
	var (
		exists, read bool
		text         *string
		staged       int64
	)
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(lockCommit, w.runID)
	b.Queue(recordQuery, w.marks).QueryRow(func(row pgx.Row) error { read = true; return row.Scan(&exists, &text) })
	b.Queue("SELECT coalesce(sum(nrows), 0)::int8 FROM " + w.marks).QueryRow(func(row pgx.Row) error { return row.Scan(&staged) })
	// a small swap becomes a move, unless TRUNCATE would meet foreign keys
	// that the swap drops and re-creates
	var referenced bool
	if w.cfg.Mode == ferry.ModeOverwrite {
		b.Queue(`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE contype = 'f' AND confrelid = $1::regclass AND conrelid <> confrelid)`, w.target).
			QueryRow(func(row pgx.Row) error { return row.Scan(&referenced) })
	}
	rec, err := (*stageRecord)(nil), c.SendBatch(ctx, b).Close()
	if err == nil || (read && !exists) {
		rec, err = w.parseRecord(exists, text)
	} else {
		err = fmt.Errorf("pgwriter: commit into %s: %w", w.cfg.Table, err)
	}
	switch {
	case err != nil:
		return rollback(err)
	case rec == nil:
		return rollback(fmt.Errorf("pgwriter: commit into %s: the stage of run %s is gone", w.cfg.Table, w.runID))
	case rec.State == stateCommitted:
		return rollback(nil)
	case rec.State == stateAborted:
		return rollback(fmt.Errorf("pgwriter: commit into %s: run %s was aborted", w.cfg.Table, w.runID))
	}
	moves := w.moveSQL()
	swapped := false
	if rec.Plan == planSwap && (staged >= swapMinRows || referenced) {
		stmts, why, err := w.swapSQL(ctx, c)
		if err != nil {
			return rollback(err)
		}
		if why == "" {
			moves, swapped = nil, true
			for _, s := range stmts {
				moves = append(moves, moveStmt{sql: s})
			}
		}
	}
	// what ends the commit: the stage dropped, the record updated
	rec.State, rec.At = stateCommitted, time.Now().UTC()
	comment, err := recordSQL(w.marks, *rec)
	if err != nil {
		return rollback(err)
	}
	var fin []string
	if !swapped {
		fin = append(fin, "DROP TABLE "+w.rows)
	}
	if w.stagedRun {
		fin = append(fin, "ALTER TABLE "+w.marks+" SET LOGGED", comment)
	} else {
		fin = append(fin, "DROP TABLE "+w.marks) // nobody asks a one-process run's Status
	}
	var sqls []string
	for _, s := range moves {
		if s.check != nil {
			if err := s.check(ctx, c); err != nil {
				return rollback(err)
			}
		}
		sqls = append(sqls, s.sql)
	}
	if len(w.cfg.PostSQL) == 0 && w.verify == nil {
		// nothing runs between the move and the end: one round trip
		sqls = append(sqls, fin...)
		fin = nil
	}
	if err := pgurl.ExecAll(ctx, c, sqls...); err != nil {
		return rollback(fmt.Errorf("pgwriter: %s into %s: %w", w.cfg.Mode, w.cfg.Table, err))
	}
	for _, s := range w.cfg.PostSQL {
		if _, err := c.Exec(ctx, s); err != nil {
			return rollback(fmt.Errorf("pgwriter: postSql %q: %w", s, err))
		}
	}
	if w.verify != nil {
		if err := w.verify(ctx, &querier{c: c, table: w.target}); err != nil {
			return rollback(err)
		}
	}
	if len(fin) > 0 {
		if err := pgurl.ExecAll(ctx, c, fin...); err != nil {
			return rollback(fmt.Errorf("pgwriter: commit into %s: %w", w.cfg.Table, err))
		}
	}
	crashpoint.Hit("pgwriter.commit-inside")
	if err := exec(ctx, c, "COMMIT"); err != nil {
		if isConnLost(err) || c.IsClosed() {
			return ferry.OutcomeUnknown(fmt.Errorf("pgwriter: commit into %s: connection lost during COMMIT (Status tells whether run %s committed): %w", w.cfg.Table, w.runID, err))
		}
		return fmt.Errorf("pgwriter: commit into %s: %w", w.cfg.Table, err)
	}
	return nil
}

// swapMinRows is the number of staged rows below which a swap plan's
// Commit moves the rows instead (INSERT ... SELECT from the stage, which
// is then dropped): for a few rows that is cheaper than the swap's twenty
// catalog round trips, and the target keeps its OID and statistics.
const swapMinRows = 1000

type moveStmt struct {
	sql   string
	check func(context.Context, *pgx.Conn) error // run before sql
}

// moveSQL returns the statements that move the stage into the target.
func (w *Writer) moveSQL() []moveStmt {
	// the source's values go into identity columns too, GENERATED ALWAYS
	// or not, as COPY would write them
	ins := "INSERT INTO " + w.target + " (" + w.colList + ") OVERRIDING SYSTEM VALUE SELECT " + w.colList + " FROM " + w.rows
	keys := make([]string, len(w.key))
	for i, k := range w.key {
		keys[i] = quote(k)
	}
	kl := strings.Join(keys, ", ")
	switch w.cfg.Mode {
	case ferry.ModeOverwrite:
		return []moveStmt{{sql: "TRUNCATE " + w.target}, {sql: ins}}
	case ferry.ModePartitionOverwrite:
		check := func(ctx context.Context, c *pgx.Conn) error {
			var stray int64
			if err := c.QueryRow(ctx, "SELECT count(*) FROM "+w.rows+" WHERE NOT coalesce(("+w.cfg.Partition+"), false)").Scan(&stray); err != nil {
				return fmt.Errorf("pgwriter: partition %q: %w", w.cfg.Partition, err)
			}
			if stray > 0 {
				return fmt.Errorf("pgwriter: %d new row(s) do not match partition %q: a rerun would not replace them", stray, w.cfg.Partition)
			}
			return nil
		}
		return []moveStmt{{sql: "DELETE FROM " + w.target + " WHERE " + w.cfg.Partition, check: check}, {sql: ins}}
	case ferry.ModeUpsert, ferry.ModeReplace:
		dedup := "INSERT INTO " + w.target + " (" + w.colList + ") OVERRIDING SYSTEM VALUE SELECT DISTINCT ON (" + kl + ") " + w.colList +
			" FROM " + w.rows + " ORDER BY " + kl + ", ferry_seq DESC"
		if w.cfg.Mode == ferry.ModeReplace {
			var on []string
			for _, k := range keys {
				on = append(on, "t."+k+" = s."+k)
			}
			return []moveStmt{{sql: "DELETE FROM " + w.target + " t USING " + w.rows + " s WHERE " + strings.Join(on, " AND ")}, {sql: dedup}}
		}
		var set []string
		for _, col := range w.cols {
			if !contains(w.key, col.Name) {
				set = append(set, quote(col.Name)+" = EXCLUDED."+quote(col.Name))
			}
		}
		if len(set) == 0 {
			dedup += " ON CONFLICT (" + kl + ") DO NOTHING"
		} else {
			dedup += " ON CONFLICT (" + kl + ") DO UPDATE SET " + strings.Join(set, ", ")
		}
		return []moveStmt{{sql: dedup}}
	}
	return []moveStmt{{sql: ins}}
}

// abortStage drops the stage. A staged run keeps its record (state
// aborted) for Status; a committed run cannot be aborted.
func (w *Writer) abortStage(ctx context.Context) error {
	c, done, err := w.adminConn(ctx)
	if err != nil {
		return fmt.Errorf("pgwriter: drop the stage %s: %w", w.rowsName, err)
	}
	defer done()
	if err := exec(ctx, c, "BEGIN"); err != nil {
		return fmt.Errorf("pgwriter: abort: %w", err)
	}
	rollback := func(err error) error {
		exec(context.WithoutCancel(ctx), c, "ROLLBACK")
		return err
	}
	if _, err := c.Exec(ctx, lockCommit, w.runID); err != nil {
		return rollback(fmt.Errorf("pgwriter: abort: %w", err))
	}
	rec, err := w.readRecord(ctx, c)
	if err != nil {
		return rollback(err)
	}
	if rec != nil && rec.State == stateCommitted {
		return rollback(fmt.Errorf("pgwriter: abort: run %s on %s is already committed", w.runID, w.cfg.Table))
	}
	stmts := []string{"DROP TABLE IF EXISTS " + w.rows}
	if rec != nil {
		if w.stagedRun {
			rec.State, rec.At = stateAborted, time.Now().UTC()
			comment, err := recordSQL(w.marks, *rec)
			if err != nil {
				return rollback(err)
			}
			stmts = append(stmts, "TRUNCATE "+w.marks, "ALTER TABLE "+w.marks+" SET LOGGED", comment)
		} else {
			stmts = append(stmts, "DROP TABLE "+w.marks)
		}
	}
	stmts = append(stmts, "COMMIT")
	for _, s := range stmts {
		if err := exec(ctx, c, s); err != nil {
			return rollback(fmt.Errorf("pgwriter: drop the stage %s: %w", w.rowsName, err))
		}
	}
	return nil
}

// CollectStages drops the stages that other runs left on the writer's
// table (in its schema) and that are older than minAge and held by no live
// run (see ferry.StageCollector), and returns the rows tables' names. It may
// be called on a Writer that was never prepared.
func (w *Writer) CollectStages(ctx context.Context, minAge time.Duration, dryRun bool) ([]string, error) {
	c, done, err := w.adminConn(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if w.nsp == "" {
		var exists bool
		if err := c.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, w.target).Scan(&exists); err != nil {
			return nil, fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
		}
		if !exists {
			return nil, nil
		}
		if err := w.resolveTarget(ctx, c, w.runID); err != nil {
			return nil, err
		}
	}
	return w.collect(ctx, c, func(_ stageRecord, age time.Duration) bool { return age >= minAge }, dryRun)
}

// collect drops the stages of other runs on the target that pick selects
// and whose run lock it can take.
func (w *Writer) collect(ctx context.Context, c *pgx.Conn, pick func(stageRecord, time.Duration) bool, dryRun bool) ([]string, error) {
	rows, err := c.Query(ctx, `SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c
		WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) AND c.relkind = 'r'
		AND c.relname LIKE '%\_ferry\_%\_m' AND starts_with(obj_description(c.oid, 'pg_class'), $2)`, w.nsp, recordPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgwriter: list stages: %w", err)
	}
	type found struct {
		rec   stageRecord
		marks string
	}
	var cands []found
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			rows.Close()
			return nil, fmt.Errorf("pgwriter: list stages: %w", err)
		}
		var rec stageRecord
		if json.Unmarshal([]byte(text), &rec) != nil || rec.Target != quote(w.nsp)+"."+quote(w.rel) || rec.Run == w.runID || ferry.CheckRunID(rec.Run) != nil {
			continue
		}
		if _, m := stageNames(w.rel, rec.Run); m != name {
			continue
		}
		cands = append(cands, found{rec, name})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgwriter: list stages: %w", err)
	}
	var out []string
	now := time.Now().UTC()
	for _, f := range cands {
		if !pick(f.rec, now.Sub(f.rec.At)) {
			continue
		}
		rowsName := strings.TrimSuffix(f.marks, "_m")
		dropped, err := w.dropStage(ctx, c, f.rec.Run, rowsName, f.marks, dryRun)
		if err != nil {
			return out, err
		}
		if dropped {
			out = append(out, quote(w.nsp)+"."+quote(rowsName))
		}
	}
	return out, nil
}

// dropStage drops one stage if no live run holds its lock.
func (w *Writer) dropStage(ctx context.Context, c *pgx.Conn, run, rowsName, marksName string, dryRun bool) (bool, error) {
	if err := exec(ctx, c, "BEGIN"); err != nil {
		return false, fmt.Errorf("pgwriter: collect stages: %w", err)
	}
	var free bool
	if err := c.QueryRow(ctx, tryRunSQL, run).Scan(&free); err != nil {
		exec(context.WithoutCancel(ctx), c, "ROLLBACK")
		return false, fmt.Errorf("pgwriter: collect stages: %w", err)
	}
	if !free || dryRun {
		return free, exec(ctx, c, "ROLLBACK")
	}
	for _, s := range []string{
		"DROP TABLE IF EXISTS " + quote(w.nsp) + "." + quote(rowsName),
		"DROP TABLE IF EXISTS " + quote(w.nsp) + "." + quote(marksName),
		"COMMIT",
	} {
		if err := exec(ctx, c, s); err != nil {
			exec(context.WithoutCancel(ctx), c, "ROLLBACK")
			return false, fmt.Errorf("pgwriter: collect stage %s: %w", rowsName, err)
		}
	}
	return true, nil
}
