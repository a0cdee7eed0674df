package mysqlreader

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
)

// kind is how one column's text is decoded.
type kind int

const (
	kInt8 kind = iota
	kInt16
	kInt32
	kInt64
	kUint8
	kUint16
	kUint32
	kUint64
	kBool   // tinyint(1), bit(1)
	kBits   // bit(n), n > 1: big-endian bytes → uint64
	kDec128 // decimal p ≤ 38
	kDec256
	kFloat32
	kFloat64
	kString
	kBinary
	kJSON
	kUUID
	kDate
	kTime     // time64[us]
	kDuration // duration[us]
	kDateTime // timestamp[us], or an instant with Config.TimeZone
	kTimestamp
)

// column is one column of the read: how it is selected and decoded.
type column struct {
	name   string
	expr   string // select expression
	kind   kind
	field  arrow.Field
	srcTyp string // source type, e.g. "bigint(20) unsigned"
}

// colInfo is what information_schema (or the result metadata) says of a column.
type colInfo struct {
	name      string
	dataType  string // lower case: int, varchar, decimal, ...
	colType   string // full: "bigint(20) unsigned", "tinyint(1)"
	precision int64
	scale     int64
	nullable  bool
	json      bool
	charLen   int64 // declared length of char/varchar, else 0
	pkPos     int   // 1-based position in the primary key, else 0
}

// mapColumn chooses the Arrow type of one column.
func (c *Config) mapColumn(ci colInfo) (column, error) {
	col := column{name: ci.name, expr: mysqlx.MustQuote(ci.name), srcTyp: ci.colType}
	unsigned := strings.Contains(ci.colType, "unsigned")
	var t arrow.DataType
	pick := func(k kind, signed, uns arrow.DataType, ku kind) {
		if unsigned {
			col.kind, t = ku, uns
		} else {
			col.kind, t = k, signed
		}
	}
	switch ci.dataType {
	case "tinyint":
		if strings.HasPrefix(ci.colType, "tinyint(1)") && !unsigned {
			col.kind, t = kBool, arrow.FixedWidthTypes.Boolean
		} else {
			pick(kInt8, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint8, kUint8)
		}
	case "smallint":
		pick(kInt16, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Uint16, kUint16)
	case "mediumint", "int", "integer":
		pick(kInt32, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint32, kUint32)
	case "bigint":
		pick(kInt64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint64, kUint64)
	case "year":
		col.kind, t = kInt16, arrow.PrimitiveTypes.Int16
	case "bit":
		if ci.precision == 1 {
			col.kind, t = kBool, arrow.FixedWidthTypes.Boolean
		} else {
			col.kind, t = kBits, arrow.PrimitiveTypes.Uint64
		}
	case "decimal", "numeric":
		p, s := int32(ci.precision), int32(ci.scale)
		if p <= 0 {
			p = 65
		}
		if p <= 38 {
			col.kind, t = kDec128, &arrow.Decimal128Type{Precision: p, Scale: s}
		} else {
			col.kind, t = kDec256, &arrow.Decimal256Type{Precision: p, Scale: s}
		}
	case "float":
		col.kind, t = kFloat32, arrow.PrimitiveTypes.Float32
		if c.QuerySQL == "" { // table read: the text protocol prints FLOAT with 6 digits only
			col.expr = "CAST(" + mysqlx.MustQuote(ci.name) + " AS DOUBLE)"
		}
	case "double", "real", "double precision":
		col.kind, t = kFloat64, arrow.PrimitiveTypes.Float64
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "inet4", "inet6":
		col.kind, t = kString, arrow.BinaryTypes.String
		if ci.json {
			col.kind, t = kJSON, jsonType
		}
	case "json":
		col.kind, t = kJSON, jsonType
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		col.kind, t = kBinary, arrow.BinaryTypes.Binary
	case "uuid":
		col.kind, t = kUUID, extensions.NewUUIDType()
	case "date":
		col.kind, t = kDate, arrow.FixedWidthTypes.Date32
	case "time":
		if c.TimeOfDay {
			col.kind, t = kTime, arrow.FixedWidthTypes.Time64us
		} else {
			col.kind, t = kDuration, arrow.FixedWidthTypes.Duration_us
		}
	case "datetime":
		col.kind, t = kDateTime, &arrow.TimestampType{Unit: arrow.Microsecond}
		if c.TimeZone != nil {
			t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		}
	case "timestamp":
		col.kind, t = kTimestamp, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	default:
		return col, fmt.Errorf("mysqlreader: column %s has type %s, which Ferry cannot carry (cast it in querySql)", ci.name, ci.colType)
	}
	md := map[string]string{ferry.MetaSourceType: ci.colType, ferry.MetaSourceEngine: ferry.EngineMySQL}
	if !ci.nullable {
		md[ferry.MetaNotNull] = "true"
	}
	if ci.pkPos > 0 {
		md[ferry.MetaPrimaryKey] = strconv.Itoa(ci.pkPos)
	}
	if ci.charLen > 0 && (ci.dataType == "char" || ci.dataType == "varchar") {
		md[ferry.MetaCharLength] = strconv.FormatInt(ci.charLen, 10)
	}
	if ci.dataType == "datetime" && c.TimeZone != nil {
		md["ferry.source_time_zone"] = c.TimeZone.String()
	}
	col.field = arrow.Field{Name: ci.name, Type: t, Nullable: ci.nullable, Metadata: arrow.MetadataFrom(md)}
	return col, nil
}

