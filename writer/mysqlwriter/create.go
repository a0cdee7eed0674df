package mysqlwriter

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// createDDL returns CREATE TABLE for schema. The types come from the
// Arrow types and from what the source declared (ferry.MetaSourceType and
// the other meta.go keys): a MySQL source's own column type when it is a
// plain one (varchar(16), decimal(10,2) unsigned, int(11), ...); a char or
// varchar length from any engine; NOT NULL; the primary key from Key, else
// from ferry.MetaPrimaryKey. Instants (timestamps with a zone) become
// DATETIME(6): MySQL's TIMESTAMP ends in 2038.
func (w *Writer) createDDL(ctx context.Context, schema *arrow.Schema) (string, error) {
	var version string
	w.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	hasUUID := mariaDBAtLeast(version, 10, 7)
	keys := w.cfg.Key
	if len(keys) == 0 {
		keys = ferry.PrimaryKey(schema)
	}
	var defs []string
	for _, f := range schema.Fields() {
		if err := sqlident.Check(f.Name); err != nil {
			return "", fmt.Errorf("mysqlwriter: field %q: %w", f.Name, err)
		}
		key := containsFold(keys, f.Name)
		t, err := declaredType(f, key)
		if err != nil {
			return "", err
		}
		if t == "" {
			if t, err = sqlType(f, key, hasUUID); err != nil {
				return "", err
			}
		}
		d := mysqlx.MustQuote(f.Name) + " " + t
		if !f.Nullable || key || ferry.FieldMeta(f, ferry.MetaNotNull) == "true" {
			d += " NOT NULL"
		}
		defs = append(defs, d)
	}
	if len(keys) > 0 {
		var ks []string
		for _, k := range keys {
			q, err := mysqlx.Quote(k)
			if err != nil {
				return "", fmt.Errorf("mysqlwriter: key column: %w", err)
			}
			ks = append(ks, q)
		}
		defs = append(defs, "PRIMARY KEY ("+strings.Join(ks, ", ")+")")
	}
	return "CREATE TABLE " + w.table.Quoted() + " (\n  " + strings.Join(defs, ",\n  ") + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", nil
}

// plainType is a MySQL column type that is safe to repeat in DDL: a name,
// an optional list of numbers and the unsigned/zerofill attributes.
var plainType = regexp.MustCompile(`^([a-z]+)(\(([0-9]{1,5})(,[0-9]{1,2})?\))?( unsigned)?( zerofill)?$`)

// mysqlTypes are the MySQL type names a MySQL source's declared type may
// use verbatim, by the Arrow type ID they are read as.
var mysqlTypes = map[string][]arrow.Type{
	"tinyint": {arrow.INT8, arrow.UINT8, arrow.BOOL}, "smallint": {arrow.INT16, arrow.UINT16}, "mediumint": {arrow.INT32, arrow.UINT32},
	"int": {arrow.INT32, arrow.UINT32}, "bigint": {arrow.INT64, arrow.UINT64}, "year": {arrow.INT16},
	"decimal": {arrow.DECIMAL128, arrow.DECIMAL256}, "float": {arrow.FLOAT32}, "double": {arrow.FLOAT64},
	"char": {arrow.STRING}, "varchar": {arrow.STRING}, "tinytext": {arrow.STRING}, "text": {arrow.STRING},
	"mediumtext": {arrow.STRING}, "longtext": {arrow.STRING},
	"binary": {arrow.BINARY}, "varbinary": {arrow.BINARY}, "tinyblob": {arrow.BINARY}, "blob": {arrow.BINARY},
	"mediumblob": {arrow.BINARY}, "longblob": {arrow.BINARY},
	"date": {arrow.DATE32}, "time": {arrow.DURATION, arrow.TIME64}, "datetime": {arrow.TIMESTAMP}, "timestamp": {arrow.TIMESTAMP},
	"bit": {arrow.BOOL, arrow.UINT64}, "json": {arrow.EXTENSION}, "uuid": {arrow.EXTENSION}, "inet4": {arrow.STRING}, "inet6": {arrow.STRING},
}

// declaredType returns the column type the source declared, when the
// destination can repeat it: "" means derive it from the Arrow type.
func declaredType(f arrow.Field, key bool) (string, error) {
	src := strings.ToLower(strings.TrimSpace(ferry.FieldMeta(f, ferry.MetaSourceType)))
	engine := ferry.FieldMeta(f, ferry.MetaSourceEngine)
	if engine == ferry.EngineMySQL && src != "" {
		m := plainType.FindStringSubmatch(src)
		if m != nil && key && (strings.HasSuffix(m[1], "text") || strings.HasSuffix(m[1], "blob")) {
			m = nil // a key needs a bounded type
		}
		if m != nil {
			for _, id := range mysqlTypes[m[1]] {
				if id == f.Type.ID() {
					if m[1] == "timestamp" {
						// TIMESTAMP ends in 2038 and converts with the session
						// zone: keep the instant in DATETIME of the same precision.
						return "DATETIME" + m[2], nil
					}
					return src, nil
				}
			}
		}
	}
	// A declared length, from any engine, for text.
	if id := f.Type.ID(); id == arrow.STRING || id == arrow.LARGE_STRING {
		n, err := strconv.Atoi(ferry.FieldMeta(f, ferry.MetaCharLength))
		if err != nil || n <= 0 {
			return "", nil
		}
		fixed := src == "char" || src == "character" || src == "bpchar" || src == "nchar"
		for _, p := range []string{"char(", "character(", "bpchar(", "nchar("} {
			fixed = fixed || strings.HasPrefix(src, p)
		}
		if n <= 255 && fixed {
			return fmt.Sprintf("CHAR(%d)", n), nil
		}
		if n <= 16383 { // 65,535 bytes of utf8mb4
			return fmt.Sprintf("VARCHAR(%d)", n), nil
		}
	}
	return "", nil
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
	case *arrow.MonthDayNanoIntervalType:
		// MySQL has no interval: TIME holds one without months (±838 h), and
		// a value with months is a dirty row.
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
