package mysqlwriter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/mysqlx"
)

// The stage of run R on a target in database D is three tables of D:
//
//	_ferry_R_m  the marker table: one row per done split (its rows and
//	            attempt), the run's description, "committed", "aborted"
//	_ferry_R_s  the staging table: the rows of the done splits, each tagged
//	            with its attempt in the column _ferry_att
//	_ferry_R_o  after an overwrite's swap: the target's old rows, until
//	            dropped; its existence means the swap happened
//
// A split attempt's rows and its marker commit in one transaction, which
// also deletes the rows of the split's earlier attempt; so the staging table
// always holds exactly one attempt per done split. In insert, overwrite and
// partition-overwrite the staging table is CREATE TABLE ... LIKE the target
// (its keys, indexes and checks, not its foreign keys); in upsert and
// replace it has the target's columns and no keys. Rows that conflict with
// the target's existing rows (a duplicate key in insert mode) fail Commit.

const (
	attCol     = "_ferry_att"
	seqCol     = "_ferry_seq"
	maxSplitID = 1000
	// DefaultStaleAge is how old the stage of a dead run prepared with
	// PrepareStage must be before the next run on the same target drops it
	// (a younger one may still be resumed).
	DefaultStaleAge = 24 * time.Hour
)

var stagePattern = regexp.MustCompile(`^_ferry_([a-z0-9_]{1,40})_([smo])$`)

func stageNames(t mysqlx.Table, run string) (stage, marker, old mysqlx.Table) {
	p := "_ferry_" + run + "_"
	return t.Sibling(p + "s"), t.Sibling(p + "m"), t.Sibling(p + "o")
}

func lockName(run string) string { return "ferry_" + run }

// seqStage reports the modes whose staging table keeps the load order in
// _ferry_seq (the last row for a key wins).
func (w *Writer) seqStage() bool {
	return w.cfg.Mode == ferry.ModeUpsert || w.cfg.Mode == ferry.ModeReplace
}

func splitKey(id string) string { return "s:" + id }

func newAttempt() int64 { return rand.Int64N(1<<62) + 1 }

// runInfo is the "run" row of the marker table.
type runInfo struct {
	Target  string `json:"target"`
	Mode    string `json:"mode"`
	OneShot bool   `json:"one_shot,omitempty"`
}

// lock takes the run's named lock on a connection kept while the writer is
// open. Another process of the same run may hold it already: then the run
// is live anyway, and OpenSplit tries again later.
func (w *Writer) lock(ctx context.Context) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mysqlwriter: connect: %w", err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", lockName(w.run)).Scan(&got); err != nil {
		conn.Close()
		return fmt.Errorf("mysqlwriter: lock run %s: %w", w.run, err)
	}
	if got.Int64 != 1 {
		conn.Close()
		return nil
	}
	w.lockConn = conn
	return nil
}

func (w *Writer) tableExists(ctx context.Context, t mysqlx.Table) (bool, error) {
	cond, args := t.SchemaArg("TABLE_SCHEMA")
	var n int
	err := w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = ? AND "+cond, append([]any{t.Name}, args...)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("mysqlwriter: look up %s: %w", t, err)
	}
	return n > 0, nil
}

func (w *Writer) readRun(ctx context.Context, marker mysqlx.Table) (runInfo, error) {
	var v string
	var ri runInfo
	if err := w.db.QueryRowContext(ctx, "SELECT v FROM "+marker.Quoted()+" WHERE k = 'run'").Scan(&v); err != nil {
		return ri, fmt.Errorf("mysqlwriter: marker table %s: %w", marker, err)
	}
	if err := json.Unmarshal([]byte(v), &ri); err != nil {
		return ri, fmt.Errorf("mysqlwriter: marker table %s: %w", marker, err)
	}
	return ri, nil
}

