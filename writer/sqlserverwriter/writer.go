package sqlserverwriter

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// Writer writes into one SQL Server table through a stage (see the package
// documentation). It implements ferry.StageWriter and ferry.StageCollector.
type Writer struct {
	cfg   Config
	db    *sql.DB
	table mssqlx.TableName

	mu       sync.Mutex
	runID    string
	key      string // <runID>_<hash of the target>: names the stage and its lock
	plan     *plan
	schema   *arrow.Schema
	enc      []encodeFunc
	bulkCols []string // the stage columns a bulk copy sends, unquoted
	lockConn *sql.Conn
	workers  int
	oneProc  bool                  // prepared by Prepare: no other process asks Status, so the markers go too
	done     string                // "committed" or "aborted" once this Writer did it
	open     map[*splitWriter]bool // old protocol: BatchWriters not yet closed
}

var (
	_ ferry.StageWriter    = (*Writer)(nil)
	_ ferry.StageCollector = (*Writer)(nil)
)

// Open returns a Writer; it connects lazily, in Prepare or PrepareStage.
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t, _ := mssqlx.ParseTable(cfg.Table)
	conn, err := mssql.NewConnector(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("sqlserverwriter: %w", err)
	}
	return &Writer{cfg: cfg, db: sql.OpenDB(conn), table: t, open: map[*splitWriter]bool{}}, nil
}

// stageKey is the name part shared by a run's stage, marker table and lock:
// the run ID and 8 hex digits of the target's name, so two targets of one
// run do not share a stage.
func stageKey(runID string, t mssqlx.TableName) string {
	h := sha256.Sum256([]byte(strings.ToLower(t.Quoted)))
	return runID + "_" + hex.EncodeToString(h[:4])
}

const (
	stagePrefix = "ferry_stage_"
	marksPrefix = "ferry_marks_"
	lockPrefix  = "ferry-run:"
)

var collationName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Prepare is the one-process protocol: PrepareStage with Config.RunID or
// a new run ID.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	id := w.cfg.RunID
	if id == "" {
		id = ferry.NewRunID()
	}
	if err := w.PrepareStage(ctx, id, schema); err != nil {
		return err
	}
	w.mu.Lock()
	w.oneProc = w.cfg.RunID == ""
	w.mu.Unlock()
	return nil
}

// PrepareStage checks (or, with Create, creates) the target, and creates
// the run's stage and marker table with preSql in one transaction; called
// again with the same runID, here or in another process, it attaches to
// them and runs nothing again.
func (w *Writer) PrepareStage(ctx context.Context, runID string, schema *arrow.Schema) error {
	if err := ferry.CheckRunID(runID); err != nil {
		return fmt.Errorf("sqlserverwriter: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.plan != nil {
		if w.runID != runID {
			return fmt.Errorf("sqlserverwriter: already prepared for run %s, not %s", w.runID, runID)
		}
		return nil
	}
	key := stageKey(runID, w.table)
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlserverwriter: connect: %w", err)
	}
	defer conn.Close()
	p, enc, bulkCols, err := w.prepareTx(ctx, conn, key, schema)
	if err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION")
		return err
	}
	// A session lock says the run is alive, so that CollectStages leaves
	// its stage alone; it goes with this connection.
	lc, err := w.db.Conn(ctx)
	if err == nil {
		err = applock(ctx, lc, lockPrefix+key, "Shared", "Session", 10000)
	}
	if err != nil {
		if lc != nil {
			lc.Close()
		}
		return fmt.Errorf("sqlserverwriter: hold the run's lock: %w", err)
	}
	w.runID, w.key, w.plan, w.schema, w.enc, w.bulkCols, w.lockConn = runID, key, p, schema, enc, bulkCols, lc
	return nil
}

