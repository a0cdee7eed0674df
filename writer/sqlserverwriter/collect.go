package sqlserverwriter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrydata/ferry/internal/mssqlx"
)

// collectSQL lists the stage and marker tables in the target's schema older
// than @p1 seconds (create_date is in the server's local time, so it is
// compared with GETDATE()).
const collectSQL = `SELECT t.name FROM %[1]ssys.tables AS t
WHERE t.schema_id = COALESCE(SCHEMA_ID(@p2), SCHEMA_ID())
  AND (t.name LIKE 'ferry[_]stage[_]%%' OR t.name LIKE 'ferry[_]marks[_]%%')
  AND DATEDIFF_BIG(second, t.create_date, GETDATE()) >= @p1
ORDER BY t.name`

// CollectStages drops the stage and marker tables that killed or finished
// runs left in the target's schema, older than minAge, except this
// writer's own and those of live runs: a live run holds a session
// application lock (sp_getapplock) on its stage, which the collector
// tries to take without waiting. It returns the tables dropped (with
// dryRun, the tables it would drop).
func (w *Writer) CollectStages(ctx context.Context, minAge time.Duration, dryRun bool) ([]string, error) {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlserverwriter: collect: connect: %w", err)
	}
	defer conn.Close()
	var schema any
	if len(w.table.Parts) >= 2 {
		schema = w.table.Parts[len(w.table.Parts)-2]
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(collectSQL, w.table.Catalog), int64(minAge/time.Second), schema)
	if err != nil {
		return nil, fmt.Errorf("sqlserverwriter: collect: list stages: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlserverwriter: collect: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlserverwriter: collect: %w", err)
	}
	w.mu.Lock()
	own := w.key
	w.mu.Unlock()
	var out []string
	for _, n := range names {
		key := stageKeyOf(n)
		if key == "" || key == own {
			continue
		}
		free, err := tryLock(ctx, conn, lockPrefix+key)
		if err != nil {
			return out, fmt.Errorf("sqlserverwriter: collect: %w", err)
		}
		if !free {
			continue // a live run holds it
		}
		qn := w.table.Sibling(n)
		if !dryRun {
			_, err = conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+qn)
		}
		conn.ExecContext(context.WithoutCancel(ctx), "EXEC sp_releaseapplock @Resource = @p1, @LockOwner = 'Session'", lockPrefix+key)
		if err != nil {
			return out, fmt.Errorf("sqlserverwriter: collect: drop %s: %w", qn, err)
		}
		out = append(out, qn)
	}
	return out, nil
}

// stageKeyOf returns the run key of a stage or marker table name, "" for
// another name.
func stageKeyOf(name string) string {
	for _, p := range []string{stagePrefix, marksPrefix} {
		if k, ok := strings.CutPrefix(name, p); ok && k != "" {
			return k
		}
	}
	return ""
}

// tryLock takes the exclusive session lock on resource without waiting and
// reports whether it got it.
func tryLock(ctx context.Context, conn mssqlx.Queryer, resource string) (bool, error) {
	rows, err := conn.QueryContext(ctx, "DECLARE @r int; EXEC @r = sp_getapplock @Resource = @p1, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 0; SELECT @r", resource)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var r int64
	if rows.Next() {
		if err := rows.Scan(&r); err != nil {
			return false, err
		}
	}
	return r >= 0, rows.Err()
}
