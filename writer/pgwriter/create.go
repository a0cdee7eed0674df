package pgwriter

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// pgType returns the PostgreSQL column type for an Arrow type (create=true).
func pgType(dt arrow.DataType) (string, error) {
	if et, ok := dt.(arrow.ExtensionType); ok {
		switch et.ExtensionName() {
		case "arrow.uuid":
			return "uuid", nil
		case "arrow.json":
			return "json", nil // json keeps the text exactly; jsonb would normalise it
		}
		return "", fmt.Errorf("extension type %s", et.ExtensionName())
	}
	switch t := dt.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Uint8Type:
		return "smallint", nil
	case *arrow.Int32Type, *arrow.Uint16Type:
		return "integer", nil
	case *arrow.Int64Type, *arrow.Uint32Type:
		return "bigint", nil
	case *arrow.Uint64Type:
		return "numeric(20,0)", nil
	case *arrow.Float32Type:
		return "real", nil
	case *arrow.Float64Type:
		return "double precision", nil
	case *arrow.StringType, *arrow.LargeStringType:
		return "text", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return "bytea", nil
	case *arrow.BooleanType:
		return "boolean", nil
	case *arrow.Date32Type:
		return "date", nil
	case *arrow.Time64Type:
		return "time", nil
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "timestamptz", nil
		}
		return "timestamp", nil
	case *arrow.MonthDayNanoIntervalType:
		return "interval", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.ListType:
		e, err := pgType(t.Elem())
		return e + "[]", err
	case *arrow.LargeListType:
		e, err := pgType(t.Elem())
		return e + "[]", err
	case *arrow.FixedSizeListType:
		e, err := pgType(t.Elem())
		return e + "[]", err
	}
	return "", fmt.Errorf("type %s", dt)
}

// createSQL returns CREATE TABLE IF NOT EXISTS for schema, with key as the
// primary key when given.
func createSQL(table string, schema *arrow.Schema, key []string) (string, error) {
	var cols []string
	for _, f := range schema.Fields() {
		t, err := pgType(f.Type)
		if err != nil {
			return "", fmt.Errorf("pgwriter: create %s: column %q: cannot create a column for %w", table, f.Name, err)
		}
		c := quoteCol(f.Name) + " " + t
		if !f.Nullable {
			c += " NOT NULL"
		}
		cols = append(cols, c)
	}
	if len(key) > 0 {
		q := make([]string, len(key))
		for i, k := range key {
			q[i] = quoteCol(k)
		}
		cols = append(cols, "PRIMARY KEY ("+strings.Join(q, ", ")+")")
	}
	return "CREATE TABLE IF NOT EXISTS " + table + " (\n  " + strings.Join(cols, ",\n  ") + "\n)", nil
}