func applock(ctx context.Context, c *sql.Conn, resource, mode, owner string, timeoutMS int) error {
	var r int64
	err := c.QueryRowContext(ctx, "DECLARE @r int; EXEC @r = sp_getapplock @Resource = @p1, @LockMode = @p2, @LockOwner = @p3, @LockTimeout = @p4; SELECT @r",
		resource, mode, owner, timeoutMS).Scan(&r)
	if err != nil {
		return err
	}
	if r < 0 {
		return fmt.Errorf("sp_getapplock(%s, %s) returned %d (timeout, deadlock or cancel)", resource, mode, r)
	}
	return nil
}

func (w *Writer) prepareTx(ctx context.Context, conn *sql.Conn, key string, schema *arrow.Schema) (*plan, []encodeFunc, []string, error) {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, nil, nil, fmt.Errorf("sqlserverwriter: begin: %w", err)
	}
	if err := applock(ctx, conn, lockPrefix+"prepare:"+key, "Exclusive", "Transaction", 60000); err != nil {
		return nil, nil, nil, fmt.Errorf("sqlserverwriter: prepare lock: %w", err)
	}
	cols, err := mssqlx.TableColumns(ctx, conn, w.table)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sqlserverwriter: columns of %s: %w", w.table.Quoted, err)
	}
	if len(cols) == 0 {
		if !w.cfg.Create {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: table %s not found (set create=true to create it from the source schema)", w.table.Quoted)
		}
		ddl, err := createTable(w.table.Quoted, schema, w.cfg.Key)
		if err != nil {
			return nil, nil, nil, err
		}
		if _, err := conn.ExecContext(ctx, ddl); err != nil {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: create %s: %w", w.table.Quoted, err)
		}
		if cols, err = mssqlx.TableColumns(ctx, conn, w.table); err != nil {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: columns of %s: %w", w.table.Quoted, err)
		}
	}
	p, decls, codecs, err := w.newPlan(key, schema, cols)
	if err != nil {
		return nil, nil, nil, err
	}
	if p.mode == ferry.ModeOverwrite {
		// TRUNCATE fails on a table a foreign key references: DELETE then.
		var refs int64
		q := fmt.Sprintf("SELECT COUNT(*) FROM %ssys.foreign_keys WHERE referenced_object_id = OBJECT_ID(@p1)", w.table.Catalog)
		if err := conn.QueryRowContext(ctx, q, w.table.Quoted).Scan(&refs); err != nil {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: foreign keys of %s: %w", w.table.Quoted, err)
		}
		p.delete = refs > 0
	}
	enc := make([]encodeFunc, len(codecs))
	for i, c := range codecs {
		if enc[i], err = newEncoder(schema.Field(i), c); err != nil {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: %s: %w", w.table.Quoted, err)
		}
	}
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT CASE WHEN OBJECT_ID(@p1) IS NULL THEN 0 ELSE 1 END", p.marks).Scan(&exists); err != nil {
		return nil, nil, nil, fmt.Errorf("sqlserverwriter: look for the stage: %w", err)
	}
	if exists {
		st, err := readStatus(ctx, conn, p)
		if err != nil {
			return nil, nil, nil, err
		}
		if st.Committed || st.Aborted {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: run %s on %s is already %s", key, w.table.Quoted, map[bool]string{true: "committed", false: "aborted"}[st.Committed])
		}
	} else {
		stmts := append([]string{p.stageDDL(decls), p.marksDDL()}, w.cfg.PreSQL...)
		for _, s := range stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return nil, nil, nil, fmt.Errorf("sqlserverwriter: prepare %s: %s: %w", w.table.Quoted, firstWords(s), err)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT TRANSACTION"); err != nil {
		return nil, nil, nil, fmt.Errorf("sqlserverwriter: commit the stage: %w", err)
	}
	bulkCols := make([]string, 0, len(cols)+2)
	for _, f := range schema.Fields() {
		bulkCols = append(bulkCols, matchColumn(cols, f.Name).Name)
	}
	bulkCols = append(bulkCols, attemptCol, seqCol)
	return p, enc, bulkCols, nil
}

