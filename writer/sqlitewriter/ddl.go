package sqlitewriter

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
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
// missing table: one column per field of schema, typed by DeclaredType,
// NOT NULL where the field is not nullable, and PRIMARY KEY(key...) when
// key is not empty.
func CreateTableSQL(table string, schema *arrow.Schema, key []string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", quoteIdent(table))
	for i, f := range schema.Fields() {
		decl, err := DeclaredType(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", quoteIdent(f.Name), decl)
		if !f.Nullable {
			b.WriteString(" NOT NULL")
		}
	}
	if len(key) > 0 {
		q := make([]string, len(key))
		for i, k := range key {
			if !slices.ContainsFunc(schema.Fields(), func(f arrow.Field) bool { return strings.EqualFold(f.Name, k) }) {
				return "", fmt.Errorf("key column %q is not in the schema", k)
			}
			q[i] = quoteIdent(k)
		}
		fmt.Fprintf(&b, ", PRIMARY KEY (%s)", strings.Join(q, ", "))
	}
	b.WriteString(")")
	return b.String(), nil
}
