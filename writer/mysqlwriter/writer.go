package mysqlwriter

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
)

// Writer writes Arrow batches into a MySQL or MariaDB table.
//
// Every mode leaves the target untouched until Commit:
//   - insert and replace load straight into the target inside one
//     transaction per BatchWriter; Commit commits them (one after the
//     other: a failure in the middle of Commit can leave earlier workers'
//     rows committed), Abort rolls them back;
//   - overwrite loads into a staging table made with CREATE TABLE ... LIKE
//     the target, and Commit swaps it in with one atomic RENAME TABLE;
//   - upsert loads into a staging table without keys, and Commit applies it
//     in one transaction with INSERT ... SELECT ... ON DUPLICATE KEY UPDATE
//     in load order (the last row for a key wins);
//   - partition-overwrite loads into a staging table, and Commit deletes the
//     partition's rows and inserts the new ones in one transaction.
type Writer struct {
	cfg    Config
	db     *sql.DB
	method string

	schema  *arrow.Schema
	targets []target // per schema field
	stage   string   // quoted staging table, "" for direct modes
	into    string   // quoted table the BatchWriters load into
	hasBit  bool

	mu      sync.Mutex
	workers []*batchWriter
	done    bool
	closed  bool
}

var _ ferry.Writer = (*Writer)(nil)

// Open connects to the server. The caller calls Prepare next and Close at the end.
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		cfg.Mode = ferry.ModeInsert
	}
	conn, err := mysql.NewConnector(mysqlx.Session(cfg.Conn, strictSQLMode))
	if err != nil {
		return nil, fmt.Errorf("mysqlwriter: %w", err)
	}
	w := &Writer{cfg: cfg, db: sql.OpenDB(conn)}
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

func (w *Writer) staged() bool {
	return w.cfg.Mode == ferry.ModeOverwrite || w.cfg.Mode == ferry.ModeUpsert || w.cfg.Mode == ferry.ModePartitionOverwrite
}

// Prepare runs preSql, creates the target when Create is set and it is
// missing, checks that it has every column of schema, and creates the
// staging table of the staged modes.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	w.schema = schema
	for _, q := range w.cfg.PreSQL {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mysqlwriter: preSql %q: %w", q, err)
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
	cols, err := w.tableColumns(ctx, w.cfg.Table)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		if !w.cfg.Create {
			return fmt.Errorf("mysqlwriter: table %s does not exist (set create=true to create it)", w.cfg.Table)
		}
		ddl, err := w.createDDL(ctx, schema)
		if err != nil {
			return err
		}
		if _, err := w.db.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("mysqlwriter: create %s: %w", w.cfg.Table, err)
		}
		if cols, err = w.tableColumns(ctx, w.cfg.Table); err != nil {
			return err
		}
	}
	w.targets = make([]target, schema.NumFields())
	for i, f := range schema.Fields() {
		t, ok := cols[strings.ToLower(f.Name)]
		if !ok {
			return fmt.Errorf("mysqlwriter: table %s has no column %q", w.cfg.Table, f.Name)
		}
		w.targets[i] = t
		if t.dataType == "bit" {
			w.hasBit = true
		}
	}
	w.into = mysqlx.QuoteTable(w.cfg.Table)
	if w.staged() {
		_, name := mysqlx.SplitTable(w.cfg.Table)
		if len(name) > 40 {
			name = name[:40]
		}
		var rnd [4]byte
		rand.Read(rnd[:])
		w.stage = sibling(w.cfg.Table, "_ferry_"+name+"_"+hex.EncodeToString(rnd[:]))
		var q string
		if w.cfg.Mode == ferry.ModeUpsert {
			// No keys: the same key may come several times, the last wins at Commit.
			q = "CREATE TABLE " + w.stage + " ENGINE=InnoDB AS SELECT " + w.columnList() + " FROM " + w.into + " WHERE 1=0"
		} else {
			q = "CREATE TABLE " + w.stage + " LIKE " + w.into
		}
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			w.stage = ""
			return fmt.Errorf("mysqlwriter: create staging table for %s: %w", w.cfg.Table, err)
		}
		if w.cfg.Mode == ferry.ModeUpsert {
			if _, err := w.db.ExecContext(ctx, "ALTER TABLE "+w.stage+" ADD COLUMN _ferry_seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"); err != nil {
				return fmt.Errorf("mysqlwriter: create staging table for %s: %w", w.cfg.Table, err)
			}
		}
		w.into = w.stage
	}
	return nil
}

func (w *Writer) columnList() string {
	var b strings.Builder
	for i, f := range w.schema.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mysqlx.QuoteIdent(f.Name))
	}
	return b.String()
}

// tableColumns returns the target's columns by lower-case name; an empty
// map when the table does not exist.
func (w *Writer) tableColumns(ctx context.Context, table string) (map[string]target, error) {
	db, name := mysqlx.SplitTable(table)
	q := "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_NAME = ? AND TABLE_SCHEMA = "
	args := []any{name}
	if db == "" {
		q += "DATABASE()"
	} else {
		q += "?"
		args = append(args, db)
	}
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mysqlwriter: columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]target{}
	for rows.Next() {
		var t target
		if err := rows.Scan(&t.name, &t.dataType); err != nil {
			return nil, fmt.Errorf("mysqlwriter: columns of %s: %w", table, err)
		}
		t.dataType = strings.ToLower(t.dataType)
		out[strings.ToLower(t.name)] = t
	}
	return out, rows.Err()
}

