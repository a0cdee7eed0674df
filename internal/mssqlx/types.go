package mssqlx

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/ferrydata/ferry"
)

// Metadata keys of SQL Server fields beyond those of ferry (meta.go).
const (
	// MetaCollation is the collation of a char/varchar/text column
	// ("Latin1_General_CI_AS"); the driver decodes its code page to UTF-8.
	MetaCollation = "ferry.sqlserver.collation"
	// MetaOffsetColumn, on a datetimeoffset field, names the companion
	// int16 column that holds each value's UTC offset in minutes (reader
	// option KeepOffsets); the instant itself is in the timestamp.
	MetaOffsetColumn = "ferry.sqlserver.offset_column"
)

// Column is one column as the catalog (sys.columns) or
// sp_describe_first_result_set describes it.
type Column struct {
	Name string
	// Type is the base type name in lower case: "nvarchar", "decimal".
	Type string
	// MaxLength is sys.columns.max_length: bytes (nvarchar counts 2 per
	// character), -1 for (max).
	MaxLength int
	Precision int
	Scale     int
	Nullable  bool
	Collation string
	// CodePage is the code page of Collation (COLLATIONPROPERTY), 65001
	// for a _UTF8 collation, 0 for non-character columns.
	CodePage int
	// PKPos is the 1-based position in the primary key, 0 if not in it.
	PKPos    int
	Identity bool
	Computed bool
}

// Kind is how values of a column travel between the driver and Arrow.
type Kind int

// The kinds.
const (
	KindInvalid Kind = iota
	KindTinyInt
	KindSmallInt
	KindInt
	KindBigInt
	KindBit
	KindDecimal // decimal/numeric
	KindMoney   // money
	KindSmallMoney
	KindReal
	KindFloat
	KindString // char/varchar/nchar/nvarchar/text/ntext/sysname
	KindXML
	KindJSON // SQL Server 2025 json
	KindBinary
	KindRowVersion // rowversion/timestamp: binary(8), written by the server only
	KindDate
	KindTime
	KindDateTime
	KindSmallDateTime
	KindDateTime2
	KindDateTimeOffset
	KindGUID
)

var kindNames = map[string]Kind{
	"tinyint": KindTinyInt, "smallint": KindSmallInt, "int": KindInt, "bigint": KindBigInt,
	"bit": KindBit, "decimal": KindDecimal, "numeric": KindDecimal, "money": KindMoney,
	"smallmoney": KindSmallMoney, "real": KindReal, "float": KindFloat,
	"char": KindString, "varchar": KindString, "nchar": KindString, "nvarchar": KindString,
	"text": KindString, "ntext": KindString, "sysname": KindString, "xml": KindXML, "json": KindJSON,
	"binary": KindBinary, "varbinary": KindBinary, "image": KindBinary,
	"timestamp": KindRowVersion, "rowversion": KindRowVersion,
	"date": KindDate, "time": KindTime, "datetime": KindDateTime, "smalldatetime": KindSmallDateTime,
	"datetime2": KindDateTime2, "datetimeoffset": KindDateTimeOffset, "uniqueidentifier": KindGUID,
}

// unsupported are the types no Arrow type carries faithfully; reading or
// writing them is an error naming the column.
var unsupported = map[string]string{
	"sql_variant": "its values change type row by row",
	"hierarchyid": "a CLR type (CAST it to nvarchar in querySql: col.ToString())",
	"geography":   "a CLR type (CAST it in querySql: col.STAsText() or col.STAsBinary())",
	"geometry":    "a CLR type (CAST it in querySql: col.STAsText() or col.STAsBinary())",
	"vector":      "not supported yet (CAST it to nvarchar(max) in querySql)",
	"cursor":      "not a column type", "table": "not a column type",
}

