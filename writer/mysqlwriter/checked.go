package mysqlwriter

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferrydata/ferry"
)

var _ ferry.CheckedCommitter = (*Writer)(nil)

// CommitChecked is Commit with the run's data-quality checks where they see
// the data as it will be after the commit and before anyone else does:
// inside the commit transaction, after the staged rows were applied (insert
// into a non-empty table, upsert, replace, partition-overwrite); or on the
// stage table just before the one RENAME that swaps it in (overwrite, insert
// into an empty table). An error from verify changes nothing: the
// transaction is rolled back, or the swap is not done.
func (w *Writer) CommitChecked(ctx context.Context, verify func(ctx context.Context, q ferry.Querier) error) error {
	w.verify = verify
	defer func() { w.verify = nil }()
	return w.Commit(ctx)
}

// runChecks calls the checks with a querier on conn over table.
func (w *Writer) runChecks(ctx context.Context, conn *sql.Conn, table string) error {
	if w.verify == nil {
		return nil
	}
	return w.verify(ctx, &querier{c: conn, table: table})
}

// querier runs the checks' queries on one connection, each inside a
// savepoint that is rolled back afterwards, so a query cannot change the
// data. (A DDL statement would commit implicitly: checks are queries.)
type querier struct {
	c     *sql.Conn
	table string
}

func (q *querier) Table() string   { return q.table }
func (q *querier) Dialect() string { return ferry.EngineMySQL }

func (q *querier) Query(ctx context.Context, query string, max int) (out [][]*string, more bool, err error) {
	if _, err := q.c.ExecContext(ctx, "SAVEPOINT ferry_check"); err != nil {
		return nil, false, fmt.Errorf("mysqlwriter: check: %w", err)
	}
	defer func() {
		if _, rerr := q.c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT ferry_check"); rerr != nil && err == nil {
			err = fmt.Errorf("mysqlwriter: check: %w", rerr)
		}
	}()
	rows, err := q.c.QueryContext(ctx, query)
	if err != nil {
		return nil, false, fmt.Errorf("mysqlwriter: check query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, false, fmt.Errorf("mysqlwriter: check query: %w", err)
	}
	for rows.Next() {
		if len(out) >= max {
			more = true
			continue
		}
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, false, fmt.Errorf("mysqlwriter: check query: %w", err)
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				row[i] = &s
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("mysqlwriter: check query: %w", err)
	}
	return out, more, nil
}