// Open returns a BatchWriter with its own connection. Safe for concurrent use.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	if w.schema == nil {
		return nil, errors.New("mysqlwriter: Open before Prepare")
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("mysqlwriter: connect: %w", err)
	}
	bw := &batchWriter{w: w, conn: conn}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mysqlwriter: begin: %w", err)
	}
	bw.inTx = true
	w.mu.Lock()
	w.workers = append(w.workers, bw)
	w.mu.Unlock()
	return bw, nil
}

// Commit makes the rows visible according to the mode, then runs postSql.
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	workers := w.workers
	w.mu.Unlock()
	for _, bw := range workers {
		if !bw.closed {
			return fmt.Errorf("mysqlwriter: Commit with a BatchWriter not closed")
		}
	}
	// Direct modes: the rows wait in the workers' transactions.
	for i, bw := range workers {
		if !bw.inTx {
			continue
		}
		if _, err := bw.conn.ExecContext(ctx, "COMMIT"); err != nil {
			if i > 0 {
				return fmt.Errorf("mysqlwriter: commit worker %d of %d into %s (the earlier workers' rows are committed): %w", i+1, len(workers), w.cfg.Table, err)
			}
			return fmt.Errorf("mysqlwriter: commit into %s: %w", w.cfg.Table, err)
		}
		bw.inTx = false
	}
	if err := w.apply(ctx); err != nil {
		return err
	}
	w.done = true
	for _, q := range w.cfg.PostSQL {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mysqlwriter: postSql %q (the data is committed): %w", q, err)
		}
	}
	return nil
}

// apply moves the staging table into the target.
func (w *Writer) apply(ctx context.Context) error {
	if w.stage == "" {
		return nil
	}
	tgt := mysqlx.QuoteTable(w.cfg.Table)
	switch w.cfg.Mode {
	case ferry.ModeOverwrite:
		_, name := mysqlx.SplitTable(w.cfg.Table)
		if len(name) > 40 {
			name = name[:40]
		}
		var rnd [4]byte
		rand.Read(rnd[:])
		old := sibling(w.cfg.Table, "_ferry_old_"+name+"_"+hex.EncodeToString(rnd[:]))
		if _, err := w.db.ExecContext(ctx, "RENAME TABLE "+tgt+" TO "+old+", "+w.stage+" TO "+tgt); err != nil {
			return fmt.Errorf("mysqlwriter: swap the new rows into %s: %w", w.cfg.Table, err)
		}
		w.stage = ""
		if _, err := w.db.ExecContext(ctx, "DROP TABLE "+old); err != nil {
			return fmt.Errorf("mysqlwriter: drop the old rows of %s (kept as %s; the new rows are in place): %w", w.cfg.Table, old, err)
		}
		return nil
	case ferry.ModeUpsert, ferry.ModePartitionOverwrite:
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("mysqlwriter: apply to %s: %w", w.cfg.Table, err)
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("mysqlwriter: apply to %s: %w", w.cfg.Table, err)
		}
		defer tx.Rollback()
		cols := w.columnList()
		var q string
		if w.cfg.Mode == ferry.ModePartitionOverwrite {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+tgt+" WHERE "+w.cfg.Partition); err != nil {
				return fmt.Errorf("mysqlwriter: delete partition %q of %s: %w", w.cfg.Partition, w.cfg.Table, err)
			}
			q = "INSERT INTO " + tgt + " (" + cols + ") SELECT " + cols + " FROM " + w.stage
		} else {
			var set []string
			for _, f := range w.schema.Fields() {
				if !containsFold(w.cfg.Key, f.Name) {
					set = append(set, mysqlx.QuoteIdent(f.Name)+" = VALUES("+mysqlx.QuoteIdent(f.Name)+")")
				}
			}
			if len(set) == 0 { // only key columns: nothing to update
				f := w.schema.Field(0).Name
				set = append(set, mysqlx.QuoteIdent(f)+" = "+mysqlx.QuoteIdent(f))
			}
			q = "INSERT INTO " + tgt + " (" + cols + ") SELECT " + cols + " FROM " + w.stage + " ORDER BY _ferry_seq ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mysqlwriter: apply staged rows to %s: %w", w.cfg.Table, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("mysqlwriter: commit into %s: %w", w.cfg.Table, err)
		}
		w.dropStage(ctx)
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func (w *Writer) dropStage(ctx context.Context) error {
	if w.stage == "" {
		return nil
	}
	_, err := w.db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+w.stage)
	if err == nil {
		w.stage = ""
	}
	return err
}

// Abort rolls back the workers' transactions and drops the staging table:
// the target is as it was before Prepare (preSql is not undone).
func (w *Writer) Abort(ctx context.Context, cause error) error {
	ctx = context.WithoutCancel(ctx)
	w.mu.Lock()
	workers := w.workers
	w.mu.Unlock()
	var errs []error
	for _, bw := range workers {
		if bw.inTx {
			bw.conn.ExecContext(ctx, "ROLLBACK")
			bw.inTx = false
		}
	}
	if err := w.dropStage(ctx); err != nil {
		errs = append(errs, fmt.Errorf("mysqlwriter: drop staging table %s: %w", w.stage, err))
	}
	return errors.Join(errs...)
}

// Close releases the connections. Rows not committed are rolled back.
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
	if w.stage != "" {
		w.dropStage(context.Background())
	}
	return w.db.Close()
}