// KindOf returns the kind of c, or an error naming the column for a type no
// Arrow type carries.
func (c Column) KindOf() (Kind, error) {
	if why, ok := unsupported[c.Type]; ok {
		return KindInvalid, fmt.Errorf("column %s: type %s is not supported: %s", c.Name, c.Type, why)
	}
	k, ok := kindNames[c.Type]
	if !ok {
		// A user-defined alias type reaches here only when the catalog
		// query did not resolve it to its base type; a CLR type otherwise.
		return KindInvalid, fmt.Errorf("column %s: type %s is not supported (a CLR or unknown type; CAST it in querySql)", c.Name, c.Type)
	}
	return k, nil
}

// Decl returns the column's type as SQL Server spells it in DDL:
// "nvarchar(50)", "varbinary(max)", "decimal(38,10)", "datetime2(7)".
func (c Column) Decl() string {
	switch c.Type {
	case "char", "varchar", "binary", "varbinary":
		if c.MaxLength < 0 {
			return c.Type + "(max)"
		}
		return fmt.Sprintf("%s(%d)", c.Type, c.MaxLength)
	case "nchar", "nvarchar":
		if c.MaxLength < 0 {
			return c.Type + "(max)"
		}
		return fmt.Sprintf("%s(%d)", c.Type, c.MaxLength/2)
	case "decimal", "numeric":
		return fmt.Sprintf("%s(%d,%d)", c.Type, c.Precision, c.Scale)
	case "time", "datetime2", "datetimeoffset":
		return fmt.Sprintf("%s(%d)", c.Type, c.Scale)
	case "float":
		if c.Precision > 0 && c.Precision <= 24 {
			return "real"
		}
		return "float"
	case "timestamp":
		return "rowversion"
	}
	return c.Type
}

// CharLength is the declared length in characters of a char/varchar/nchar/
// nvarchar column, or 0 (max, or not a character type).
func (c Column) CharLength() int {
	switch c.Type {
	case "char", "varchar":
		if c.MaxLength > 0 {
			return c.MaxLength
		}
	case "nchar", "nvarchar":
		if c.MaxLength > 0 {
			return c.MaxLength / 2
		}
	}
	return 0
}

var jsonType = func() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}()

// ArrowType returns the Arrow type of c (DESIGN.md §3): tinyint is
// unsigned (uint8); money is decimal(19,4), smallmoney decimal(10,4);
// time(7) and datetime2(7) are nanoseconds, smaller scales microseconds;
// datetime and smalldatetime are timestamp[us] (datetime's 1/300 s ticks as
// the server shows them in milliseconds: .000, .003, .007); datetimeoffset is
// an instant (timestamp with zone UTC); uniqueidentifier is arrow.uuid; xml
// is utf8; json is arrow.json; rowversion is binary.
func (c Column) ArrowType() (arrow.DataType, error) {
	k, err := c.KindOf()
	if err != nil {
		return nil, err
	}
	switch k {
	case KindTinyInt:
		return arrow.PrimitiveTypes.Uint8, nil
	case KindSmallInt:
		return arrow.PrimitiveTypes.Int16, nil
	case KindInt:
		return arrow.PrimitiveTypes.Int32, nil
	case KindBigInt:
		return arrow.PrimitiveTypes.Int64, nil
	case KindBit:
		return arrow.FixedWidthTypes.Boolean, nil
	case KindDecimal:
		if c.Precision < 1 || c.Precision > 38 || c.Scale < 0 || c.Scale > c.Precision {
			return nil, fmt.Errorf("column %s: bad precision/scale %d,%d", c.Name, c.Precision, c.Scale)
		}
		return &arrow.Decimal128Type{Precision: int32(c.Precision), Scale: int32(c.Scale)}, nil
	case KindMoney:
		return &arrow.Decimal128Type{Precision: 19, Scale: 4}, nil
	case KindSmallMoney:
		return &arrow.Decimal128Type{Precision: 10, Scale: 4}, nil
	case KindReal:
		return arrow.PrimitiveTypes.Float32, nil
	case KindFloat:
		if c.Precision > 0 && c.Precision <= 24 {
			return arrow.PrimitiveTypes.Float32, nil
		}
		return arrow.PrimitiveTypes.Float64, nil
	case KindString, KindXML:
		return arrow.BinaryTypes.String, nil
	case KindJSON:
		return jsonType, nil
	case KindBinary, KindRowVersion:
		return arrow.BinaryTypes.Binary, nil
	case KindDate:
		return arrow.FixedWidthTypes.Date32, nil
	case KindTime:
		if c.Scale == 7 {
			return arrow.FixedWidthTypes.Time64ns, nil
		}
		return arrow.FixedWidthTypes.Time64us, nil
	case KindDateTime, KindSmallDateTime:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case KindDateTime2:
		if c.Scale == 7 {
			return &arrow.TimestampType{Unit: arrow.Nanosecond}, nil
		}
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case KindDateTimeOffset:
		if c.Scale == 7 {
			return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, nil
		}
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case KindGUID:
		return extensions.NewUUIDType(), nil
	}
	return nil, fmt.Errorf("column %s: type %s has no Arrow mapping", c.Name, c.Type)
}

