package sqlitewriter

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/reader/sqlitereader"
)

// DeclaredType returns the SQLite column type the writer declares for an
// Arrow type when it creates a table. The names are chosen so that
// sqlitereader maps them back to the same Arrow type, and so that SQLite's
// affinity keeps every value exact: decimals and JSON are declared with TEXT
// in the name ("DECIMAL TEXT(38,10)", "JSON TEXT"), because a NUMERIC column
// would turn the text '1.50' into the REAL 1.5.
//
//	int8 TINYINT, int16 SMALLINT, int32 INT32, int64 INTEGER
//	uint8/16/32/64 UNSIGNED TINYINT/SMALLINT/INT/BIGINT (uint64 above 2^63-1 is rejected)
//	float32 FLOAT32, float64 REAL (NaN is stored as the text 'NaN')
//	bool BOOLEAN (0/1), utf8 TEXT, binary BLOB
//	decimal(p,s) DECIMAL TEXT(p,s) (the exact decimal text)
//	date32/date64 DATE ('YYYY-MM-DD'), time32/time64 TIME ('HH:MM:SS.ffffff'),
//	time64[ns] TIME(9) ('HH:MM:SS.fffffffff')
//	timestamp DATETIME ('YYYY-MM-DD HH:MM:SS.ffffff'), [ns] DATETIME(9),
//	with a time zone TIMESTAMPTZ ('YYYY-MM-DD HH:MM:SS.ffffff+00:00', UTC)
//	uuid UUID (canonical text), json JSON TEXT
//	list<T> "T LIST" (a JSON array, e.g. INTEGER LIST '[1,null,3]')
//	fixed_size_list<T>[n] "T VECTOR(n)" (a JSON array of n elements, e.g.
//	FLOAT32 VECTOR(3) '[0.5,-1,3.25]' for embeddings)
//	month_day_nano_interval INTERVAL MONTH_DAY_NANO
//	('{"months":1,"days":2,"nanoseconds":3}')
//
// List elements are integers, floats (NaN and ±Inf as the JSON strings
// "NaN", "Inf", "-Inf"), booleans or text. Structs, maps, lists of other
// types and other types are not supported.
func DeclaredType(t arrow.DataType) (string, error) {
	switch t := t.(type) {
	case *extensions.UUIDType:
		return "UUID", nil
	case *extensions.JSONType:
		return "JSON TEXT", nil
	case *arrow.Int8Type:
		return "TINYINT", nil
	case *arrow.Int16Type:
		return "SMALLINT", nil
	case *arrow.Int32Type:
		return "INT32", nil
	case *arrow.Int64Type:
		return "INTEGER", nil
	case *arrow.Uint8Type:
		return "UNSIGNED TINYINT", nil
	case *arrow.Uint16Type:
		return "UNSIGNED SMALLINT", nil
	case *arrow.Uint32Type:
		return "UNSIGNED INT", nil
	case *arrow.Uint64Type:
		return "UNSIGNED BIGINT", nil
	case *arrow.Float32Type:
		return "FLOAT32", nil
	case *arrow.Float64Type:
		return "REAL", nil
	case *arrow.BooleanType:
		return "BOOLEAN", nil
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "TEXT", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return "BLOB", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL TEXT(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		return fmt.Sprintf("DECIMAL TEXT(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Date32Type, *arrow.Date64Type:
		return "DATE", nil
	case *arrow.Time64Type:
		if t.Unit == arrow.Nanosecond {
			return "TIME(9)", nil
		}
		return "TIME", nil
	case *arrow.Time32Type:
		return "TIME", nil
	case *arrow.MonthDayNanoIntervalType:
		return "INTERVAL MONTH_DAY_NANO", nil
	case *arrow.ListType:
		e, err := elementDecl(t.Elem())
		if err != nil {
			return "", err
		}
		return e + " LIST", nil
	case *arrow.FixedSizeListType:
		e, err := elementDecl(t.Elem())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s VECTOR(%d)", e, t.Len()), nil
	case *arrow.TimestampType:
		switch {
		case t.TimeZone != "":
			return "TIMESTAMPTZ", nil
		case t.Unit == arrow.Nanosecond:
			return "DATETIME(9)", nil
		}
		return "DATETIME", nil
	}
	return "", fmt.Errorf("Arrow type %s is not supported", t)
}

// elementDecl is the declared name of a list element type: integers,
// floats, booleans and text.
func elementDecl(t arrow.DataType) (string, error) {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.STRING:
		return DeclaredType(t)
	}
	return "", fmt.Errorf("lists of %s are not supported", t)
}

// CreateTableSQL returns the CREATE TABLE statement the writer runs for a
// missing table ("table" or "schema.table"): one column per field of
// schema, typed by ColumnType (the declared type the source kept in the
// field's metadata where SQLite holds it exactly, else DeclaredType),
// NOT NULL where the field is not nullable or its metadata says
// ferry.MetaNotNull, and PRIMARY KEY (key...) when key is not empty (the
// writer passes Config.Key, else the source's primary key from
// ferry.MetaPrimaryKey).
func CreateTableSQL(table string, schema *arrow.Schema, key []string) (string, error) {
	from, err := sqlident.SQLite.QuoteQualified(table)
	if err != nil {
		return "", err
	}
	return createTableSQL(from, schema, key)
}

func createTableSQL(from string, schema *arrow.Schema, key []string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", from)
	for i, f := range schema.Fields() {
		decl, err := ColumnType(f)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		name, err := sqlident.SQLite.Quote(f.Name)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", name, decl)
		if !f.Nullable || ferry.FieldMeta(f, ferry.MetaNotNull) == "true" {
			b.WriteString(" NOT NULL")
		}
	}
	if len(key) > 0 {
		q := make([]string, len(key))
		for i, k := range key {
			j := slices.IndexFunc(schema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, k) })
			if j < 0 {
				return "", fmt.Errorf("key column %q is not in the schema", k)
			}
			q[i] = sqlident.SQLite.MustQuote(schema.Field(j).Name)
		}
		fmt.Fprintf(&b, ", PRIMARY KEY (%s)", strings.Join(q, ", "))
	}
	b.WriteString(")")
	return b.String(), nil
}

