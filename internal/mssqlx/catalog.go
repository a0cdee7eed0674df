package mssqlx

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ferrydata/ferry/internal/sqlident"
)

// TableName is a parsed, possibly qualified table name.
type TableName struct {
	// Parts are the name's parts: [t], [s t] or [db s t].
	Parts []string
	// Quoted is the name quoted part by part: [s].[t].
	Quoted string
	// Catalog is "" or the quoted database and a dot ("[db]."), the
	// prefix of the catalog views that describe the table.
	Catalog string
}

// ParseTable parses "t", "s.t" or "db.s.t" (brackets quote parts holding
// dots) with sqlident.SQLServer.
func ParseTable(name string) (TableName, error) {
	parts, err := sqlident.SQLServer.Split(name)
	if err != nil {
		return TableName{}, err
	}
	q, err := sqlident.SQLServer.QuoteParts(parts...)
	if err != nil {
		return TableName{}, err
	}
	t := TableName{Parts: parts, Quoted: q}
	if len(parts) == 3 {
		t.Catalog = sqlident.SQLServer.MustQuote(parts[0]) + "."
	}
	return t, nil
}

// Object returns the last part, the table's own name.
func (t TableName) Object() string { return t.Parts[len(t.Parts)-1] }

// Sibling returns the quoted name of table name in t's database and
// schema (the schema the server resolves t in when t has none).
func (t TableName) Sibling(name string) string {
	parts := append(append([]string(nil), t.Parts[:len(t.Parts)-1]...), name)
	q, _ := sqlident.SQLServer.QuoteParts(parts...)
	return q
}

// catalogSQL lists the columns of one table with their base types (alias
// types resolved, CLR types by their own name), nullability, collation and
// its code page, primary-key position, identity and computed flags. %[1]s
// is the catalog prefix.
const catalogSQL = `SELECT c.name,
  CASE WHEN t.is_assembly_type = 1 THEN t.name WHEN t.is_user_defined = 1 THEN TYPE_NAME(c.system_type_id) ELSE t.name END,
  c.max_length, c.precision, c.scale, c.is_nullable, ISNULL(c.collation_name, N''),
  ISNULL(CONVERT(int, COLLATIONPROPERTY(c.collation_name, 'CodePage')), 0),
  ISNULL(ic.key_ordinal, 0), c.is_identity, c.is_computed
FROM %[1]ssys.columns AS c
JOIN %[1]ssys.types AS t ON t.user_type_id = c.user_type_id
LEFT JOIN %[1]ssys.indexes AS i ON i.object_id = c.object_id AND i.is_primary_key = 1
LEFT JOIN %[1]ssys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.column_id = c.column_id
WHERE c.object_id = OBJECT_ID(@p1)
ORDER BY c.column_id`

// CatalogSQL returns the query TableColumns runs for t.
func (t TableName) CatalogSQL() string { return fmt.Sprintf(catalogSQL, t.Catalog) }

// Queryer is what TableColumns needs of a *sql.DB, *sql.Conn or *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// TableColumns returns the columns of t in order; no columns (a missing
// table) is not an error here.
func TableColumns(ctx context.Context, db Queryer, t TableName) ([]Column, error) {
	rows, err := db.QueryContext(ctx, t.CatalogSQL(), t.Quoted)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		var typ string
		var maxLen int16
		var prec, scale uint8
		var cp, pk int64
		if err := rows.Scan(&c.Name, &typ, &maxLen, &prec, &scale, &c.Nullable, &c.Collation, &cp, &pk, &c.Identity, &c.Computed); err != nil {
			return nil, err
		}
		c.Type = strings.ToLower(typ)
		c.MaxLength, c.Precision, c.Scale, c.CodePage, c.PKPos = int(maxLen), int(prec), int(scale), int(cp), int(pk)
		cols = append(cols, c)
	}
	return cols, rows.Err()
}
