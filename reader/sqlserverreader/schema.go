package sqlserverreader

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// catalogSQL lists the columns of one table with their base types (alias
// types resolved, CLR types by their own name), nullability, collation and
// primary-key position. %s is the catalog prefix ("" or "[db].").
const catalogSQL = `SELECT c.name,
  CASE WHEN t.is_assembly_type = 1 THEN t.name WHEN t.is_user_defined = 1 THEN TYPE_NAME(c.system_type_id) ELSE t.name END,
  c.max_length, c.precision, c.scale, c.is_nullable, ISNULL(c.collation_name, N''),
  ISNULL(ic.key_ordinal, 0), c.is_identity, c.is_computed
FROM %[1]ssys.columns AS c
JOIN %[1]ssys.types AS t ON t.user_type_id = c.user_type_id
LEFT JOIN %[1]ssys.indexes AS i ON i.object_id = c.object_id AND i.is_primary_key = 1
LEFT JOIN %[1]ssys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.column_id = c.column_id
WHERE c.object_id = OBJECT_ID(@p1)
ORDER BY c.column_id`

// tableName is a parsed table name: its quoted form and catalog prefix.
type tableName struct {
	quoted  string // [s].[t] or [db].[s].[t]
	catalog string // "" or [db].
	parts   []string
}

func parseTable(name string) (tableName, error) {
	parts, err := sqlident.SQLServer.Split(name)
	if err != nil {
		return tableName{}, fmt.Errorf("sqlserverreader: table %q: %w", name, err)
	}
	q, _ := sqlident.SQLServer.QuoteParts(parts...)
	tn := tableName{quoted: q, parts: parts}
	if len(parts) == 3 {
		tn.catalog = sqlident.SQLServer.MustQuote(parts[0]) + "."
	}
	return tn, nil
}

// CatalogSQL returns the catalog query for table t (for tests and docs).
func (t tableName) catalogSQL() string { return fmt.Sprintf(catalogSQL, t.catalog) }

func tableColumns(ctx context.Context, db *sql.DB, t tableName) ([]mssqlx.Column, error) {
	rows, err := db.QueryContext(ctx, t.catalogSQL(), t.quoted)
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: columns of %s: %w", t.quoted, err)
	}
	defer rows.Close()
	var cols []mssqlx.Column
	for rows.Next() {
		var c mssqlx.Column
		var typ string
		var maxLen int16
		var prec, scale uint8
		var pk int64
		if err := rows.Scan(&c.Name, &typ, &maxLen, &prec, &scale, &c.Nullable, &c.Collation, &pk, &c.Identity, &c.Computed); err != nil {
			return nil, fmt.Errorf("sqlserverreader: columns of %s: %w", t.quoted, err)
		}
		c.Type = strings.ToLower(typ)
		c.MaxLength, c.Precision, c.Scale, c.PKPos = int(maxLen), int(prec), int(scale), int(pk)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlserverreader: columns of %s: %w", t.quoted, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("sqlserverreader: table %s not found (or it has no columns you may see)", t.quoted)
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