// plainType is a declared type the writer may copy from a SQLite source as
// written: words, and an optional (n) or (p,s). Anything else (quotes,
// parentheses elsewhere, punctuation) is never pasted into DDL.
var plainType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)*( ?\( ?[0-9]{1,3} ?(, ?[0-9]{1,3} ?)?\))?( [A-Za-z][A-Za-z0-9_]*)*$`)

// ColumnType is the declared type of f in a table the writer creates. It
// keeps what the source declared (the ferry.MetaSourceType and
// ferry.MetaSourceEngine metadata) where SQLite holds it exactly and
// sqlitereader reads it back as the same Arrow type:
//
//   - a SQLite source's declared type as written ("VARCHAR(16)",
//     "INTEGER", "DATETIME"), when its affinity is the affinity of
//     DeclaredType(f.Type) and it reads back as f.Type; a NUMERIC(10,2)
//     column becomes DECIMAL TEXT(10,2), since NUMERIC affinity would
//     round the text '1.50' into the REAL 1.5;
//   - from any engine, a character column with a declared length
//     (ferry.MetaCharLength): VARCHAR(n), or CHAR(n) for a fixed-length
//     source type (SQLite does not enforce the length; the declaration
//     carries it to the next engine);
//   - PostgreSQL jsonb: JSONB TEXT (read back as json, and the source type
//     says jsonb);
//
// and is DeclaredType(f.Type) otherwise (decimals keep their precision and
// scale from the Arrow type).
func ColumnType(f arrow.Field) (string, error) {
	base, err := DeclaredType(f.Type)
	if err != nil {
		return "", err
	}
	src := strings.TrimSpace(ferry.FieldMeta(f, ferry.MetaSourceType))
	if src == "" {
		return base, nil
	}
	if ferry.FieldMeta(f, ferry.MetaSourceEngine) == ferry.EngineSQLite {
		if plainType.MatchString(src) && affinity(src) == affinity(base) {
			if t, err := sqlitereader.ArrowType(src); err == nil && arrow.TypeEqual(t, f.Type) {
				return src, nil
			}
		}
		return base, nil
	}
	lower := strings.ToLower(src)
	switch {
	case isString(f.Type):
		n, err := strconv.Atoi(ferry.FieldMeta(f, ferry.MetaCharLength))
		if err != nil || n < 1 {
			return base, nil
		}
		if (strings.HasPrefix(lower, "char") || strings.HasPrefix(lower, "nchar") || strings.HasPrefix(lower, "bpchar") ||
			strings.HasPrefix(lower, "character")) && !strings.Contains(lower, "var") {
			return fmt.Sprintf("CHAR(%d)", n), nil
		}
		return fmt.Sprintf("VARCHAR(%d)", n), nil
	case base == "JSON TEXT" && lower == "jsonb":
		return "JSONB TEXT", nil
	}
	return base, nil
}

func isString(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// affinity is SQLite's type affinity of a declared type (section 3.1 of
// https://sqlite.org/datatype3.html).
func affinity(decl string) string {
	u := strings.ToUpper(decl)
	switch {
	case strings.Contains(u, "INT"):
		return "INTEGER"
	case strings.Contains(u, "CHAR"), strings.Contains(u, "CLOB"), strings.Contains(u, "TEXT"):
		return "TEXT"
	case strings.Contains(u, "BLOB"), u == "":
		return "BLOB"
	case strings.Contains(u, "REAL"), strings.Contains(u, "FLOA"), strings.Contains(u, "DOUB"):
		return "REAL"
	}
	return "NUMERIC"
}