// checkRun checks that the stage being attached to is this target's, in
// this mode.
func (w *Writer) checkRun(ctx context.Context) error {
	ri, err := w.readRun(ctx, w.marker)
	if err != nil {
		return err
	}
	if ri.Target != w.table.String() || ri.Mode != string(w.cfg.Mode) {
		return fmt.Errorf("mysqlwriter: run %s is a %s run into %s, not %s into %s", w.run, ri.Mode, ri.Target, w.cfg.Mode, w.table)
	}
	return nil
}

// createStage creates the marker table, then the staging table.
func (w *Writer) createStage(ctx context.Context) error {
	q := "CREATE TABLE " + w.marker.Quoted() + ` (k VARBINARY(1024) NOT NULL PRIMARY KEY, att BIGINT NOT NULL DEFAULT 0,
	  n BIGINT NOT NULL DEFAULT 0, v TEXT, at DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
	if _, err := w.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("mysqlwriter: create marker table for %s: %w", w.table, err)
	}
	ri, _ := json.Marshal(runInfo{Target: w.table.String(), Mode: string(w.cfg.Mode), OneShot: w.oneShot})
	if _, err := w.db.ExecContext(ctx, "INSERT INTO "+w.marker.Quoted()+" (k, v, at) VALUES ('run', ?, UTC_TIMESTAMP(6))", string(ri)); err != nil {
		return fmt.Errorf("mysqlwriter: create marker table for %s: %w", w.table, err)
	}
	var qs []string
	if w.cfg.Mode == ferry.ModeUpsert || w.cfg.Mode == ferry.ModeReplace {
		// No keys but (attempt, sequence): the same key may come several
		// times, and the last wins at Commit, in load order.
		qs = []string{
			"CREATE TABLE " + w.stage.Quoted() + " ENGINE=InnoDB AS SELECT " + w.columnList() + " FROM " + w.table.Quoted() + " WHERE 1=0",
			"ALTER TABLE " + w.stage.Quoted() + " ADD COLUMN " + attCol + " BIGINT NOT NULL DEFAULT 0, ADD COLUMN " + seqCol +
				" BIGINT NOT NULL DEFAULT 0, ADD PRIMARY KEY (" + attCol + ", " + seqCol + ")",
		}
	} else {
		// The target's keys and checks: a duplicate within the run is a
		// dirty row at load time, and overwrite swaps the stage in as is.
		qs = []string{
			"CREATE TABLE " + w.stage.Quoted() + " LIKE " + w.table.Quoted(),
			"ALTER TABLE " + w.stage.Quoted() + " ADD COLUMN " + attCol + " BIGINT NOT NULL DEFAULT 0",
		}
	}
	for _, q := range qs {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mysqlwriter: create staging table for %s: %w", w.table, err)
		}
	}
	return nil
}

// markers reads the marker table: the done splits and the end state.
func (w *Writer) markers(ctx context.Context, q queryer) (st ferry.StageStatus, err error) {
	rows, err := q.QueryContext(ctx, "SELECT k, n FROM "+w.marker.Quoted())
	if err != nil {
		return st, fmt.Errorf("mysqlwriter: read markers of run %s: %w", w.run, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return st, fmt.Errorf("mysqlwriter: read markers of run %s: %w", w.run, err)
		}
		switch {
		case strings.HasPrefix(k, "s:"):
			st.Done = append(st.Done, ferry.SplitMark{Split: k[2:], Rows: n})
		case k == "committed":
			st.Committed = true
		case k == "aborted":
			st.Aborted = true
		}
	}
	sort.Slice(st.Done, func(i, j int) bool { return st.Done[i].Split < st.Done[j].Split })
	return st, rows.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Status reads the run's markers from the destination. An overwrite whose
// swap happened but whose process died before recording it counts as
// committed: the new rows are in place.
func (w *Writer) Status(ctx context.Context) (ferry.StageStatus, error) {
	if w.run == "" {
		return ferry.StageStatus{}, errors.New("mysqlwriter: Status before PrepareStage")
	}
	ok, err := w.tableExists(ctx, w.marker)
	if err != nil {
		return ferry.StageStatus{}, err
	}
	if !ok {
		return ferry.StageStatus{}, fmt.Errorf("mysqlwriter: run %s has no marker table %s (never prepared, or collected)", w.run, w.marker)
	}
	st, err := w.markers(ctx, w.db)
	if err != nil {
		return st, err
	}
	if !st.Committed && (w.cfg.Mode == ferry.ModeOverwrite || w.cfg.Mode == ferry.ModeInsert) {
		swapped, err := w.swapped(ctx)
		if err != nil {
			return st, err
		}
		st.Committed = swapped
	}
	return st, nil
}

// swapped reports an overwrite swap that happened: the old rows wait
// under the run's name (RENAME TABLE is atomic).
func (w *Writer) swapped(ctx context.Context) (bool, error) {
	return w.tableExists(ctx, w.old)
}

// Commit makes the run visible according to the mode, records it in the
// marker table, then runs postSql. It is idempotent: a Commit of a
// committed run (in this process or another) returns nil and runs nothing.
// A COMMIT whose connection died returns an error wrapped with
// ferry.OutcomeUnknown; Status then says whether it happened.
func (w *Writer) Commit(ctx context.Context) error {
	crashpoint.Hit("mysqlwriter.commit")
	if w.schema == nil {
		return errors.New("mysqlwriter: Commit before Prepare")
	}
	w.mu.Lock()
	workers := w.workers
	w.mu.Unlock()
	for _, bw := range workers {
		if bw.inTx {
			return fmt.Errorf("mysqlwriter: Commit with the split %s neither closed nor discarded", bw.split)
		}
	}
	var did bool
	var err error
	switch w.cfg.Mode {
	case ferry.ModeOverwrite:
		did, err = w.commitSwap(ctx)
	case ferry.ModeInsert:
		// Into an empty plain table the stage is swapped in, like an
		// overwrite, instead of copied; the (empty) old table's rows, if a
		// concurrent writer added some meanwhile, are copied back.
		swapped, serr := w.swapped(ctx)
		if serr != nil {
			return serr
		}
		if swapped || w.emptyPlainTarget(ctx) {
			did, err = w.commitSwap(ctx)
		} else {
			did, err = w.commitTx(ctx)
		}
	default:
		did, err = w.commitTx(ctx)
	}
	if err != nil {
		return err
	}
	w.ended = true
	if !did {
		return nil
	}
	for _, q := range w.cfg.PostSQL {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mysqlwriter: postSql %q (the data is committed): %w", q, err)
		}
	}
	return nil
}

// commitTx applies the stage to the target and records the commit in one
// transaction. did is false when the run was committed before.
func (w *Writer) commitTx(ctx context.Context) (did bool, err error) {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("mysqlwriter: commit into %s: %w", w.table, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "START TRANSACTION"); err != nil {
		return false, fmt.Errorf("mysqlwriter: commit into %s: %w", w.table, err)
	}
	inTx := true
	defer func() {
		if inTx {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var k string
	err = conn.QueryRowContext(ctx, "SELECT k FROM "+w.marker.Quoted()+" WHERE k IN ('committed', 'aborted') FOR UPDATE").Scan(&k)
	switch {
	case err == nil && k == "committed":
		w.dropStage(ctx)
		return false, nil
	case err == nil:
		return false, fmt.Errorf("mysqlwriter: Commit of run %s, which was aborted", w.run)
	case err != sql.ErrNoRows:
		return false, fmt.Errorf("mysqlwriter: commit into %s: %w", w.table, err)
	}
	tgt, stg, cols := w.table.Quoted(), w.stage.Quoted(), w.columnList()
	var q string
	switch w.cfg.Mode {
	case ferry.ModePartitionOverwrite:
		var outside int64
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+stg+" WHERE ("+w.cfg.Partition+") IS NOT TRUE").Scan(&outside); err != nil {
			return false, fmt.Errorf("mysqlwriter: check the rows against partition %q: %w", w.cfg.Partition, err)
		}
		if outside > 0 {
			return false, fmt.Errorf("mysqlwriter: %d rows are outside partition %q of %s: nothing was changed (fix the partition or the source's where)", outside, w.cfg.Partition, w.table)
		}
		if _, err := conn.ExecContext(ctx, "DELETE FROM "+tgt+" WHERE "+w.cfg.Partition); err != nil {
			return false, fmt.Errorf("mysqlwriter: delete partition %q of %s: %w", w.cfg.Partition, w.table, err)
		}
		q = "INSERT INTO " + tgt + " (" + cols + ") SELECT " + cols + " FROM " + stg
	case ferry.ModeUpsert:
		var set []string
		for _, f := range w.schema.Fields() {
			if !containsFold(w.cfg.Key, f.Name) {
				set = append(set, mysqlx.MustQuote(f.Name)+" = VALUES("+mysqlx.MustQuote(f.Name)+")")
			}
		}
		if len(set) == 0 { // only key columns: nothing to update
			f := mysqlx.MustQuote(w.schema.Field(0).Name)
			set = append(set, f+" = "+f)
		}
		q = "INSERT INTO " + tgt + " (" + cols + ") SELECT " + cols + " FROM " + stg + " ORDER BY " + attCol + ", " + seqCol + " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
	case ferry.ModeReplace:
		q = "REPLACE INTO " + tgt + " (" + cols + ") SELECT " + cols + " FROM " + stg + " ORDER BY " + attCol + ", " + seqCol
	default:
		q = "INSERT INTO " + tgt + " (" + cols + ") SELECT " + cols + " FROM " + stg
	}
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return false, fmt.Errorf("mysqlwriter: apply the staged rows to %s: %w", w.table, err)
	}
	if err := w.runChecks(ctx, conn, tgt); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO "+w.marker.Quoted()+" (k, at) VALUES ('committed', UTC_TIMESTAMP(6))"); err != nil {
		return false, fmt.Errorf("mysqlwriter: record the commit of run %s: %w", w.run, err)
	}
	crashpoint.Hit("mysqlwriter.commit_tx")
	if beforeCommit != nil {
		beforeCommit(ctx, conn)
	}
	inTx = false
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		if outcomeKnown(err) {
			return false, fmt.Errorf("mysqlwriter: commit into %s: %w", w.table, err)
		}
		return false, ferry.OutcomeUnknown(fmt.Errorf("mysqlwriter: commit into %s (Status tells whether it happened): %w", w.table, err))
	}
	w.dropStage(ctx)
	return true, nil
}

// commitSwap swaps the stage in with one RENAME TABLE. The old table is
// named from the run, so a run killed between the RENAME and the DROP is
// recognised (by Status, Commit, the next run and CollectStages) as
// committed, and its old rows are dropped.
func (w *Writer) commitSwap(ctx context.Context) (did bool, err error) {
	st, err := w.markers(ctx, w.db)
	if err != nil {
		return false, err
	}
	if st.Aborted {
		return false, fmt.Errorf("mysqlwriter: Commit of run %s, which was aborted", w.run)
	}
	oldThere, err := w.tableExists(ctx, w.old)
	if err != nil {
		return false, err
	}
	switch {
	case st.Committed:
		if oldThere {
			w.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.old.Quoted())
		}
		w.dropStage(ctx)
		return false, nil
	case oldThere:
		// Swapped by a process that died before recording it.
		return true, w.finishSwap(ctx)
	}
	stageThere, err := w.tableExists(ctx, w.stage)
	if err != nil {
		return false, err
	}
	if !stageThere {
		return false, fmt.Errorf("mysqlwriter: run %s has no staging table %s (collected?)", w.run, w.stage)
	}
	if err := w.dropStageCols(ctx); err != nil {
		return false, err
	}
	if w.verify != nil {
		// The stage is the new table: check it before it is swapped in.
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return false, fmt.Errorf("mysqlwriter: checks on %s: %w", w.stage, err)
		}
		if _, err = conn.ExecContext(ctx, "START TRANSACTION READ ONLY"); err == nil {
			err = w.runChecks(ctx, conn, w.stage.Quoted())
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
		conn.Close()
		if err != nil {
			return false, err
		}
	}
	tgt := w.table.Quoted()
	if _, err := w.db.ExecContext(ctx, "RENAME TABLE "+tgt+" TO "+w.old.Quoted()+", "+w.stage.Quoted()+" TO "+tgt); err != nil {
		if outcomeKnown(err) {
			return false, fmt.Errorf("mysqlwriter: swap the new rows into %s: %w", w.table, err)
		}
		return false, ferry.OutcomeUnknown(fmt.Errorf("mysqlwriter: swap the new rows into %s (Status tells whether it happened): %w", w.table, err))
	}
	crashpoint.Hit("mysqlwriter.swap")
	return true, w.finishSwap(ctx)
}

// dropStageCols drops the attempt and sequence columns from the staging
// table before the swap (instant in MariaDB 10.4+ and MySQL 8.0.29+). A
// Commit resumed after a kill finds them gone already.
func (w *Writer) dropStageCols(ctx context.Context) error {
	cond, args := w.stage.SchemaArg("TABLE_SCHEMA")
	rows, err := w.db.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_NAME = ? AND COLUMN_NAME IN (?, ?) AND "+cond,
		append([]any{w.stage.Name, attCol, seqCol}, args...)...)
	if err != nil {
		return fmt.Errorf("mysqlwriter: columns of %s: %w", w.stage, err)
	}
	var drops []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return fmt.Errorf("mysqlwriter: columns of %s: %w", w.stage, err)
		}
		drops = append(drops, "DROP COLUMN "+mysqlx.MustQuote(c))
	}
	rows.Close()
	if len(drops) == 0 {
		return nil
	}
	if _, err := w.db.ExecContext(ctx, "ALTER TABLE "+w.stage.Quoted()+" "+strings.Join(drops, ", ")); err != nil {
		return fmt.Errorf("mysqlwriter: prepare the staging table of %s for the swap: %w", w.table, err)
	}
	return nil
}

// emptyPlainTarget reports a target that an insert can swap the stage into:
// no rows, no triggers and no foreign keys (CREATE TABLE ... LIKE copies
// neither). On any doubt it says no.
func (w *Writer) emptyPlainTarget(ctx context.Context) bool {
	var one int
	if err := w.db.QueryRowContext(ctx, "SELECT 1 FROM "+w.table.Quoted()+" LIMIT 1").Scan(&one); err != sql.ErrNoRows {
		return false
	}
	cond, args := w.table.SchemaArg("EVENT_OBJECT_SCHEMA")
	var n int
	if err := w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_TABLE = ? AND "+cond,
		append([]any{w.table.Name}, args...)...).Scan(&n); err != nil || n > 0 {
		return false
	}
	c1, a1 := w.table.SchemaArg("CONSTRAINT_SCHEMA")
	c2, a2 := w.table.SchemaArg("UNIQUE_CONSTRAINT_SCHEMA")
	args = append(append(append([]any{w.table.Name}, a1...), w.table.Name), a2...)
	if err := w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE (TABLE_NAME = ? AND "+c1+
		") OR (REFERENCED_TABLE_NAME = ? AND "+c2+")", args...).Scan(&n); err != nil || n > 0 {
		return false
	}
	return true
}

// finishSwap records the swap and drops the old rows. After an insert's
// swap, rows a concurrent writer put into the old table are copied into the
// new one in the transaction that records the commit.
func (w *Writer) finishSwap(ctx context.Context) error {
	if w.cfg.Mode == ferry.ModeInsert {
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("mysqlwriter: record the commit of run %s (the new rows are in place): %w", w.run, err)
		}
		defer conn.Close()
		for _, q := range []string{
			"START TRANSACTION",
			"INSERT INTO " + w.table.Quoted() + " SELECT * FROM " + w.old.Quoted(),
			"INSERT IGNORE INTO " + w.marker.Quoted() + " (k, at) VALUES ('committed', UTC_TIMESTAMP(6))",
			"COMMIT",
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
				return fmt.Errorf("mysqlwriter: copy the rows written into %s during the swap back from %s: %w", w.table, w.old, err)
			}
		}
	} else if _, err := w.db.ExecContext(ctx, "INSERT IGNORE INTO "+w.marker.Quoted()+" (k, at) VALUES ('committed', UTC_TIMESTAMP(6))"); err != nil {
		return fmt.Errorf("mysqlwriter: record the commit of run %s (the new rows are in place): %w", w.run, err)
	}
	if _, err := w.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.old.Quoted()); err != nil {
		return fmt.Errorf("mysqlwriter: drop the old rows of %s (kept as %s; the new rows are in place): %w", w.table, w.old, err)
	}
	w.dropStage(ctx)
	return nil
}

// beforeCommit, when a test sets it, runs just before a commit
// transaction's COMMIT.
var beforeCommit func(ctx context.Context, conn *sql.Conn)

// outcomeKnown reports a failed statement that the server answered, so
// that it surely did not apply: any server error but those sent when the
// connection is killed or the server shuts down mid-statement. A lost
// connection (no answer) is not known.
func outcomeKnown(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1053, 1927, 1152, 1158, 1159, 1160, 1161, 2006, 2013: // shutdown, killed, aborted, net errors, gone away, lost
		return false
	}
	return true
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
	_, err := w.db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+w.stage.Quoted())
	return err
}

// Abort ends the run without changing the target: it rolls back this
// process's open attempts, records the abort and drops the staging table
// (preSql is not undone). It works from any process that prepared or
// attached to the run. Abort of a committed run is an error.
func (w *Writer) Abort(ctx context.Context, cause error) error {
	ctx = context.WithoutCancel(ctx)
	w.mu.Lock()
	workers := w.workers
	w.mu.Unlock()
	for _, bw := range workers {
		bw.Discard(ctx)
	}
	if w.run == "" {
		return nil
	}
	ok, err := w.tableExists(ctx, w.marker)
	if err != nil {
		return err
	}
	if ok {
		st, err := w.Status(ctx)
		if err != nil {
			return err
		}
		if st.Committed {
			return fmt.Errorf("mysqlwriter: Abort of run %s, which is committed", w.run)
		}
		if _, err := w.db.ExecContext(ctx, "INSERT IGNORE INTO "+w.marker.Quoted()+" (k, at) VALUES ('aborted', UTC_TIMESTAMP(6))"); err != nil {
			return fmt.Errorf("mysqlwriter: record the abort of run %s: %w", w.run, err)
		}
	}
	w.ended = true
	if err := w.dropStage(ctx); err != nil {
		return fmt.Errorf("mysqlwriter: drop staging table %s: %w", w.stage, err)
	}
	return nil
}

// CollectStages drops the stages that runs other than this writer's left on
// its target (in the target's database): those older than minAge whose run
// holds no lock (no live process). An overwrite killed between its swap and
// dropping the old rows is finished (the old rows are dropped: the new ones
// are in place). It returns the tables dropped, or with dryRun those it
// would drop. It needs no Prepare.
func (w *Writer) CollectStages(ctx context.Context, minAge time.Duration, dryRun bool) ([]string, error) {
	return w.collect(ctx, func(age time.Duration, ri *runInfo, st ferry.StageStatus) bool { return age >= minAge }, dryRun)
}

// collectStale drops, at the start of a run, the stages of dead runs on
// the same target that nobody can resume: ended ones, those of one-process
// runs, and those older than StaleAge.
func (w *Writer) collectStale(ctx context.Context) error {
	staleAge := w.cfg.StaleAge
	if staleAge == 0 {
		staleAge = DefaultStaleAge
	}
	_, err := w.collect(ctx, func(age time.Duration, ri *runInfo, st ferry.StageStatus) bool {
		return st.Committed || st.Aborted || ri != nil && ri.OneShot || age >= staleAge
	}, false)
	return err
}

type stageRun struct {
	tables map[byte]string // 's', 'm', 'o' → table name
	age    time.Duration   // of the oldest table
}

func (w *Writer) collect(ctx context.Context, stale func(age time.Duration, ri *runInfo, st ferry.StageStatus) bool, dryRun bool) ([]string, error) {
	cond, args := w.table.SchemaArg("TABLE_SCHEMA")
	rows, err := w.db.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(TIMESTAMPDIFF(SECOND, CREATE_TIME, NOW()), 0)
	  FROM information_schema.TABLES WHERE TABLE_NAME LIKE '\_ferry\_%' AND `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("mysqlwriter: list stages: %w", err)
	}
	runs := map[string]*stageRun{}
	for rows.Next() {
		var name string
		var secs int64
		if err := rows.Scan(&name, &secs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("mysqlwriter: list stages: %w", err)
		}
		m := stagePattern.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		r := runs[m[1]]
		if r == nil {
			r = &stageRun{tables: map[byte]string{}}
			runs[m[1]] = r
		}
		r.tables[m[2][0]] = name
		r.age = max(r.age, time.Duration(secs)*time.Second)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysqlwriter: list stages: %w", err)
	}
	ids := make([]string, 0, len(runs))
	for id := range runs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var dropped []string
	for _, id := range ids {
		if id == w.run {
			continue
		}
		r := runs[id]
		var used sql.NullInt64
		if err := w.db.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", lockName(id)).Scan(&used); err != nil {
			return dropped, fmt.Errorf("mysqlwriter: lock of run %s: %w", id, err)
		}
		if used.Valid {
			continue // a live process holds the run
		}
		o := &Writer{db: w.db, run: id, table: w.table, cfg: w.cfg}
		o.stage, o.marker, o.old = stageNames(w.table, id)
		var ri *runInfo
		var st ferry.StageStatus
		if _, ok := r.tables['m']; ok {
			info, err := o.readRun(ctx, o.marker)
			if err != nil {
				continue // not a marker table of ours
			}
			var us int64
			if err := w.db.QueryRowContext(ctx, "SELECT TIMESTAMPDIFF(MICROSECOND, at, UTC_TIMESTAMP(6)) FROM "+o.marker.Quoted()+" WHERE k = 'run'").Scan(&us); err == nil {
				r.age = time.Duration(us) * time.Microsecond // more precise than CREATE_TIME
			}
			if info.Target != w.table.String() {
				continue // another target's run
			}
			ri = &info
			if st, err = o.markers(ctx, w.db); err != nil {
				return dropped, err
			}
			if name, old := r.tables['o']; old {
				if !st.Committed && info.Mode == string(ferry.ModeInsert) {
					var one int
					if err := w.db.QueryRowContext(ctx, "SELECT 1 FROM "+w.table.Sibling(name).Quoted()+" LIMIT 1").Scan(&one); err != sql.ErrNoRows {
						continue // rows written during an insert's swap: Commit copies them back
					}
				}
				st.Committed = true // the swap happened
			}
		}
		if !stale(r.age, ri, st) {
			continue
		}
		for _, k := range []byte{'s', 'o', 'm'} {
			name, ok := r.tables[k]
			if !ok {
				continue
			}
			t := w.table.Sibling(name)
			dropped = append(dropped, t.String())
			if dryRun {
				continue
			}
			if k == 'o' && ri != nil && st.Committed {
				// The swap happened: the old rows are no longer wanted.
				o.db.ExecContext(ctx, "INSERT IGNORE INTO "+o.marker.Quoted()+" (k, at) VALUES ('committed', UTC_TIMESTAMP(6))")
			}
			if _, err := w.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t.Quoted()); err != nil {
				return dropped, fmt.Errorf("mysqlwriter: drop %s: %w", t, err)
			}
		}
	}
	return dropped, nil
}

// splitLock serialises the closes of attempts at one split, across
// processes.
func (w *Writer) splitLock(split string) string {
	return fmt.Sprintf("ferry_%s_%08x", w.run, crc32.ChecksumIEEE([]byte(split)))
}