func firstWords(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func matchColumn(cols []mssqlx.Column, name string) *mssqlx.Column {
	for i := range cols {
		if cols[i].Name == name {
			return &cols[i]
		}
	}
	for i := range cols {
		if strings.EqualFold(cols[i].Name, name) {
			return &cols[i]
		}
	}
	return nil
}

// newPlan matches the batch fields to the target's columns and builds the
// writer's SQL.
func (w *Writer) newPlan(key string, schema *arrow.Schema, cols []mssqlx.Column) (*plan, []string, []codec, error) {
	p := &plan{
		mode:      w.cfg.Mode,
		target:    w.table.Quoted,
		stage:     w.table.Sibling(stagePrefix + key),
		marks:     w.table.Sibling(marksPrefix + key),
		partition: w.cfg.Partition,
		postSQL:   w.cfg.PostSQL,
	}
	var decls []string
	var codecs []codec
	for _, f := range schema.Fields() {
		c := matchColumn(cols, f.Name)
		if c == nil {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: table %s has no column %q", w.table.Quoted, f.Name)
		}
		if c.Computed || c.Type == "timestamp" || c.Type == "rowversion" {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: column %s of %s is computed or a rowversion: the server writes it, leave it out of the batch", c.Name, w.table.Quoted)
		}
		k, err := c.KindOf()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: %s: %w", w.table.Quoted, err)
		}
		if k == mssqlx.KindJSON && !w.cfg.Insert {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: column %s is of type json, which go-mssqldb's bulk copy cannot send: use load=insert", c.Name)
		}
		if c.Identity {
			p.identity, p.idCol = true, sqlident.SQLServer.MustQuote(c.Name)
		}
		decl := c.Decl()
		if c.Collation != "" && collationName.MatchString(c.Collation) {
			decl += " COLLATE " + c.Collation
		}
		if c.Nullable {
			decl += " NULL"
		} else {
			decl += " NOT NULL"
		}
		p.cols = append(p.cols, sqlident.SQLServer.MustQuote(c.Name))
		decls = append(decls, decl)
		codecs = append(codecs, codec{col: *c, kind: k, insert: w.cfg.Insert})
	}
	if p.mode == ferry.ModeUpsert || p.mode == ferry.ModeReplace {
		keys := w.cfg.Key // the table's primary key when not set
		if len(keys) == 0 {
			type kp struct {
				name string
				pos  int
			}
			var ks []kp
			for _, c := range cols {
				if c.PKPos > 0 {
					ks = append(ks, kp{c.Name, c.PKPos})
				}
			}
			for pos := 1; pos <= len(ks); pos++ {
				for _, k := range ks {
					if k.pos == pos {
						keys = append(keys, k.name)
					}
				}
			}
		}
		if len(keys) == 0 {
			return nil, nil, nil, fmt.Errorf("sqlserverwriter: mode %s needs key columns: set key, or give %s a primary key", p.mode, w.table.Quoted)
		}
		for _, k := range keys {
			c := matchColumn(cols, k)
			if c == nil {
				return nil, nil, nil, fmt.Errorf("sqlserverwriter: key column %q is not a column of %s", k, w.table.Quoted)
			}
			qk := sqlident.SQLServer.MustQuote(c.Name)
			if !contains(p.cols, qk) {
				return nil, nil, nil, fmt.Errorf("sqlserverwriter: key column %s is not in the batches written", c.Name)
			}
			p.keys = append(p.keys, qk)
		}
	}
	return p, decls, codecs, nil
}