// Field returns the Arrow field of c with Ferry's metadata keys.
func (c Column) Field() (arrow.Field, error) {
	t, err := c.ArrowType()
	if err != nil {
		return arrow.Field{}, err
	}
	keys := []string{ferry.MetaSourceType, ferry.MetaSourceEngine}
	vals := []string{c.Decl(), ferry.EngineSQLServer}
	if !c.Nullable {
		keys, vals = append(keys, ferry.MetaNotNull), append(vals, "true")
	}
	if c.PKPos > 0 {
		keys, vals = append(keys, ferry.MetaPrimaryKey), append(vals, strconv.Itoa(c.PKPos))
	}
	if n := c.CharLength(); n > 0 {
		keys, vals = append(keys, ferry.MetaCharLength), append(vals, strconv.Itoa(n))
	}
	if c.Collation != "" {
		keys, vals = append(keys, MetaCollation), append(vals, c.Collation)
	}
	return arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable, Metadata: arrow.NewMetadata(keys, vals)}, nil
}

// ParseTypeName splits a system_type_name of sp_describe_first_result_set
// ("nvarchar(50)", "decimal(38,10)", "varchar(max)") into a Column's Type,
// MaxLength, Precision and Scale (the numbers sys.columns would hold).
func ParseTypeName(s string) (Column, error) {
	m := typeNameRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return Column{}, fmt.Errorf("mssqlx: cannot parse type name %q", s)
	}
	c := Column{Type: m[1]}
	a, b := m[2], m[3]
	for _, n := range []string{a, b} {
		if v, err := strconv.Atoi(n); n != "" && n != "max" && (err != nil || v > 8000) {
			return Column{}, fmt.Errorf("mssqlx: type name %q: %q is not a length, precision or scale", s, n)
		}
	}
	switch c.Type {
	case "char", "varchar", "binary", "varbinary", "nchar", "nvarchar":
		switch {
		case a == "max":
			c.MaxLength = -1
		case a != "":
			n, _ := strconv.Atoi(a)
			c.MaxLength = n
			if c.Type[0] == 'n' {
				c.MaxLength = 2 * n
			}
		default:
			c.MaxLength = 1
			if c.Type[0] == 'n' {
				c.MaxLength = 2
			}
		}
	case "decimal", "numeric":
		c.Precision, c.Scale = 18, 0
		if a != "" {
			c.Precision, _ = strconv.Atoi(a)
		}
		if b != "" {
			c.Scale, _ = strconv.Atoi(b)
		}
	case "time", "datetime2", "datetimeoffset":
		c.Scale = 7
		if a != "" {
			c.Scale, _ = strconv.Atoi(a)
		}
	case "float":
		c.Precision = 53
		if a != "" {
			c.Precision, _ = strconv.Atoi(a)
		}
	}
	return c, nil
}