// tableColumns reads the table's columns from information_schema.
func tableColumns(ctx context.Context, db *sql.DB, table mysqlx.Table) ([]colInfo, error) {
	schemaCond, args := table.SchemaArg("c.TABLE_SCHEMA")
	args = append([]any{table.Name}, args...)
	q := `SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, COALESCE(c.NUMERIC_PRECISION, 0), COALESCE(c.NUMERIC_SCALE, 0), c.IS_NULLABLE,
	 EXISTS(SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
	   AND k.CHECK_CLAUSE = CONCAT('json_valid(` + "`" + `', c.COLUMN_NAME, '` + "`" + `)')),
	 COALESCE(c.CHARACTER_MAXIMUM_LENGTH, 0),
	 COALESCE((SELECT u.ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE u WHERE u.TABLE_SCHEMA = c.TABLE_SCHEMA
	   AND u.TABLE_NAME = c.TABLE_NAME AND u.CONSTRAINT_NAME = 'PRIMARY' AND u.COLUMN_NAME = c.COLUMN_NAME), 0)
	FROM information_schema.COLUMNS c WHERE c.TABLE_NAME = ? AND ` + schemaCond + ` ORDER BY c.ORDINAL_POSITION`
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("mysqlreader: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []colInfo
	for rows.Next() {
		var ci colInfo
		var nullable string
		if err := rows.Scan(&ci.name, &ci.dataType, &ci.colType, &ci.precision, &ci.scale, &nullable, &ci.json, &ci.charLen, &ci.pkPos); err != nil {
			return nil, fmt.Errorf("mysqlreader: columns of %s: %w", table, err)
		}
		ci.dataType = strings.ToLower(ci.dataType)
		ci.colType = strings.ToLower(ci.colType)
		ci.nullable = nullable == "YES"
		out = append(out, ci)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysqlreader: columns of %s: %w", table, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mysqlreader: table %s not found (or has no columns you can see); name it as db.table, or `a.b` in backquotes when the name holds a dot", table)
	}
	return out, nil
}

// queryColumns describes the result columns of a query from its metadata.
func queryColumns(ctx context.Context, db *sql.DB, query string) ([]colInfo, error) {
	rows, err := db.QueryContext(ctx, "SELECT * FROM ("+query+") ferry_q LIMIT 0")
	if err != nil {
		return nil, fmt.Errorf("mysqlreader: describe querySql: %w", err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("mysqlreader: describe querySql: %w", err)
	}
	out := make([]colInfo, len(cts))
	for i, ct := range cts {
		name := strings.ToLower(ct.DatabaseTypeName())
		ci := colInfo{name: ct.Name(), nullable: true}
		if n, ok := ct.Nullable(); ok {
			ci.nullable = n
		}
		if strings.HasPrefix(name, "unsigned ") {
			name = strings.TrimPrefix(name, "unsigned ")
			ci.colType = name + " unsigned"
		} else {
			ci.colType = name
		}
		ci.dataType = name
		switch name {
		case "decimal":
			p, s, _ := ct.DecimalSize()
			ci.precision, ci.scale = p, s
			ci.colType = "decimal(" + strconv.FormatInt(p, 10) + "," + strconv.FormatInt(s, 10) + ")"
		case "bit":
			ci.precision = 64
			if l, ok := ct.Length(); ok {
				ci.precision = l
			}
		case "null":
			ci.dataType, ci.colType = "varchar", "null"
		}
		out[i] = ci
	}
	return out, nil
}

var jsonType = func() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}()
