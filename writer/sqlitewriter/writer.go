package sqlitewriter

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/bisect"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/sqlitelib"
)

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
	conn      *sqlitelib.Conn
	inTx      bool
	done      bool // committed or aborted
	committed bool
	created   bool // Prepare created the database file (under tmpPath)
	tmpPath   string
	tmpLock   *os.File
	flush     *flusher // starts the write-back of the new file while it loads
	openPath  string   // the file the connection has open: Path or tmpPath
	schema    *arrow.Schema
	ncols     int
	rows      int // rows per full INSERT statement
	verb      string
	suffix    string // ON CONFLICT clause
	colList   string
	stmts     map[int]*sqlitelib.Stmt // prepared INSERT by row count
	open      map[*batchWriter]bool   // BatchWriters not closed: Close frees their Values
	key       []string
	tableCols []string // the destination table's columns
	// the destination table: its schema and name, and both quoted
	tschema, tname, from string
	withoutRowid         bool
	// partition-overwrite into a table WITHOUT ROWID: the rows outside the
	// partition after the delete, checked again at Commit
	outside int64
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
	if cfg.RunID == "" {
		cfg.RunID = ferry.NewRunID()
	}
	w := &Writer{cfg: cfg, mode: mode, open: map[*batchWriter]bool{}}
	parts, _ := sqlident.SQLite.Split(cfg.Table) // checked by validate
	w.tschema, w.tname = "main", parts[len(parts)-1]
	if len(parts) == 2 {
		w.tschema = parts[0]
	}
	w.from = sqlident.SQLite.MustQuote(w.tschema) + "." + sqlident.SQLite.MustQuote(w.tname)
	return w, nil
}

func (w *Writer) errorf(format string, args ...any) error {
	return fmt.Errorf("sqlitewriter: %s table %s: %s", w.cfg.Path, w.cfg.Table, fmt.Errorf(format, args...))
}

func (w *Writer) wrap(what string, err error) error {
	return fmt.Errorf("sqlitewriter: %s table %s: %s: %w", w.cfg.Path, w.cfg.Table, what, err)
}

func (w *Writer) exec(ctx context.Context, q string, args ...any) error {
	return w.conn.Exec(ctx, q, args...)
}

func (w *Writer) queryAll(ctx context.Context, q string, args ...any) ([][]any, error) {
	return w.conn.Query(ctx, q, args...)
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
		if err := sqlident.Check(f.Name); err != nil {
			return w.errorf("column %q: %w", f.Name, err)
		}
		if _, err := DeclaredType(f.Type); err != nil {
			return w.errorf("column %s: %w", f.Name, err)
		}
	}
	// A database file this run creates has no other users: it is built
	// under a temporary name (see newfile.go), loaded with the rollback
	// journal in memory (nothing of the new pages is journaled at all),
	// and linked into place at Commit. An existing file is switched to
	// WAL, so that readers (the source, when it is the same file) read
	// while the run writes. Either way synchronous=OFF and no automatic
	// checkpoint while loading: Commit makes the result durable.
	st, err := os.Stat(w.cfg.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		w.created = true
	case err != nil:
		return fmt.Errorf("sqlitewriter: database file %s: %w", w.cfg.Path, err)
	case st.IsDir():
		return fmt.Errorf("sqlitewriter: %s is a directory, not a database file", w.cfg.Path)
	}
	// Temp files of killed runs into a new file are no one's: remove them.
	collectTemps(ctx, w.cfg.Path, "", 0, false)
	w.openPath = w.cfg.Path
	if w.created {
		if d := filepath.Dir(w.cfg.Path); d != "" {
			if st, err := os.Stat(d); err != nil {
				return fmt.Errorf("sqlitewriter: directory of %s: %w", w.cfg.Path, err)
			} else if !st.IsDir() {
				return fmt.Errorf("sqlitewriter: %s: %s is not a directory", w.cfg.Path, d)
			}
		}
		w.tmpPath = tempPath(w.cfg.Path, w.cfg.RunID)
		f, err := createTemp(w.tmpPath)
		if err != nil {
			return fmt.Errorf("sqlitewriter: create %s: %w", w.cfg.Path, err)
		}
		w.tmpLock, w.openPath = f, w.tmpPath
	}
	c, err := sqlitelib.Open(w.openPath, 10000)
	if err != nil {
		return fmt.Errorf("sqlitewriter: open %s: %w", w.cfg.Path, err)
	}
	w.conn = c
	pragmas := []string{"PRAGMA journal_mode=WAL"}
	if w.created {
		// 8 KiB pages for a new file: half the B-tree pages, page
		// splits and writes of 4 KiB ones, in the same cache memory.
		pragmas = []string{"PRAGMA page_size=8192", "PRAGMA journal_mode=MEMORY"}
	}
	// A page cache of 16 MiB: modernc's allocator puts each cached page
	// (a power of two and a header) in a slot of twice its size, so this
	// is 32 MiB of RSS; loading appends to the table's last pages, and a
	// bigger cache (64 MiB was 128 MiB of RSS) only held dirty pages
	// longer.
	pragmas = append(pragmas, "PRAGMA synchronous=OFF", "PRAGMA wal_autocheckpoint=0", "PRAGMA cache_size=-16384", "PRAGMA temp_store=MEMORY")
	for _, p := range pragmas {
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
		if err := w.exec(ctx, "DELETE FROM "+w.from); err != nil {
			return w.wrap("overwrite: delete the old rows", err)
		}
	case ferry.ModePartitionOverwrite:
		if err := w.exec(ctx, "DELETE FROM "+w.from+" WHERE ("+w.cfg.Partition+")"); err != nil {
			return w.wrap("partition-overwrite: delete the partition", err)
		}
		if err := w.guardPartition(ctx); err != nil {
			return err
		}
	}
	w.rows = max(1, min(w.cfg.BatchRows, MaxVariables/w.ncols))
	w.stmts = map[int]*sqlitelib.Stmt{}
	// Prepare the INSERT now, so that a misspelt column fails here rather
	// than at the first batch.
	if _, err := w.stmt(ctx, w.rows); err != nil {
		return err
	}
	if w.created {
		w.flush = startFlusher(w.tmpLock, flushEvery)
	}
	crashpoint.Hit("sqlitewriter.prepared")
	return nil
}

