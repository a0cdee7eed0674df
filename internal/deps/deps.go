// Package deps pins the module's dependencies until the packages that use
// them land. It is never imported.
package deps

import (
	_ "github.com/apache/arrow-go/v18/arrow/compute"
	_ "github.com/apache/arrow-go/v18/arrow/csv"
	_ "github.com/apache/arrow-go/v18/arrow/extensions"
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/stretchr/testify/require"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
