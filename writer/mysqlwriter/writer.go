package mysqlwriter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
)

// Writer writes Arrow batches into a MySQL or MariaDB table.
//
// Every mode loads into a staging table named from the run ID
// (`_ferry_<run>_s`, in the target's database) and leaves the target
// untouched until Commit, which makes the whole run visible in one step:
//   - insert and replace: Commit runs INSERT (REPLACE) INTO target SELECT
//     ... FROM the stage in one transaction;
//   - overwrite: the stage is made with CREATE TABLE ... LIKE the target, and
//     Commit swaps it in with one atomic RENAME TABLE;
//   - upsert: the stage has no keys, and Commit applies it in one
//     transaction with INSERT ... SELECT ... ON DUPLICATE KEY UPDATE in load
//     order (the last row for a key wins);
//   - partition-overwrite: Commit refuses the run when a staged row is
//     outside the partition, else deletes the partition's rows and inserts
//     the new ones in one transaction.
//
// Writer implements ferry.StageWriter: each BatchWriter or SplitWriter is
// one attempt at a split, whose rows and done marker (in the marker table
// `_ferry_<run>_m`) commit in one transaction; a later attempt at the same
// split replaces it. It implements ferry.StageCollector too.
type Writer struct {
	verify func(context.Context, ferry.Querier) error // CommitChecked's checks, during its commit

	cfg    Config
	db     *sql.DB
	table  mysqlx.Table
	method string

	schema  *arrow.Schema
	targets []target // per schema field
	hasBit  bool

	run      string       // run ID
	stage    mysqlx.Table // `_ferry_<run>_s`
	marker   mysqlx.Table // `_ferry_<run>_m`
	old      mysqlx.Table // `_ferry_<run>_o`: the target's old rows during an overwrite swap
	oneShot  bool         // prepared by Prepare: the marker table goes at Close after the run ends
	lockConn *sql.Conn    // holds GET_LOCK(lockName(run)) while the run is live here

	mu      sync.Mutex
	workers []*batchWriter
	nsplit  int
	ended   bool // committed or aborted here
	closed  bool
}

var (
	_ ferry.Writer         = (*Writer)(nil)
	_ ferry.StageWriter    = (*Writer)(nil)
	_ ferry.StageCollector = (*Writer)(nil)
)

// Open connects to the server. The caller calls Prepare (or PrepareStage)
// next and Close at the end.
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		cfg.Mode = ferry.ModeInsert
	}
	tbl, _ := mysqlx.ParseTable(cfg.Table) // checked by validate
	db, err := mysqlx.OpenDB("mysqlwriter", mysqlx.Session(cfg.Conn, strictSQLMode))
	if err != nil {
		return nil, err
	}
	w := &Writer{cfg: cfg, db: db, table: tbl}
	if err := w.db.PingContext(ctx); err != nil {
		w.db.Close()
		return nil, fmt.Errorf("mysqlwriter: connect to %s: %w", cfg.Conn.Addr, err)
	}
	return w, nil
}

// Method returns the write method in use after Prepare: MethodLoad (LOAD
// DATA LOCAL INFILE) or MethodInsert (multi-row INSERT, when the server has
// local_infile off).
func (w *Writer) Method() string { return w.method }

// RunID returns the run ID the stage is named from (after Prepare or
// PrepareStage).
func (w *Writer) RunID() string { return w.run }

// Prepare is PrepareStage for a new run ID, for a run in one process: the
// marker table is dropped at Close once the run is committed or aborted.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	w.oneShot = true
	if err := w.PrepareStage(ctx, ferry.NewRunID(), schema); err != nil {
		w.oneShot = false
		return err
	}
	return nil
}