// partitionMessage is the message of the trigger that refuses a row outside
// the partition of partition-overwrite.
const partitionMessage = "ferry: row outside the partition"

// guardPartition makes partition-overwrite refuse rows outside the
// partition predicate, as PostgreSQL's writer does: otherwise they would be
// inserted, and a rerun (which deletes only the partition) would double
// them. A rowid table gets a TEMP trigger that checks each inserted row
// against the predicate (the predicate names the table's columns, so it is
// evaluated on the row read back by its rowid); a table WITHOUT ROWID is
// checked by counting the rows outside the partition again at Commit.
func (w *Writer) guardPartition(ctx context.Context) error {
	if w.withoutRowid {
		n, err := w.countOutside(ctx)
		if err != nil {
			return w.wrap("partition-overwrite: count the rows outside the partition", err)
		}
		w.outside = n
		return nil
	}
	rowid := w.rowidName()
	if rowid == "" {
		return w.errorf("partition-overwrite: the table has columns named rowid, _rowid_ and oid")
	}
	msg, _ := sqlident.SQLite.Literal(partitionMessage)
	trig := sqlident.SQLite.MustQuote("ferry_partition_" + w.cfg.RunID)
	ddl := fmt.Sprintf("CREATE TEMP TRIGGER %s AFTER INSERT ON %s WHEN NOT EXISTS (SELECT 1 FROM %s WHERE %s = NEW.%s AND (%s)) BEGIN SELECT RAISE(ABORT, %s); END",
		trig, w.from, w.from, rowid, rowid, w.cfg.Partition, msg)
	if err := w.exec(ctx, ddl); err != nil {
		return w.wrap("partition-overwrite: check the partition predicate", err)
	}
	return nil
}

func (w *Writer) countOutside(ctx context.Context) (int64, error) {
	rows, err := w.queryAll(ctx, "SELECT count(*) FROM "+w.from+" WHERE NOT coalesce(("+w.cfg.Partition+"), 0)")
	if err != nil {
		return 0, err
	}
	n, _ := rows[0][0].(int64)
	return n, nil
}

// rowidName is a name of the rowid that no column of the table takes.
func (w *Writer) rowidName() string {
	for _, alias := range []string{"rowid", "_rowid_", "oid"} {
		if !slices.ContainsFunc(w.tableCols, func(c string) bool { return strings.EqualFold(c, alias) }) {
			return alias
		}
	}
	return ""
}

