package pgwriter

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
)

var _ ferry.DirectWriter = (*Writer)(nil)

// The largest run Direct takes: a source estimated at no more rows and no
// more bytes than these (either may be unknown, not both). Such a copy
// takes milliseconds, so the window in which a lost connection fails the
// run instead of retrying the split is small, and so is the time an
// overwrite holds the target's lock.
const (
	directMaxRows  = 10_000
	directMaxBytes = 8 << 20
)

// Direct reports whether a run of splits splits over a source of est's size
// may skip the stage (see ferry.DirectWriter): one split, a small source
// and mode insert, or overwrite of a target that no foreign key
// references (TRUNCATE would fail; the stage's swap re-creates such keys).
// The run's rows are then written straight into the target on the admin
// connection, in one transaction: insert COPYs into the target; overwrite
// TRUNCATEs the target just before the first COPY (so its lock is held only
// while the rows are written) and COPYs. Commit runs postSql and the checks
// in that transaction and commits it; nothing of the run is visible
// before, and a failure rolls it all back.
func (w *Writer) Direct(ctx context.Context, splits int, est ferry.Estimate) bool {
	if splits != 1 || w.admin != nil || w.stagedRun {
		return false
	}
	if w.cfg.Mode != ferry.ModeInsert && w.cfg.Mode != ferry.ModeOverwrite {
		return false
	}
	known := est.Rows > 0 || est.Bytes > 0
	if !known || est.Rows > directMaxRows || est.Bytes > directMaxBytes {
		return false
	}
	if w.cfg.Mode == ferry.ModeOverwrite {
		// the admin connection asks; it goes back for Prepare or
		// PrepareStage to take
		c, err := w.connectAdmin(ctx)
		if err != nil {
			return false
		}
		var referenced bool
		err = c.QueryRow(ctx, referencedSQL, w.target).Scan(&referenced)
		w.mu.Lock()
		w.warm = &spareConn{done: closedChan, cancel: func() {}, conn: c}
		w.mu.Unlock()
		if err != nil || referenced {
			return false
		}
	}
	w.direct = true
	return true
}

// closedChan is a closed channel: a spareConn whose dial is done.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// referencedSQL tells whether foreign keys of other tables reference $1
// (false when there is no such table yet).
const referencedSQL = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE contype = 'f' AND confrelid = to_regclass($1) AND conrelid <> confrelid)`

// directConn returns the direct run's one write connection, the admin
// connection, whose transaction starts with the first COPY. Called with
// w.mu held.
func (w *Writer) directConn() *wconn {
	if len(w.conns) == 0 {
		pending := "BEGIN"
		if w.cfg.Mode == ferry.ModeOverwrite {
			pending += "; TRUNCATE " + w.target
		}
		w.conns = append(w.conns, &wconn{conn: w.admin, pending: pending})
	}
	return w.conns[0]
}

// commitDirect ends a direct run: the transaction is begun (and an
// overwrite's target emptied) if no COPY did it, postSql and the checks run
// in it, and it commits.
func (w *Writer) commitDirect(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return errors.New("pgwriter: Commit after Commit or Abort")
	}
	w.done = true
	c := w.directConn()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken || c.conn == nil || c.conn.IsClosed() {
		return fmt.Errorf("pgwriter: commit into %s: the write connection was lost; nothing was committed", w.cfg.Table)
	}
	rollback := func(err error) error {
		exec(context.WithoutCancel(ctx), c.conn, "ROLLBACK")
		return err
	}
	if c.pending != "" {
		if _, err := c.conn.PgConn().Exec(ctx, c.pending).ReadAll(); err != nil {
			return rollback(fmt.Errorf("pgwriter: %s into %s: %w", w.cfg.Mode, w.cfg.Table, err))
		}
		c.pending = ""
	}
	for _, s := range w.cfg.PostSQL {
		if _, err := c.conn.Exec(ctx, s); err != nil {
			return rollback(fmt.Errorf("pgwriter: postSql %q: %w", s, err))
		}
	}
	if w.verify != nil {
		if err := w.verify(ctx, &querier{c: c.conn, table: w.target}); err != nil {
			return rollback(err)
		}
	}
	crashpoint.Hit("pgwriter.direct-commit")
	if err := exec(ctx, c.conn, "COMMIT"); err != nil {
		if isConnLost(err) || c.conn.IsClosed() {
			return ferry.OutcomeUnknown(fmt.Errorf("pgwriter: commit into %s: connection lost during COMMIT: the rows may or may not be committed (the run wrote without a stage, so no marker tells): %w", w.cfg.Table, err))
		}
		return fmt.Errorf("pgwriter: commit into %s: %w", w.cfg.Table, err)
	}
	c.conn = nil // the admin connection: Close closes it
	return nil
}