// PrepareStage prepares the run runID. The first process to call it runs
// preSql, creates the target when Create is set and it is missing, checks
// it, drops the stale stages of killed runs on the same target (older than
// StaleAge, not held by a live run), and creates the marker and staging
// tables. A process calling it later with the same runID attaches to the
// stage and runs no preSql. The process holds GET_LOCK('ferry_<run>') while
// the writer is open, so no collector takes the stage from a live run.
func (w *Writer) PrepareStage(ctx context.Context, runID string, schema *arrow.Schema) error {
	if err := ferry.CheckRunID(runID); err != nil {
		return fmt.Errorf("mysqlwriter: %w", err)
	}
	if w.schema != nil {
		return errors.New("mysqlwriter: the writer is already prepared")
	}
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	if err := mysqlx.CheckNames("mysqlwriter: field", names); err != nil {
		return err
	}
	w.run = runID
	w.stage, w.marker, w.old = stageNames(w.table, runID)
	if err := w.lock(ctx); err != nil {
		return err
	}
	attached, err := w.tableExists(ctx, w.marker)
	if err != nil {
		return err
	}
	if attached {
		if err := w.checkRun(ctx); err != nil {
			return err
		}
	} else {
		for _, q := range w.cfg.PreSQL {
			if _, err := w.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("mysqlwriter: preSql %q: %w", q, err)
			}
		}
	}
	w.method = w.cfg.Method
	if w.method == "" {
		var on sql.NullInt64
		if err := w.db.QueryRowContext(ctx, "SELECT @@GLOBAL.local_infile").Scan(&on); err != nil || on.Int64 != 1 {
			w.method = MethodInsert
		} else {
			w.method = MethodLoad
		}
	}
	cols, err := w.tableColumns(ctx, w.table)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		if !w.cfg.Create {
			ddl, derr := w.createDDL(ctx, schema)
			hint := "set create=true to create it from the source's schema"
			if derr == nil {
				hint += ", or create it yourself: " + ddl
			}
			return fmt.Errorf("mysqlwriter: table %s does not exist (%s)", w.table, hint)
		}
		ddl, err := w.createDDL(ctx, schema)
		if err != nil {
			return err
		}
		if _, err := w.db.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("mysqlwriter: create %s: %w", w.table, err)
		}
		if cols, err = w.tableColumns(ctx, w.table); err != nil {
			return err
		}
	}
	if err := w.checkColumns(ctx, schema, cols); err != nil {
		return err
	}
	w.schema = schema
	if !attached {
		if err := w.collectStale(ctx); err != nil {
			return err
		}
		if err := w.createStage(ctx); err != nil {
			return err
		}
	}
	return nil
}

// checkColumns maps the schema's fields to the target's columns and checks
// what would otherwise fail row by row: a NOT NULL column without a default
// that the source lacks, key columns that do not exist, and an upsert
// target without a primary or unique key.
func (w *Writer) checkColumns(ctx context.Context, schema *arrow.Schema, cols map[string]target) error {
	w.targets = make([]target, schema.NumFields())
	have := map[string]bool{}
	for i, f := range schema.Fields() {
		t, ok := cols[strings.ToLower(f.Name)]
		if !ok {
			return fmt.Errorf("mysqlwriter: table %s has no column %q", w.table, f.Name)
		}
		w.targets[i] = t
		have[strings.ToLower(f.Name)] = true
		if t.dataType == "bit" {
			w.hasBit = true
		}
	}
	for _, t := range cols {
		if t.required && !have[strings.ToLower(t.name)] {
			return fmt.Errorf("mysqlwriter: column %s of %s is NOT NULL without a default, and the source has no such field: map a field to it or give it a default", t.name, w.table)
		}
	}
	for _, k := range w.cfg.Key {
		if !have[strings.ToLower(k)] {
			return fmt.Errorf("mysqlwriter: key column %q is not a field of the source (fields: %s)", k, strings.Join(fieldNames(schema), ", "))
		}
	}
	if w.cfg.Mode == ferry.ModeUpsert {
		var n int
		cond, args := w.table.SchemaArg("TABLE_SCHEMA")
		q := "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_NAME = ? AND " + cond + " AND NON_UNIQUE = 0"
		if err := w.db.QueryRowContext(ctx, q, append([]any{w.table.Name}, args...)...).Scan(&n); err != nil {
			return fmt.Errorf("mysqlwriter: keys of %s: %w", w.table, err)
		}
		if n == 0 {
			return fmt.Errorf("mysqlwriter: mode upsert needs a primary or unique key on %s, which has none (ALTER TABLE %s ADD PRIMARY KEY (...))", w.table, w.table.Quoted())
		}
	}
	return nil
}

func fieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}

func (w *Writer) columnList() string {
	var b strings.Builder
	for i, f := range w.schema.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mysqlx.MustQuote(f.Name))
	}
	return b.String()
}

// tableColumns returns the columns of table by lower-case name; an empty
// map when the table does not exist.
func (w *Writer) tableColumns(ctx context.Context, table mysqlx.Table) (map[string]target, error) {
	cond, args := table.SchemaArg("TABLE_SCHEMA")
	q := `SELECT COLUMN_NAME, DATA_TYPE,
	  IS_NULLABLE = 'NO' AND COLUMN_DEFAULT IS NULL AND EXTRA NOT LIKE '%auto_increment%' AND EXTRA NOT LIKE '%GENERATED%'
	    AND EXTRA NOT LIKE '%PERSISTENT%' AND EXTRA NOT LIKE '%VIRTUAL%'
	  FROM information_schema.COLUMNS WHERE TABLE_NAME = ? AND ` + cond
	rows, err := w.db.QueryContext(ctx, q, append([]any{table.Name}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("mysqlwriter: columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]target{}
	for rows.Next() {
		var t target
		if err := rows.Scan(&t.name, &t.dataType, &t.required); err != nil {
			return nil, fmt.Errorf("mysqlwriter: columns of %s: %w", table, err)
		}
		t.dataType = strings.ToLower(t.dataType)
		out[strings.ToLower(t.name)] = t
	}
	return out, rows.Err()
}

// Open returns a BatchWriter with its own connection, one attempt at a
// split of its own (named "worker-N-<random>"): its rows count once its
// Close commits them with their marker. Safe for concurrent use.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	w.mu.Lock()
	w.nsplit++
	// Unique across processes too: two workers never replace each other.
	id := fmt.Sprintf("worker-%d-%x", w.nsplit, newAttempt())
	w.mu.Unlock()
	return w.OpenSplit(ctx, id)
}

// OpenSplit returns the SplitWriter of one attempt at split splitID, with
// its own connection and transaction. Safe for concurrent use.
func (w *Writer) OpenSplit(ctx context.Context, splitID string) (ferry.SplitWriter, error) {
	if w.schema == nil {
		return nil, errors.New("mysqlwriter: OpenSplit before Prepare")
	}
	if splitID == "" || len(splitID) > maxSplitID {
		return nil, fmt.Errorf("mysqlwriter: split ID %q must be 1 to %d bytes", splitID, maxSplitID)
	}
	if w.lockConn == nil {
		w.lock(ctx) // the run's other process held it; take it over if it died
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("mysqlwriter: connect: %w", err)
	}
	bw := &batchWriter{w: w, conn: conn, split: splitID, att: newAttempt()}
	if err := bw.begin(ctx); err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		conn.Close()
		return nil, err
	}
	w.mu.Lock()
	w.workers = append(w.workers, bw)
	w.mu.Unlock()
	return bw, nil
}

// Close releases the connections and the run's lock. Rows not committed
// are rolled back. A run prepared with Prepare and committed or aborted
// leaves nothing behind; a run prepared with PrepareStage keeps its marker
// table (Status reads it; CollectStages or the next run's clean-up drops it).
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	workers := w.workers
	w.workers = nil
	w.mu.Unlock()
	for _, bw := range workers {
		if bw.inTx {
			bw.conn.ExecContext(context.Background(), "ROLLBACK")
		}
		bw.conn.Close()
	}
	if w.run != "" && w.oneShot {
		ctx := context.Background()
		if !w.ended {
			// Prepared here and never ended: nobody can resume it.
			w.Abort(ctx, errors.New("closed before Commit"))
		}
		w.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.marker.Quoted())
	}
	if w.lockConn != nil {
		w.lockConn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", lockName(w.run))
		w.lockConn.Close()
	}
	return w.db.Close()
}