// createTable returns the CREATE TABLE of the Arrow schema: types from
// mssqlx.DeclFor, NOT NULL from the field's nullability or
// ferry.MetaNotNull, and a primary key from keys or ferry.MetaPrimaryKey.
func createTable(target string, schema *arrow.Schema, keys []string) (string, error) {
	if len(keys) == 0 {
		keys = ferry.PrimaryKey(schema)
	}
	var cols, decls, qkeys []string
	var notNull []bool
	for _, f := range schema.Fields() {
		isKey := false
		for _, k := range keys {
			if strings.EqualFold(k, f.Name) {
				isKey = true
			}
		}
		d, err := mssqlx.DeclFor(f, isKey)
		if err != nil {
			return "", fmt.Errorf("sqlserverwriter: create %s: %w", target, err)
		}
		qn, err := sqlident.SQLServer.Quote(f.Name)
		if err != nil {
			return "", fmt.Errorf("sqlserverwriter: create %s: %w", target, err)
		}
		cols, decls = append(cols, qn), append(decls, d)
		notNull = append(notNull, isKey || !f.Nullable || ferry.FieldMeta(f, ferry.MetaNotNull) == "true")
	}
	for _, k := range keys {
		found := false
		for _, f := range schema.Fields() {
			if strings.EqualFold(k, f.Name) {
				found = true
				qkeys = append(qkeys, sqlident.SQLServer.MustQuote(f.Name))
			}
		}
		if !found {
			return "", fmt.Errorf("sqlserverwriter: create %s: key column %q is not in the schema", target, k)
		}
	}
	return createSQL(target, cols, decls, notNull, qkeys), nil
}

// Status reads the run's markers.
func (w *Writer) Status(ctx context.Context) (ferry.StageStatus, error) {
	p, err := w.prepared()
	if err != nil {
		return ferry.StageStatus{}, err
	}
	w.mu.Lock()
	one, done := w.oneProc, w.done
	w.mu.Unlock()
	if one && done != "" {
		// A one-process run's markers were dropped when it finished.
		return ferry.StageStatus{Committed: done == "committed", Aborted: done == "aborted"}, nil
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return ferry.StageStatus{}, fmt.Errorf("sqlserverwriter: connect: %w", err)
	}
	defer conn.Close()
	return readStatus(ctx, conn, p)
}