func isPartitionError(err error) bool {
	return err != nil && strings.Contains(err.Error(), partitionMessage)
}

// prepareTable creates the table or checks the existing one, and builds the
// INSERT statement's parts.
func (w *Writer) prepareTable(ctx context.Context) error {
	info, err := w.queryAll(ctx, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?, ?)`, w.tname, w.tschema)
	if err != nil {
		if isNotADatabase(err) {
			return fmt.Errorf("sqlitewriter: open %s: %w", w.cfg.Path, err)
		}
		return w.wrap("read the table's columns", err)
	}
	var pk []string
	if len(info) == 0 {
		createKey := w.cfg.Key
		if len(createKey) == 0 {
			createKey = ferry.PrimaryKey(w.schema)
		}
		ddl, err := createTableSQL(w.from, w.schema, createKey)
		if err != nil {
			return w.errorf("create table: %w", err)
		}
		if w.cfg.NoCreate {
			return w.errorf("the table does not exist (and create=false): create it first, in preSql or beforehand, "+
				"or drop create=false to let the writer run: %s", ddl)
		}
		if err := w.exec(ctx, ddl); err != nil {
			return w.wrap("create table", err)
		}
		pk = createKey
		for _, f := range w.schema.Fields() {
			w.tableCols = append(w.tableCols, f.Name)
		}
	} else {
		list, err := w.queryAll(ctx, `SELECT wr FROM pragma_table_list WHERE schema = ? AND name = ?`, w.tschema, w.tname)
		if err == nil && len(list) == 1 {
			w.withoutRowid = list[0][0] == int64(1)
		}
		have := map[string]bool{}
		pkAt := map[int64]string{}
		type required struct{ name, decl string }
		var notNull []required
		npk := 0
		for _, row := range info {
			if n, _ := row[4].(int64); n > 0 {
				npk++
			}
		}
		for _, row := range info {
			name, _ := row[0].(string)
			decl, _ := row[1].(string)
			nn, _ := row[2].(int64)
			n, _ := row[4].(int64)
			hidden, _ := row[5].(int64)
			if hidden != 0 { // generated columns and hidden virtual-table columns take no value
				continue
			}
			have[strings.ToLower(name)] = true
			w.tableCols = append(w.tableCols, name)
			if n > 0 {
				pkAt[n] = name
			}
			rowidAlias := !w.withoutRowid && npk == 1 && n == 1 && strings.EqualFold(strings.TrimSpace(decl), "INTEGER")
			if nn == 1 && row[3] == nil && !rowidAlias {
				notNull = append(notNull, required{name, decl})
			}
		}
		for i := int64(1); i <= int64(len(pkAt)); i++ {
			pk = append(pk, pkAt[i])
		}
		for _, f := range w.schema.Fields() {
			if !have[strings.ToLower(f.Name)] {
				return w.errorf("the table has no column %q (it has %s)", f.Name, strings.Join(w.tableCols, ", "))
			}
		}
		// A NOT NULL column without a default that the source does not
		// fill would make every row dirty: say so now.
		var missing []string
		for _, r := range notNull {
			if !slices.ContainsFunc(w.schema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, r.name) }) {
				missing = append(missing, fmt.Sprintf("%s %s NOT NULL", r.name, r.decl))
			}
		}
		if len(missing) > 0 {
			return w.errorf("column(s) %s have no default and the source has no such column: every row would be refused; "+
				"give them a DEFAULT, map a source column to them, or make them nullable", strings.Join(missing, ", "))
		}
	}
	w.key = w.cfg.Key
	if len(w.key) == 0 {
		w.key = pk
	}
	quoted := make([]string, w.ncols)
	for i, f := range w.schema.Fields() {
		quoted[i] = sqlident.SQLite.MustQuote(f.Name)
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
		if err := w.checkUniqueKey(ctx, pk); err != nil {
			return err
		}
		isKey := map[string]bool{}
		qk := make([]string, len(w.key))
		for i, k := range w.key {
			isKey[strings.ToLower(k)] = true
			q, err := sqlident.SQLite.Quote(k)
			if err != nil {
				return w.errorf("key: %w", err)
			}
			qk[i] = q
		}
		var sets []string
		for _, f := range w.schema.Fields() {
			if !isKey[strings.ToLower(f.Name)] {
				q := sqlident.SQLite.MustQuote(f.Name)
				sets = append(sets, fmt.Sprintf("%s = excluded.%s", q, q))
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

// checkUniqueKey reports an upsert key that no PRIMARY KEY or UNIQUE index
// of the table covers exactly (ON CONFLICT needs one), and a key column the
// source does not have.
func (w *Writer) checkUniqueKey(ctx context.Context, pk []string) error {
	for _, k := range w.key {
		if !slices.ContainsFunc(w.schema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, k) }) {
			return w.errorf("upsert key column %q is not a column of the source", k)
		}
	}
	same := func(cols []string) bool {
		if len(cols) != len(w.key) {
			return false
		}
		for _, k := range w.key {
			if !slices.ContainsFunc(cols, func(c string) bool { return strings.EqualFold(c, k) }) {
				return false
			}
		}
		return true
	}
	if same(pk) {
		return nil
	}
	idx, err := w.queryAll(ctx, `SELECT name FROM pragma_index_list(?, ?) WHERE "unique" = 1 AND partial = 0`, w.tname, w.tschema)
	if err != nil {
		return w.wrap("upsert: read the table's indexes", err)
	}
	for _, row := range idx {
		name, _ := row[0].(string)
		cols, err := w.queryAll(ctx, `SELECT name FROM pragma_index_info(?, ?)`, name, w.tschema)
		if err != nil {
			return w.wrap("upsert: read the table's indexes", err)
		}
		var names []string
		for _, c := range cols {
			n, _ := c[0].(string)
			names = append(names, n)
		}
		if same(names) {
			return nil
		}
	}
	return w.errorf("upsert: no PRIMARY KEY or UNIQUE index on (%s): create one (CREATE UNIQUE INDEX ... ON %s (%s)) or set key= to the columns of one",
		strings.Join(w.key, ", "), w.from, strings.Join(w.key, ", "))
}

// stmt returns the prepared INSERT of n rows.
func (w *Writer) stmt(ctx context.Context, n int) (*sqlitelib.Stmt, error) {
	if s, ok := w.stmts[n]; ok {
		return s, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s) VALUES ", w.verb, w.from, w.colList)
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
	s, err := w.conn.Prepare(b.String())
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
	bw := &batchWriter{w: w}
	w.open[bw] = true
	return bw, nil
}

// Commit runs PostSQL and commits the transaction, durably: an existing
// file is checkpointed with synchronous=FULL; a new file, built under its
// temporary name, is fsynced and linked into place (then the directory is
// fsynced).
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	crashpoint.Hit("sqlitewriter.commit")
	if !w.inTx || w.done {
		return w.errorf("Commit without a prepared run")
	}
	for _, s := range w.cfg.PostSQL {
		if err := w.exec(ctx, s); err != nil {
			return w.wrap("postSql", err)
		}
	}
	if w.mode == ferry.ModePartitionOverwrite && w.withoutRowid {
		n, err := w.countOutside(ctx)
		if err != nil {
			return w.wrap("partition-overwrite: count the rows outside the partition", err)
		}
		if n != w.outside {
			return w.errorf("partition-overwrite: %d written row(s) are outside the partition (%s); nothing was committed", n-w.outside, w.cfg.Partition)
		}
	}
	w.closeStmts()
	ctx = context.WithoutCancel(ctx)
	if err := w.exec(ctx, "COMMIT"); err != nil {
		return w.wrap("commit", err)
	}
	w.inTx, w.done, w.committed = false, true, true
	crashpoint.Hit("sqlitewriter.committed")
	if w.created {
		// Rollback-journal mode without sync: close, fsync the file
		// ourselves, and put it in place.
		err := w.flush.Stop()
		w.flush = nil
		if cerr := w.conn.Close(); err == nil {
			err = cerr
		}
		w.conn = nil
		if err == nil {
			err = syncFile(w.tmpPath)
		}
		if err == nil {
			err = publish(w.tmpPath, w.cfg.Path)
		}
		if err != nil {
			return w.wrap("publish the new database", err)
		}
		releaseTemp(w.tmpLock, w.tmpPath)
		w.tmpLock, w.created = nil, false
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

func hitLinked() { crashpoint.Hit("sqlitewriter.linked") }

// Abort rolls the transaction back: the table (created or not), its rows
// and whatever PreSQL did are as they were before Prepare. A database file
// the run created is removed (its temporary file: the destination path was
// never created).
func (w *Writer) Abort(ctx context.Context, cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	err := w.rollback()
	if w.created {
		if cerr := w.dropTemp(); err == nil {
			err = cerr
		}
	}
	return err
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

// dropTemp closes the connection and removes the temporary file of a new
// database that was not committed.
func (w *Writer) dropTemp() error {
	w.flush.Stop() // nothing of the file is kept
	w.flush = nil
	var err error
	if w.conn != nil {
		err = w.conn.Close()
		w.conn = nil
	}
	if rerr := removeDB(w.tmpPath); err == nil {
		err = rerr
	}
	releaseTemp(w.tmpLock, w.tmpPath)
	w.tmpLock, w.created = nil, false
	if err != nil {
		return fmt.Errorf("sqlitewriter: remove %s: %w", w.tmpPath, err)
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
// the connection. A new database that was not committed is removed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.rollback()
	if w.created {
		if cerr := w.dropTemp(); err == nil {
			err = cerr
		}
	}
	if w.conn != nil {
		if cerr := w.conn.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("sqlitewriter: close %s: %w", w.cfg.Path, cerr)
		}
		w.conn = nil
	}
	for bw := range w.open {
		bw.free()
	}
	return err
}

// groupStatements is how many INSERT statements (of BatchRows rows) a
// BatchWriter formats before it takes the Writer's lock, and then runs in
// one turn: the lock changes hands once per group, not once per statement
// (a hand-off wakes the waiting goroutine, and the connection is idle until
// it runs). On the bench's SQLite copy (1M rows, 2 workers) 1 → 4 → 16 →
// 32 statements per turn took 1.95 → 1.80 → 1.65 → 1.60 s; 64 was no
// better. Each statement's values take ~100 KiB of C memory.
const groupStatements = 32

type batchWriter struct {
	w *Writer
	// vals are the parameters of the next INSERTs (a group), filled before
	// taking the Writer's lock (see insertGroup).
	vals []*sqlitelib.Values
}

func (bw *batchWriter) free() {
	for _, v := range bw.vals {
		v.Close()
	}
	bw.vals = nil
	delete(bw.w.open, bw)
}

// values is the j-th Values of the BatchWriter.
func (bw *batchWriter) values(j int) *sqlitelib.Values {
	for len(bw.vals) <= j {
		bw.vals = append(bw.vals, sqlitelib.NewValues())
	}
	return bw.vals[j]
}

// Write inserts b with multi-row INSERT statements of BatchRows rows, the
// values bound straight from the Arrow arrays (under the Writer's lock: the
// statement and its C memory belong to the one connection).
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
	encs, err := binders(b)
	if err != nil {
		return w.errorf("%w", err)
	}
	var bad []dirty.RowError
	n := int(b.NumRows())
	for start := 0; start < n; {
		if err := ctx.Err(); err != nil {
			return w.wrap("insert", err)
		}
		// A group of statements, all written unless one fails: then the
		// ones before it are written, and [start, end) is the one that
		// failed, isolated below; the next group starts after it.
		at, err := bw.insertGroup(ctx, b, encs, start, n)
		start = at
		if err == nil {
			continue
		}
		end := min(start+w.rows, n)
		next := end
		if cerr := ctx.Err(); cerr != nil {
			// An interrupted statement: report the cancellation.
			return w.wrap("insert", fmt.Errorf("%w (%v)", cerr, err))
		}
		if isPartitionError(err) {
			return w.errorf("partition-overwrite: a row is outside the partition (%s); the run is refused so that a rerun cannot double it", w.cfg.Partition)
		}
		if !isDataError(err) {
			return w.wrap("insert", err)
		}
		chunk := b.NewSlice(int64(start), int64(end))
		err = bisect.Write(ctx, chunk, func(ctx context.Context, part arrow.RecordBatch) error {
			pe, err := binders(part)
			if err != nil {
				return err
			}
			return bw.insert(ctx, part, pe, 0, int(part.NumRows()))
		}, isDataError, columnOf)
		chunk.Release()
		if isPartitionError(err) {
			return w.errorf("partition-overwrite: a row is outside the partition (%s); the run is refused so that a rerun cannot double it", w.cfg.Partition)
		}
		rows := dirty.Rows(err)
		if err != nil && rows == nil {
			return w.wrap("insert", err)
		}
		for _, re := range rows {
			re.Row += int64(start)
			bad = append(bad, re)
		}
		start = next
	}
	crashpoint.Hit("sqlitewriter.write")
	if len(bad) > 0 {
		return &dirty.RowErrors{Rows: bad}
	}
	return nil
}

func binders(b arrow.RecordBatch) ([]binder, error) {
	bs := make([]binder, b.NumCols())
	for c := range bs {
		e, err := newBinder(b.Column(c))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", b.ColumnName(c), err)
		}
		bs[c] = e
	}
	return bs, nil
}

// Close frees the BatchWriter's memory: rows are in the write transaction
// as soon as Write returns.
func (bw *batchWriter) Close(ctx context.Context) error {
	w := bw.w
	w.mu.Lock()
	defer w.mu.Unlock()
	bw.free()
	return nil
}

// insert writes rows [start, end) of b, at most BatchRows of them, with one
// INSERT statement: all of them or, on error, none (bisect's single
// statements; Write runs groups, see insertGroup). The values are
// formatted straight from the Arrow arrays into the BatchWriter's Values
// (C memory, no Go allocation) before it takes the Writer's lock, so that
// one worker formats while another's INSERTs run; only binding and running
// the statements hold the connection.
func (bw *batchWriter) insert(ctx context.Context, b arrow.RecordBatch, bs []binder, start, end int) error {
	v := bw.values(0)
	if err := bw.format(v, b, bs, start, end); err != nil {
		return err
	}
	w := bw.w
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.run(ctx, v, end-start)
}

// insertGroup writes rows from start (of n) with up to groupStatements
// INSERT statements of BatchRows rows, formatted first and then run in one
// turn of the Writer's lock. It returns where the rows it wrote end and
// nil, or where the statement that failed (to format or to run) starts
// and its error: the statements before it are written, none after it.
func (bw *batchWriter) insertGroup(ctx context.Context, b arrow.RecordBatch, bs []binder, start, n int) (int, error) {
	w := bw.w
	var ferr error // formatting the statement after the formatted ones
	g := 0
	for at := start; g < groupStatements && at < n; g++ {
		end := min(at+w.rows, n)
		if ferr = bw.format(bw.values(g), b, bs, at, end); ferr != nil {
			break
		}
		at = end
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	at := start
	for j := 0; j < g; j++ {
		end := min(at+w.rows, n)
		if err := w.run(ctx, bw.vals[j], end-at); err != nil {
			return at, err
		}
		at = end
	}
	return at, ferr
}

// format fills v with the values of rows [start, end) of b.
func (bw *batchWriter) format(v *sqlitelib.Values, b arrow.RecordBatch, bs []binder, start, end int) error {
	v.Reset((end - start) * bw.w.ncols)
	cols := b.Columns()
	k := 1
	for r := start; r < end; r++ {
		for c, col := range cols {
			if col.IsNull(r) {
				v.Null(k)
			} else if err := bs[c](v, k, r); err != nil {
				return &encodeError{column: b.ColumnName(c), err: err}
			}
			k++
		}
	}
	return nil
}

// run runs the INSERT of rows rows with the values v; w.mu is held.
func (w *Writer) run(ctx context.Context, v *sqlitelib.Values, rows int) error {
	if !w.inTx || w.done {
		return w.errorf("Write after Commit or Abort")
	}
	s, err := w.stmt(ctx, rows)
	if err != nil {
		return err
	}
	return s.RunValues(ctx, v)
}

// isDataError reports whether err is about the rows rather than the
// database: a constraint violation, a type mismatch, a value too big, or a
// value the writer cannot store.
func isDataError(err error) bool {
	if isPartitionError(err) {
		return false
	}
	var ee *encodeError
	if errors.As(err, &ee) {
		return true
	}
	var le *sqlitelib.Error
	if errors.As(err, &le) {
		switch le.Primary() {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
			return true
		}
	}
	return false
}

func isNotADatabase(err error) bool {
	var le *sqlitelib.Error
	return errors.As(err, &le) && le.Primary() == sqlite3.SQLITE_NOTADB
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
