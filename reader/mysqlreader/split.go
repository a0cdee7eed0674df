package mysqlreader

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
)

// maxSnapshotConns caps the snapshot pool: more concurrent Reads wait for a
// connection.
const maxSnapshotConns = 32

// splitSpec is the Spec of a split: a half-open key range [Lo, Hi) of
// SplitPK (a nil end is unbounded), the rows whose key is NULL, or the
// whole source.
type splitSpec struct {
	Whole bool    `json:"whole,omitempty"`
	Null  bool    `json:"null,omitempty"`
	Kind  string  `json:"kind,omitempty"` // "int", "uint" or "text": how Lo and Hi are bound
	Lo    *string `json:"lo,omitempty"`
	Hi    *string `json:"hi,omitempty"`
}

// bound returns a range end as the value to bind: integers as integers (a
// string compared with an integer column would be compared as a double).
func (s *splitSpec) bound(v *string) any {
	switch s.Kind {
	case "int":
		if n, err := strconv.ParseInt(*v, 10, 64); err == nil {
			return n
		}
	case "uint":
		if n, err := strconv.ParseUint(*v, 10, 64); err == nil {
			return n
		}
	}
	return *v
}

func mkSplit(id string, s splitSpec) ferry.Split {
	b, _ := json.Marshal(s)
	return ferry.Split{ID: id, Spec: b}
}

// Splits cuts the table into at most hint key ranges of SplitPK (by
// default the primary key, when it is a single integer column; integer
// keys: equal ranges between MIN and MAX; other keys: boundaries sampled at
// equal row counts in key order), plus one split for NULL keys when the key
// is nullable. The first and last ranges are open-ended, so every row
// belongs to exactly one split.
//
// Unless NoSnapshot is set, Splits also opens min(hint, splits) connections,
// each in a transaction WITH CONSISTENT SNAPSHOT started while the table is
// briefly locked (LOCK TABLES ... READ), so every split is read from the
// same state of the table; Read takes a connection from this pool.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	var splits []ferry.Split
	name := r.source()
	if r.cfg.SplitPK == "" || hint <= 1 || r.cfg.QuerySQL != "" {
		if hint > 1 {
			// Say in the plan why a parallel run gets one split.
			note := r.splitNote
			if r.cfg.QuerySQL != "" {
				note = "querySql is read as one split"
			}
			r.mu.Lock()
			r.splitNote = note
			r.mu.Unlock()
			name += " (one split: " + note + ")"
		}
		splits = []ferry.Split{mkSplit(name, splitSpec{Whole: true})}
	} else {
		var err error
		splits, err = r.rangeSplits(ctx, hint)
		if err != nil {
			return nil, err
		}
	}
	if !r.cfg.NoSnapshot {
		if err := r.openSnapshots(ctx, min(max(hint, 1), len(splits), maxSnapshotConns)); err != nil {
			return nil, err
		}
	}
	return splits, nil
}

func (r *Reader) where(extra string) string {
	var conds []string
	if r.cfg.Where != "" {
		conds = append(conds, "("+r.cfg.Where+")")
	}
	if extra != "" {
		conds = append(conds, extra)
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (r *Reader) rangeSplits(ctx context.Context, n int) ([]ferry.Split, error) {
	pk := mysqlx.MustQuote(r.cfg.SplitPK)
	tbl := r.table.Quoted()
	var bounds []string
	kind := "text"
	switch r.pkKind {
	case kInt8, kInt16, kInt32, kInt64, kUint8, kUint16, kUint32, kUint64:
		var lo, hi sql.NullString
		q := "SELECT MIN(" + pk + "), MAX(" + pk + ") FROM " + tbl + r.where("")
		if err := r.db.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("mysqlreader: key range of %s.%s: %w", r.cfg.Table, r.cfg.SplitPK, err)
		}
		unsigned := r.pkKind >= kUint8
		kind = map[bool]string{false: "int", true: "uint"}[unsigned]
		if lo.Valid {
			bounds = intBounds(lo.String, hi.String, n, unsigned)
		}
	default:
		var count int64
		if err := r.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tbl+r.where(pk+" IS NOT NULL")).Scan(&count); err != nil {
			return nil, fmt.Errorf("mysqlreader: count %s: %w", r.cfg.Table, err)
		}
		for k := 1; k < n && count > 0; k++ {
			var b sql.NullString
			q := "SELECT " + pk + " FROM " + tbl + r.where(pk+" IS NOT NULL") + " ORDER BY " + pk + " LIMIT 1 OFFSET " + strconv.FormatInt(count*int64(k)/int64(n), 10)
			if err := r.db.QueryRowContext(ctx, q).Scan(&b); err != nil && err != sql.ErrNoRows {
				return nil, fmt.Errorf("mysqlreader: sample key boundaries of %s: %w", r.cfg.Table, err)
			}
			if b.Valid && (len(bounds) == 0 || bounds[len(bounds)-1] != b.String) {
				bounds = append(bounds, b.String)
			}
		}
	}
	var out []ferry.Split
	var lo *string
	for i := 0; i <= len(bounds); i++ {
		var hi *string
		if i < len(bounds) {
			hi = &bounds[i]
		}
		id := fmt.Sprintf("%s[%s,%s)", r.cfg.Table, deref(lo, "-inf"), deref(hi, "+inf"))
		out = append(out, mkSplit(id, splitSpec{Kind: kind, Lo: lo, Hi: hi}))
		lo = hi
	}
	if r.pkNull {
		out = append(out, mkSplit(r.cfg.Table+"[NULL]", splitSpec{Null: true}))
	}
	return out, nil
}

