package pgwriter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
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
	case *arrow.MonthDayNanoIntervalType, *arrow.DurationType:
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

var (
	precisionRe = regexp.MustCompile(`^[a-z ]*\((\d)\)`)
	pgCharRe    = regexp.MustCompile(`^(character|char|bpchar)\((\d+)\)$`)
)

// declaredType refines pgType with what the source declared (field
// metadata ferry.MetaSourceType, MetaSourceEngine, MetaCharLength): varchar
// lengths, jsonb vs json, fractional-second precision, PostgreSQL's own
// char(n) and xml. The source type text is only matched against known
// spellings, never pasted into the DDL.
func declaredType(f arrow.Field) (string, error) {
	base, err := pgType(f.Type)
	if err != nil {
		return "", err
	}
	src := strings.ToLower(strings.TrimSpace(ferry.FieldMeta(f, ferry.MetaSourceType)))
	engine := ferry.FieldMeta(f, ferry.MetaSourceEngine)
	if src == "" {
		return base, nil
	}
	n, _ := strconv.Atoi(ferry.FieldMeta(f, ferry.MetaCharLength))
	switch base {
	case "text":
		switch {
		case engine == ferry.EnginePostgreSQL && pgCharRe.MatchString(src):
			return "character(" + pgCharRe.FindStringSubmatch(src)[2] + ")", nil
		case engine == ferry.EnginePostgreSQL && src == "xml":
			return "xml", nil
		case n > 0 && n <= 10485760 && !strings.Contains(src, "text") && !strings.Contains(src, "clob"):
			return "varchar(" + strconv.Itoa(n) + ")", nil
		}
	case "json":
		// MySQL's JSON is stored parsed and normalised, like jsonb
		if src == "jsonb" || (engine == ferry.EngineMySQL && src == "json") {
			return "jsonb", nil
		}
	case "timestamp", "timestamptz", "time":
		// timestamp(3), datetime(3), time(0), datetime2(7) (capped at 6)
		if m := precisionRe.FindStringSubmatch(src); m != nil && (strings.Contains(src, "time") || strings.Contains(src, "date")) {
			p := m[1]
			if p > "6" {
				p = "6"
			}
			return base + "(" + p + ")", nil
		}
	}
	return base, nil
}

// maxIdent is PostgreSQL's identifier length limit (NAMEDATALEN-1).
const maxIdent = 63

// createSQL returns CREATE TABLE IF NOT EXISTS for schema, with the
// declared types (declaredType), NOT NULL where the field is not nullable or
// its metadata says so, and key, else the source's primary key (field
// metadata ferry.MetaPrimaryKey), as the primary key.
func createSQL(table string, schema *arrow.Schema, key []string) (string, error) {
	var cols []string
	for _, f := range schema.Fields() {
		name, err := sqlident.PostgreSQL.Quote(f.Name)
		if err != nil {
			return "", fmt.Errorf("pgwriter: create %s: %w", table, err)
		}
		if len(f.Name) > maxIdent {
			return "", fmt.Errorf("pgwriter: create %s: column name %q is longer than PostgreSQL's %d bytes (it would be cut short)", table, f.Name, maxIdent)
		}
		t, err := declaredType(f)
		if err != nil {
			return "", fmt.Errorf("pgwriter: create %s: column %q: cannot create a column for %w", table, f.Name, err)
		}
		c := name + " " + t
		if !f.Nullable || ferry.FieldMeta(f, ferry.MetaNotNull) == "true" {
			c += " NOT NULL"
		}
		cols = append(cols, c)
	}
	if len(key) == 0 {
		key = ferry.PrimaryKey(schema)
	}
	if len(key) > 0 {
		for _, k := range key {
			if schema.FieldIndices(k) == nil {
				return "", fmt.Errorf("pgwriter: create %s: key column %q is not among the source columns", table, k)
			}
		}
		q, err := sqlident.PostgreSQL.QuoteList(key)
		if err != nil {
			return "", fmt.Errorf("pgwriter: create %s: %w", table, err)
		}
		cols = append(cols, "PRIMARY KEY ("+q+")")
	}
	return "CREATE TABLE IF NOT EXISTS " + table + " (\n  " + strings.Join(cols, ",\n  ") + "\n)", nil
}
