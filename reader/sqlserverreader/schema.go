package sqlserverreader

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferrydata/ferry/internal/mssqlx"
)

func parseTable(name string) (mssqlx.TableName, error) {
	t, err := mssqlx.ParseTable(name)
	if err != nil {
		return t, fmt.Errorf("sqlserverreader: table %q: %w", name, err)
	}
	return t, nil
}

func tableColumns(ctx context.Context, db *sql.DB, t mssqlx.TableName) ([]mssqlx.Column, error) {
	cols, err := mssqlx.TableColumns(ctx, db, t)
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: columns of %s: %w", t.Quoted, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("sqlserverreader: table %s not found (or it has no columns you may see)", t.Quoted)
	}
	return cols, nil
}

// queryColumns describes the result of a query with
// sp_describe_first_result_set, without running it.
func queryColumns(ctx context.Context, db *sql.DB, query string) ([]mssqlx.Column, error) {
	rows, err := db.QueryContext(ctx, "EXEC sp_describe_first_result_set @tsql = @p1", query)
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: describe querySql: %w", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: describe querySql: %w", err)
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var cols []mssqlx.Column
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("sqlserverreader: describe querySql: %w", err)
		}
		c, err := describedColumn(names, vals, len(cols))
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlserverreader: describe querySql: %w", err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("sqlserverreader: querySql returns no result set")
	}
	return cols, nil
}

// describedColumn builds a Column from one row of
// sp_describe_first_result_set (its columns named in names).
func describedColumn(names []string, vals []any, pos int) (mssqlx.Column, error) {
	get := func(n string) any {
		for i, name := range names {
			if name == n {
				return vals[i]
			}
		}
		return nil
	}
	str := func(n string) string {
		switch v := get(n).(type) {
		case string:
			return v
		case []byte:
			return string(v)
		}
		return ""
	}
	num := func(n string) int {
		switch v := get(n).(type) {
		case int64:
			return int(v)
		}
		return 0
	}
	if b, ok := get("is_hidden").(bool); ok && b {
		// Browse-mode key columns are not part of the result.
		return mssqlx.Column{}, fmt.Errorf("sqlserverreader: querySql result column %d is hidden", pos+1)
	}
	name := str("name")
	if name == "" {
		return mssqlx.Column{}, fmt.Errorf("sqlserverreader: querySql result column %d has no name (give it one with AS)", pos+1)
	}
	c, err := mssqlx.ParseTypeName(str("system_type_name"))
	if err != nil {
		return mssqlx.Column{}, fmt.Errorf("sqlserverreader: querySql column %s: %w", name, err)
	}
	c.Name = name
	c.Nullable, _ = get("is_nullable").(bool)
	if c.Type == "decimal" || c.Type == "numeric" || c.Type == "float" {
		c.Precision, c.Scale = num("precision"), num("scale")
	}
	c.Collation = str("collation_name")
	return c, nil
}