func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

// intBounds returns up to n-1 inner boundaries cutting [lo, hi] in equal ranges.
func intBounds(los, his string, n int, unsigned bool) []string {
	var out []string
	if unsigned {
		lo, _ := strconv.ParseUint(los, 10, 64)
		hi, _ := strconv.ParseUint(his, 10, 64)
		width := (hi - lo) / uint64(n)
		if width == 0 {
			width = 1
		}
		for b := lo + width; len(out) < n-1 && b <= hi && b > lo; b += width {
			out = append(out, strconv.FormatUint(b, 10))
		}
		return out
	}
	lo, _ := strconv.ParseInt(los, 10, 64)
	hi, _ := strconv.ParseInt(his, 10, 64)
	width := uint64(hi-lo) / uint64(n) // hi-lo may overflow int64 but not uint64
	if width == 0 {
		width = 1
	}
	for k := 1; k < n; k++ {
		b := int64(uint64(lo) + width*uint64(k))
		if b > hi || b <= lo {
			break
		}
		out = append(out, strconv.FormatInt(b, 10))
	}
	return out
}

// openSnapshots opens n connections on one consistent snapshot.
func (r *Reader) openSnapshots(ctx context.Context, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pool != nil {
		return nil
	}
	var conns []*sql.Conn
	fail := func(err error) error {
		for _, c := range conns {
			c.Close()
		}
		return fmt.Errorf("mysqlreader: open snapshot: %w", err)
	}
	for range n {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		conns = append(conns, c)
	}
	how := "each split's connection took its own snapshot back to back (no lock: querySql)"
	var lock *sql.Conn
	if r.cfg.Table != "" && n > 1 {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		// Do not wait long behind a writer's open transaction: without the
		// lock the snapshots are still taken, back to back.
		c.ExecContext(ctx, "SET SESSION lock_wait_timeout = 10")
		if _, err := c.ExecContext(ctx, "LOCK TABLES "+r.table.Quoted()+" READ"); err != nil {
			c.Close()
			how = fmt.Sprintf("snapshots taken back to back without a lock (LOCK TABLES failed: %v)", err)
		} else {
			lock = c
			how = fmt.Sprintf("one consistent snapshot: %d connections started WITH CONSISTENT SNAPSHOT under LOCK TABLES %s READ", n, r.cfg.Table)
		}
	} else if n == 1 {
		how = "one consistent snapshot (a single connection)"
	}
	var err error
	for _, c := range conns {
		if _, err = c.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			break
		}
		if _, err = c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			break
		}
	}
	if lock != nil {
		lock.ExecContext(context.WithoutCancel(ctx), "UNLOCK TABLES")
		lock.Close()
	}
	if err != nil {
		return fail(err)
	}
	r.pool, r.alive, r.gone = make(chan *sql.Conn, n), n, make(chan struct{})
	for _, c := range conns {
		r.pool <- c
	}
	r.all = conns
	r.consistency = how
	return nil
}

var _ ferry.StatefulReader = (*Reader)(nil)

// readerState is what ExportState ships: how the planner read its splits.
type readerState struct {
	Consistency string `json:"consistency"`
}

// ExportState returns the planner's consistency. MySQL cannot hand a
// snapshot to another connection, let alone another process, so there is
// nothing else to ship: the split specs carry everything a Read needs.
func (r *Reader) ExportState(ctx context.Context) (json.RawMessage, error) {
	return json.Marshal(readerState{Consistency: r.Consistency()})
}

// ImportState accepts the planner's state and says what a Reader in another
// process gives: each split it reads is read on a snapshot of its own,
// taken when the split is read (the planner's snapshot cannot be shared).
func (r *Reader) ImportState(ctx context.Context, state json.RawMessage) (string, error) {
	var st readerState
	if len(state) > 0 {
		if err := json.Unmarshal(state, &st); err != nil {
			return "", fmt.Errorf("mysqlreader: bad reader state: %w", err)
		}
	}
	r.mu.Lock()
	r.consistency = "per split: MySQL cannot share the planner's snapshot with another process; each split read here has a consistent snapshot of its own"
	r.mu.Unlock()
	return r.consistency, nil
}
