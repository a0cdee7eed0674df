package pgwriter

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry"
)

var _ ferry.CheckedCommitter = (*Writer)(nil)

// CommitChecked is Commit with the run's data-quality checks inside the
// commit transaction: the staged rows are applied (and postSql run), then
// verify queries the target as it will be after the commit, and an error
// from it rolls everything back, so the target keeps its old rows. Without
// a stage (the one-process insert of Prepare/Open) the checks run before the
// commit, without a Querier.
func (w *Writer) CommitChecked(ctx context.Context, verify func(ctx context.Context, q ferry.Querier) error) error {
	if w.direct {
		w.verify = verify
		defer func() { w.verify = nil }()
		return w.commitDirect(ctx)
	}
	if !(w.runID != "" && w.stagedRun) && !w.staged() {
		if err := verify(ctx, nil); err != nil {
			return err
		}
		return w.Commit(ctx)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.verify = verify
	defer func() { w.verify = nil }()
	return w.commitStageLocked(ctx)
}

// querier runs the checks' queries on the commit transaction's connection,
// each inside a savepoint that is always rolled back: a failing query does
// not abort the commit transaction, and a query cannot change the data.
type querier struct {
	c     *pgx.Conn
	table string
}

func (q *querier) Table() string   { return q.table }
func (q *querier) Dialect() string { return ferry.EnginePostgreSQL }

func (q *querier) Query(ctx context.Context, query string, max int) (rows [][]*string, more bool, err error) {
	if err := exec(ctx, q.c, "SAVEPOINT ferry_check"); err != nil {
		return nil, false, fmt.Errorf("pgwriter: check: %w", err)
	}
	defer func() {
		if rerr := exec(context.WithoutCancel(ctx), q.c, "ROLLBACK TO SAVEPOINT ferry_check"); rerr != nil && err == nil {
			err = fmt.Errorf("pgwriter: check: %w", rerr)
		}
	}()
	// ExecParams: one statement only, results as text.
	rr := q.c.PgConn().ExecParams(ctx, query, nil, nil, nil, nil)
	for rr.NextRow() {
		if len(rows) >= max {
			more = true
			continue
		}
		vals := rr.Values()
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		rows = append(rows, row)
	}
	if _, err := rr.Close(); err != nil {
		return nil, false, fmt.Errorf("pgwriter: check query: %w", err)
	}
	return rows, more, nil
}
