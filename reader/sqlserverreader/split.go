package sqlserverreader

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// maxSnapshotConns caps the snapshot pool: more concurrent Reads wait for a
// connection.
const maxSnapshotConns = 32

// sampleAbove is the estimated row count above which the boundaries of a
// non-integer key are computed from a TABLESAMPLE instead of every row.
const sampleAbove = 10_000_000

// splitSpec is the Spec of a split: a half-open key range [Lo, Hi) of
// SplitPK (a nil end is unbounded), the rows whose key is NULL, or the
// whole source.
type splitSpec struct {
	Whole bool    `json:"whole,omitempty"`
	Null  bool    `json:"null,omitempty"`
	Kind  string  `json:"kind,omitempty"` // "int", "text" (nvarchar), "vtext" (varchar): how Lo and Hi are bound
	Lo    *string `json:"lo,omitempty"`
	Hi    *string `json:"hi,omitempty"`
}

// bind returns a range end as the value to bind: integers as bigint,
// char/varchar keys as varchar (an nvarchar parameter would convert the
// column and lose its index), others as nvarchar text that the server
// converts to the key's type (its precedence is higher), exactly, since the
// text was made by CONVERT(..., 126) from a key value.
func (s *splitSpec) bind(v string) any {
	switch s.Kind {
	case "int":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "vtext":
		return mssql.VarChar(v)
	}
	return v
}

// splitKind says how keys of kind k are bound, "" when k cannot split.
func splitKind(k mssqlx.Kind) string {
	switch k {
	case mssqlx.KindTinyInt, mssqlx.KindSmallInt, mssqlx.KindInt, mssqlx.KindBigInt:
		return "int"
	case mssqlx.KindString:
		return "text" // "vtext" for char/varchar: see keyBindKind
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney, mssqlx.KindDate, mssqlx.KindTime,
		mssqlx.KindDateTime, mssqlx.KindSmallDateTime, mssqlx.KindDateTime2, mssqlx.KindDateTimeOffset, mssqlx.KindGUID:
		return "text"
	}
	return ""
}

func keyBindKind(c *column) string {
	k := splitKind(c.kind)
	if k == "text" && (c.Type == "char" || c.Type == "varchar" || c.Type == "text") {
		return "vtext"
	}
	return k
}

// boundExpr is how a key value is fetched as text that converts back to
// the same value: style 126 (ISO 8601, every digit) for dates and times.
func boundExpr(c *column, expr string) string {
	switch c.kind {
	case mssqlx.KindString:
		return expr
	case mssqlx.KindDate, mssqlx.KindTime, mssqlx.KindDateTime, mssqlx.KindSmallDateTime, mssqlx.KindDateTime2, mssqlx.KindDateTimeOffset:
		return "CONVERT(nvarchar(40), " + expr + ", 126)"
	}
	return "CONVERT(nvarchar(60), " + expr + ")"
}

func mkSplit(id string, s splitSpec) ferry.Split {
	b, _ := json.Marshal(s)
	return ferry.Split{ID: id, Spec: b}
}

// Splits cuts the table into at most hint key ranges of SplitPK, plus one
// split for NULL keys when the key is nullable: integer keys into equal
// ranges between MIN and MAX; other keys at boundaries taken with NTILE in
// key order (over a TABLESAMPLE of about a million rows when the table
// holds more than ten million). The first and last ranges are open-ended,
// so every row belongs to exactly one split whatever the boundaries.
//
// It then prepares the consistency of Isolation (see the package
// documentation).
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	var splits []ferry.Split
	if r.pk == nil || hint <= 1 || r.cfg.Source.QuerySQL != "" {
		splits = []ferry.Split{mkSplit(r.cfg.Source.Name(), splitSpec{Whole: true})}
	} else {
		bounds, err := r.bounds(ctx, hint)
		if err != nil {
			return nil, err
		}
		splits = rangeSplits(r.cfg.Source.Table, keyBindKind(r.pk), bounds, r.pk.Nullable)
	}
	if err := r.prepareConsistency(ctx, min(max(hint, 1), len(splits), maxSnapshotConns)); err != nil {
		return nil, err
	}
	return splits, nil
}

// rangeSplits returns the splits between the sorted inner boundaries.
func rangeSplits(table, kind string, bounds []string, nullable bool) []ferry.Split {
	var out []ferry.Split
	var lo *string
	for i := 0; i <= len(bounds); i++ {
		var hi *string
		if i < len(bounds) {
			hi = &bounds[i]
		}
		id := fmt.Sprintf("%s[%s,%s)", table, deref(lo, "-inf"), deref(hi, "+inf"))
		out = append(out, mkSplit(id, splitSpec{Kind: kind, Lo: lo, Hi: hi}))
		lo = hi
	}
	if nullable {
		out = append(out, mkSplit(table+"[NULL]", splitSpec{Null: true}))
	}
	return out
}

