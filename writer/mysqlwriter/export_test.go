package mysqlwriter

import (
	"context"
	"database/sql"
)

// SetBeforeCommit sets the hook run just before a commit transaction's
// COMMIT, for tests; nil removes it.
func SetBeforeCommit(f func(ctx context.Context, conn *sql.Conn)) { beforeCommit = f }
