package mysqlwriter

import (
	"context"
	"fmt"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// createDDL returns CREATE TABLE for schema. Instants (timestamps with a
// zone) become DATETIME(6): MySQL's TIMESTAMP ends in 2038.
func (w *Writer) createDDL(ctx context.Context, schema *arrow.Schema) (string, error) {
	var version string
	w.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	hasUUID := mariaDBAtLeast(version, 10, 7)
	var defs []string
	for _, f := range schema.Fields() {
		key := containsFold(w.cfg.Key, f.Name)
		t, err := sqlType(f, key, hasUUID)
		if err != nil {
			return "", err
		}
		d := mysqlx.QuoteIdent(f.Name) + " " + t
		if !f.Nullable || key {
			d += " NOT NULL"
		}
		defs = append(defs, d)
	}
	if len(w.cfg.Key) > 0 {
		var ks []string
		for _, k := range w.cfg.Key {
			ks = append(ks, mysqlx.QuoteIdent(k))
		}
		defs = append(defs, "PRIMARY KEY ("+strings.Join(ks, ", ")+")")
	}
	return "CREATE TABLE " + mysqlx.QuoteTable(w.cfg.Table) + " (\n  " + strings.Join(defs, ",\n  ") + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", nil
}

func mariaDBAtLeast(version string, major, minor int) bool {
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return false
	}
	var ma, mi int
	fmt.Sscanf(version, "%d.%d", &ma, &mi)
	return ma > major || ma == major && mi >= minor
}

// sqlType is the MySQL column type of an Arrow field.
func sqlType(f arrow.Field, key, hasUUID bool) (string, error) {
	switch t := f.Type.(type) {
	case *arrow.Int8Type:
		return "TINYINT", nil
	case *arrow.Int16Type:
		return "SMALLINT", nil
	case *arrow.Int32Type:
		return "INT", nil
	case *arrow.Int64Type:
		return "BIGINT", nil
	case *arrow.Uint8Type:
		return "TINYINT UNSIGNED", nil
	case *arrow.Uint16Type:
		return "SMALLINT UNSIGNED", nil
	case *arrow.Uint32Type:
		return "INT UNSIGNED", nil
	case *arrow.Uint64Type:
		return "BIGINT UNSIGNED", nil
	case *arrow.Float32Type:
		return "FLOAT", nil
	case *arrow.Float64Type:
		return "DOUBLE", nil
	case *arrow.BooleanType:
		return "TINYINT(1)", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		if t.Precision > 65 || t.Scale > 30 {
			return "", fmt.Errorf("mysqlwriter: column %s: %s exceeds MySQL's DECIMAL(65,30)", f.Name, t)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.StringType, *arrow.LargeStringType:
		if key {
			return "VARCHAR(255)", nil
		}
		return "LONGTEXT", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		if key {
			return "VARBINARY(255)", nil
		}
		return "LONGBLOB", nil
	case *arrow.FixedSizeBinaryType:
		return fmt.Sprintf("BINARY(%d)", t.ByteWidth), nil
	case *arrow.Date32Type, *arrow.Date64Type:
		return "DATE", nil
	case *arrow.Time32Type, *arrow.Time64Type, *arrow.DurationType:
		return "TIME(6)", nil
	case *arrow.TimestampType:
		return "DATETIME(6)", nil
	case *extensions.UUIDType:
		if hasUUID {
			return "UUID", nil
		}
		return "CHAR(36)", nil
	case *extensions.JSONType:
		return "JSON", nil
	case *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType:
		return "JSON", nil
	}
	return "", fmt.Errorf("mysqlwriter: column %s has Arrow type %s, which MySQL cannot hold", f.Name, f.Type)
}