func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func (r *Reader) where(extra string) string {
	var conds []string
	if r.cfg.Source.Where != "" {
		conds = append(conds, "("+r.cfg.Source.Where+")")
	}
	if extra != "" {
		conds = append(conds, extra)
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// minMaxSQL and ntileSQL are the boundary queries (golden-tested).
func (r *Reader) minMaxSQL() string {
	pk := r.pk.quoted
	return "SELECT CONVERT(nvarchar(30), MIN(" + pk + ")), CONVERT(nvarchar(30), MAX(" + pk + ")) FROM " + r.table.Quoted + r.where("")
}

func (r *Reader) ntileSQL(n int, samplePct int) string {
	pk := r.pk.quoted
	sample := ""
	if samplePct > 0 {
		sample = fmt.Sprintf(" TABLESAMPLE SYSTEM (%d PERCENT)", samplePct)
	}
	return fmt.Sprintf("SELECT %s FROM (SELECT %s AS k, NTILE(%d) OVER (ORDER BY %s) AS tile FROM %s%s%s) AS x GROUP BY tile ORDER BY tile",
		boundExpr(r.pk, "MAX(k)"), pk, n, pk, r.table.Quoted, sample, r.where(pk+" IS NOT NULL"))
}

const rowCountSQL = "SELECT ISNULL(SUM(row_count), 0) FROM %ssys.dm_db_partition_stats WHERE object_id = OBJECT_ID(@p1) AND index_id IN (0, 1)"

func (r *Reader) bounds(ctx context.Context, n int) ([]string, error) {
	if keyBindKind(r.pk) == "int" {
		var lo, hi sql.NullString
		if err := r.db.QueryRowContext(ctx, r.minMaxSQL()).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("sqlserverreader: key range of %s.%s: %w", r.cfg.Source.Table, r.pk.Name, err)
		}
		if !lo.Valid {
			return nil, nil
		}
		return intBounds(lo.String, hi.String, n), nil
	}
	pct := 0
	var rows int64
	if err := r.db.QueryRowContext(ctx, fmt.Sprintf(rowCountSQL, r.table.Catalog), r.table.Quoted).Scan(&rows); err == nil && rows > sampleAbove {
		pct = max(1, int(100*1_000_000/rows))
	}
	q := r.ntileSQL(n, pct)
	rs, err := r.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: sample key boundaries of %s: %w", r.cfg.Source.Table, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var b sql.NullString
		if err := rs.Scan(&b); err != nil {
			return nil, fmt.Errorf("sqlserverreader: sample key boundaries of %s: %w", r.cfg.Source.Table, err)
		}
		if b.Valid && (len(out) == 0 || out[len(out)-1] != b.String) {
			out = append(out, b.String)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("sqlserverreader: sample key boundaries of %s: %w", r.cfg.Source.Table, err)
	}
	if len(out) > 0 {
		out = out[:len(out)-1] // the last tile's maximum bounds nothing
	}
	return out, nil
}

// intBounds returns up to n-1 inner boundaries cutting [lo, hi] into equal
// ranges (no overflow over the whole int64 range).
func intBounds(los, his string, n int) []string {
	lo, err1 := strconv.ParseInt(los, 10, 64)
	hi, err2 := strconv.ParseInt(his, 10, 64)
	if err1 != nil || err2 != nil || hi <= lo || n < 2 {
		return nil
	}
	width := (uint64(hi) - uint64(lo)) / uint64(n)
	if width == 0 {
		width = 1
	}
	var out []string
	for k := 1; k < n; k++ {
		b := int64(uint64(lo) + width*uint64(k))
		if b > hi || b <= lo {
			break
		}
		out = append(out, strconv.FormatInt(b, 10))
	}
	return out
}

// prepareConsistency sets up Isolation for the splits about to be read
// by n concurrent readers.
func (r *Reader) prepareConsistency(ctx context.Context, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pool != nil || r.cfg.Isolation == IsolationReadCommitted {
		if r.pool == nil {
			r.consistency = "read committed: each split is read on its own connection when it is read"
		}
		return nil
	}
	on, dbName, err := r.snapshotAllowed(ctx)
	if err != nil {
		return err
	}
	if !on {
		if r.cfg.Isolation == IsolationRequireSnapshot {
			return fmt.Errorf("sqlserverreader: isolation=require-snapshot, but database %s has ALLOW_SNAPSHOT_ISOLATION OFF (ALTER DATABASE ... SET ALLOW_SNAPSHOT_ISOLATION ON, or use isolation=snapshot to fall back to read committed)", dbName)
		}
		r.consistency = fmt.Sprintf("read committed per split: database %s has ALLOW_SNAPSHOT_ISOLATION OFF, so splits read at different times may disagree", dbName)
		return nil
	}
	var conns []*sql.Conn
	fail := func(err error) error {
		for _, c := range conns {
			c.Close()
		}
		return fmt.Errorf("sqlserverreader: open snapshot: %w", err)
	}
	for range n {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		conns = append(conns, c)
	}
	how := "one snapshot (a single connection)"
	var lock *sql.Conn
	if n > 1 {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		// Writers are held off while the snapshots start, so every split
		// sees the same committed state; do not wait long behind one.
		_, err = c.ExecContext(ctx, "SET LOCK_TIMEOUT 10000; BEGIN TRANSACTION; SELECT TOP (1) 1 FROM "+r.table.Quoted+" WITH (TABLOCK, HOLDLOCK)")
		if err != nil {
			c.ExecContext(context.WithoutCancel(ctx), "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION")
			c.Close()
			how = fmt.Sprintf("%d SNAPSHOT transactions started back to back without a lock (the shared table lock failed: %v)", n, err)
		} else {
			lock = c
			how = fmt.Sprintf("one consistent state: %d SNAPSHOT transactions started under a shared lock on %s", n, r.table.Quoted)
		}
	}
	for _, c := range conns {
		if _, err = c.ExecContext(ctx, r.startSnapshotSQL(n > 1)); err != nil {
			break
		}
	}
	if lock != nil {
		lock.ExecContext(context.WithoutCancel(ctx), "IF @@TRANCOUNT > 0 COMMIT TRANSACTION")
		lock.Close()
	}
	if err != nil {
		return fail(err)
	}
	r.pool = make(chan *sql.Conn, n)
	for _, c := range conns {
		r.pool <- c
	}
	r.all = conns
	r.consistency = how
	return nil
}

// startSnapshotSQL begins a SNAPSHOT transaction; touch reads one row so
// that the snapshot starts now (it starts at the first data access).
func (r *Reader) startSnapshotSQL(touch bool) string {
	q := "SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRANSACTION"
	if touch {
		q += "; SELECT TOP (1) 1 FROM " + r.table.Quoted
	}
	return q
}

// snapshotAllowed reports whether the database of the source allows
// SNAPSHOT isolation, and its name.
func (r *Reader) snapshotAllowed(ctx context.Context) (bool, string, error) {
	q := "SELECT snapshot_isolation_state, name FROM sys.databases WHERE database_id = DB_ID()"
	var args []any
	if len(r.table.Parts) == 3 {
		q = "SELECT snapshot_isolation_state, name FROM sys.databases WHERE name = @p1"
		args = append(args, r.table.Parts[0])
	}
	var state int64
	var name string
	if err := r.db.QueryRowContext(ctx, q, args...).Scan(&state, &name); err != nil {
		return false, "", fmt.Errorf("sqlserverreader: read ALLOW_SNAPSHOT_ISOLATION: %w", err)
	}
	return state == 1, sqlident.SQLServer.MustQuote(name), nil
}

// readerState is the state ExportState ships.
type readerState struct {
	Consistency string `json:"consistency"`
}

// ExportState returns the consistency the planning process set up. SQL
// Server cannot hand a snapshot to another session, so there is nothing
// else to ship.
func (r *Reader) ExportState(ctx context.Context) (json.RawMessage, error) {
	return json.Marshal(readerState{Consistency: r.Consistency()})
}

// ImportState accepts the planner's state and says what this process does
// instead of sharing its snapshot: SQL Server snapshots cannot be shared
// between sessions, so each split read here is read in its own SNAPSHOT
// transaction when the database allows it (READ COMMITTED otherwise).
func (r *Reader) ImportState(ctx context.Context, state json.RawMessage) (string, error) {
	var st readerState
	if len(state) > 0 {
		if err := json.Unmarshal(state, &st); err != nil {
			return "", fmt.Errorf("sqlserverreader: bad reader state: %w", err)
		}
	}
	level := "READ COMMITTED"
	if r.cfg.Isolation != IsolationReadCommitted {
		on, db, err := r.snapshotAllowed(ctx)
		if err != nil {
			return "", err
		}
		if on {
			level = "SNAPSHOT"
		} else if r.cfg.Isolation == IsolationRequireSnapshot {
			return "", fmt.Errorf("sqlserverreader: isolation=require-snapshot, but database %s has ALLOW_SNAPSHOT_ISOLATION OFF", db)
		}
	}
	r.mu.Lock()
	r.perSplit = level
	r.consistency = "each split in its own " + level + " transaction (SQL Server cannot share the planner's snapshot with another session)"
	r.mu.Unlock()
	return fmt.Sprintf("sqlserverreader: the planner had %q; SQL Server snapshots cannot be shared between sessions, so this process reads each split in its own %s transaction", st.Consistency, level), nil
}