var typeNameRE = regexp.MustCompile(`^([a-z_][a-z0-9_]*)(?:\((max|\d+)(?:,\s*(\d+))?\))?$`)

// DeclFor returns the SQL Server type a created table gives Arrow field f,
// and whether f's Arrow type can hold it. A field read from SQL Server
// (MetaSourceEngine "sqlserver") gets its source type back; others are
// mapped from the Arrow type, with MetaCharLength bounding strings.
// key says the column is in the primary key (an unbounded string becomes
// nvarchar(450), the widest a key can be).
func DeclFor(f arrow.Field, key bool) (string, error) {
	if ferry.FieldMeta(f, ferry.MetaSourceEngine) == ferry.EngineSQLServer {
		if st := ferry.FieldMeta(f, ferry.MetaSourceType); st != "" {
			c, err := ParseTypeName(st)
			if err == nil {
				c.Name = f.Name
				k, err := c.KindOf()
				switch {
				case err == nil && k == KindRowVersion:
					// The server writes rowversion: the copy is binary(8).
					return "binary(8)", nil
				case err == nil && (!key || c.MaxLength >= 0):
					return c.Decl(), nil
				}
			}
		}
	}
	charLen, _ := strconv.Atoi(ferry.FieldMeta(f, ferry.MetaCharLength))
	str := func() string {
		switch {
		case charLen > 0 && charLen <= 4000:
			return fmt.Sprintf("nvarchar(%d)", charLen)
		case key:
			return "nvarchar(450)"
		}
		return "nvarchar(max)"
	}
	switch t := f.Type.(type) {
	case *arrow.Int8Type, *arrow.Int16Type:
		return "smallint", nil
	case *arrow.Int32Type:
		return "int", nil
	case *arrow.Int64Type:
		return "bigint", nil
	case *arrow.Uint8Type:
		return "tinyint", nil
	case *arrow.Uint16Type:
		return "int", nil
	case *arrow.Uint32Type:
		return "bigint", nil
	case *arrow.Uint64Type:
		return "decimal(20,0)", nil
	case *arrow.Float16Type, *arrow.Float32Type:
		return "real", nil
	case *arrow.Float64Type:
		return "float", nil
	case *arrow.BooleanType:
		return "bit", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		if t.Precision > 38 {
			return "", fmt.Errorf("column %s: %s has more digits than SQL Server's decimal(38)", f.Name, t)
		}
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return str(), nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		if key {
			return "varbinary(900)", nil
		}
		return "varbinary(max)", nil
	case *arrow.FixedSizeBinaryType:
		if t.ByteWidth <= 8000 {
			return fmt.Sprintf("binary(%d)", t.ByteWidth), nil
		}
		return "varbinary(max)", nil
	case *arrow.Date32Type, *arrow.Date64Type:
		return "date", nil
	case *arrow.Time32Type:
		if t.Unit == arrow.Second {
			return "time(0)", nil
		}
		return "time(3)", nil
	case *arrow.Time64Type:
		if t.Unit == arrow.Nanosecond {
			return "time(7)", nil
		}
		return "time(6)", nil
	case *arrow.TimestampType:
		scale := map[arrow.TimeUnit]int{arrow.Second: 0, arrow.Millisecond: 3, arrow.Microsecond: 6, arrow.Nanosecond: 7}[t.Unit]
		if t.TimeZone != "" {
			return fmt.Sprintf("datetimeoffset(%d)", scale), nil
		}
		return fmt.Sprintf("datetime2(%d)", scale), nil
	case arrow.ExtensionType:
		switch t.ExtensionName() {
		case "arrow.uuid":
			return "uniqueidentifier", nil
		case "arrow.json":
			if key {
				return "nvarchar(450)", nil
			}
			return "nvarchar(max)", nil
		}
	}
	return "", fmt.Errorf("column %s: Arrow type %s has no SQL Server type (lists, maps, structs, intervals and durations are not supported)", f.Name, f.Type)
}