func readStatus(ctx context.Context, q mssqlx.Queryer, p *plan) (ferry.StageStatus, error) {
	var st ferry.StageStatus
	rows, err := q.QueryContext(ctx, p.statusSQL())
	if err != nil {
		return st, fmt.Errorf("sqlserverwriter: read the markers of %s: %w", p.marks, err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind int64
		var split string
		var n int64
		if err := rows.Scan(&kind, &split, &n); err != nil {
			return st, fmt.Errorf("sqlserverwriter: read the markers of %s: %w", p.marks, err)
		}
		switch {
		case kind == 0:
			st.Done = append(st.Done, ferry.SplitMark{Split: split, Rows: n})
		case split == "committed":
			st.Committed = true
		case split == "aborted":
			st.Aborted = true
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("sqlserverwriter: read the markers of %s: %w", p.marks, err)
	}
	return st, nil
}

func (w *Writer) prepared() (*plan, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.plan == nil {
		return nil, errors.New("sqlserverwriter: not prepared (call Prepare or PrepareStage first)")
	}
	return w.plan, nil
}

// Commit moves the marked rows of the stage into the target according to
// the mode, runs postSql and records the commit, in one transaction; then
// drops the stage (the marker table stays, so Status can tell the run was
// committed; CollectStages removes it later). A second Commit of a
// committed run returns nil. A COMMIT whose connection died returns an
// error for which ferry.IsOutcomeUnknown reports true: Status tells.
func (w *Writer) Commit(ctx context.Context) error {
	p, err := w.prepared()
	if err != nil {
		return err
	}
	if w.finished() == "committed" {
		return nil
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return ferry.Retryable(fmt.Errorf("sqlserverwriter: commit: connect: %w", err))
	}
	defer conn.Close()
	rollback := func(err error, what string) error {
		conn.ExecContext(context.WithoutCancel(ctx), "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION; SET XACT_ABORT OFF")
		err = fmt.Errorf("sqlserverwriter: commit %s: %s: %w", w.table.Quoted, what, err)
		if mssqlx.IsRetryable(err) || mssqlx.IsConnLost(err) {
			// Rolled back: nothing of the commit happened.
			return ferry.Retryable(err)
		}
		return err
	}
	if _, err := conn.ExecContext(ctx, "SET XACT_ABORT ON; BEGIN TRANSACTION"); err != nil {
		return rollback(err, "begin")
	}
	if err := applock(ctx, conn, lockPrefix+"commit:"+w.key, "Exclusive", "Transaction", 60000); err != nil {
		return rollback(err, "lock")
	}
	st, err := readStatus(ctx, conn, p)
	if err != nil {
		return rollback(err, "markers")
	}
	switch {
	case st.Committed:
		conn.ExecContext(ctx, "COMMIT TRANSACTION")
		return nil
	case st.Aborted:
		return rollback(errors.New("the run was aborted"), "state")
	}
	for _, s := range p.commitSQL() {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return rollback(err, firstWords(s))
		}
	}
	if _, err := conn.ExecContext(ctx, p.stateSQL(), "committed"); err != nil {
		return rollback(err, "record the commit")
	}
	if _, err := conn.ExecContext(ctx, "COMMIT TRANSACTION"); err != nil {
		err = fmt.Errorf("sqlserverwriter: commit %s: %w", w.table.Quoted, err)
		if _, isServer := mssqlx.Number(err); !isServer {
			return ferry.OutcomeUnknown(err)
		}
		return rollback(err, "COMMIT")
	}
	conn.ExecContext(ctx, "SET XACT_ABORT OFF; DROP TABLE IF EXISTS "+p.stage)
	w.setFinished("committed")
	w.dropMarks(ctx, conn, p)
	return nil
}

// Abort records the run as aborted and drops its stage, in one
// transaction; the target is untouched. Aborting a committed run is an
// error; aborting an aborted one, or one never prepared, returns nil.
func (w *Writer) Abort(ctx context.Context, cause error) error {
	// Open BatchWriters keep their connections until Close: a worker may
	// still be returning from a Write.
	w.mu.Lock()
	p := w.plan
	w.mu.Unlock()
	if p == nil || w.finished() == "aborted" {
		return nil
	}
	if w.finished() == "committed" {
		return fmt.Errorf("sqlserverwriter: abort %s: the run is already committed", w.table.Quoted)
	}
	ctx = context.WithoutCancel(ctx)
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlserverwriter: abort: connect: %w", err)
	}
	defer conn.Close()
	fail := func(err error) error {
		conn.ExecContext(ctx, "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION; SET XACT_ABORT OFF")
		return fmt.Errorf("sqlserverwriter: abort %s: %w", w.table.Quoted, err)
	}
	if _, err := conn.ExecContext(ctx, "SET XACT_ABORT ON; BEGIN TRANSACTION"); err != nil {
		return fail(err)
	}
	if err := applock(ctx, conn, lockPrefix+"commit:"+w.key, "Exclusive", "Transaction", 60000); err != nil {
		return fail(err)
	}
	st, err := readStatus(ctx, conn, p)
	if err != nil {
		return fail(err)
	}
	if st.Committed {
		return fail(errors.New("the run is already committed"))
	}
	if !st.Aborted {
		if _, err := conn.ExecContext(ctx, p.stateSQL(), "aborted"); err != nil {
			return fail(err)
		}
	}
	if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+p.stage); err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT TRANSACTION; SET XACT_ABORT OFF"); err != nil {
		return fail(err)
	}
	w.setFinished("aborted")
	w.dropMarks(ctx, conn, p)
	return nil
}

func (w *Writer) finished() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

func (w *Writer) setFinished(s string) {
	w.mu.Lock()
	w.done = s
	w.mu.Unlock()
}

// dropMarks drops the marker table of a one-process run (Prepare with no
// Config.RunID), which nobody can ask about later.
func (w *Writer) dropMarks(ctx context.Context, conn *sql.Conn, p *plan) {
	w.mu.Lock()
	one := w.oneProc
	w.mu.Unlock()
	if one {
		conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+p.marks)
	}
}

// Close releases the connections (and with them the run's lock).
func (w *Writer) Close() error {
	w.mu.Lock()
	for sw := range w.open {
		sw.release()
	}
	clear(w.open)
	if w.lockConn != nil {
		w.lockConn.Close()
		w.lockConn = nil
	}
	w.mu.Unlock()
	return w.db.Close()
}
