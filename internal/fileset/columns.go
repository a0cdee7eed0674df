package fileset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// ParseColumns parses a column specification: comma-separated name:type
// pairs, for example "id:int64,name:utf8,amount:decimal(12,2),ts:timestamp[us]".
// Commas inside (), [] and <> belong to the type. A name without a type is
// utf8. Every field is nullable.
func ParseColumns(spec string) (*arrow.Schema, error) {
	parts, err := splitTop(spec, ',')
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, 0, len(parts))
	seen := map[string]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, typ, ok := strings.Cut(p, ":")
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("column spec %q: empty column name", p)
		}
		if seen[name] {
			return nil, fmt.Errorf("column spec: column %q listed twice", name)
		}
		seen[name] = true
		dt := arrow.DataType(arrow.BinaryTypes.String)
		if ok {
			if dt, err = ParseType(typ); err != nil {
				return nil, fmt.Errorf("column %q: %w", name, err)
			}
		}
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: true})
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("column spec %q lists no columns", spec)
	}
	return arrow.NewSchema(fields, nil), nil
}

// splitTop splits s at sep outside of brackets.
func splitTop(s string, sep byte) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '<':
			depth++
		case ')', ']', '>':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q in %q", s[i], s)
			}
		case sep:
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced brackets in %q", s)
	}
	return append(parts, s[start:]), nil
}

var simpleTypes = map[string]arrow.DataType{
	"int8": arrow.PrimitiveTypes.Int8, "tinyint": arrow.PrimitiveTypes.Int8,
	"int16": arrow.PrimitiveTypes.Int16, "smallint": arrow.PrimitiveTypes.Int16,
	"int32": arrow.PrimitiveTypes.Int32, "int": arrow.PrimitiveTypes.Int32, "integer": arrow.PrimitiveTypes.Int32,
	"int64": arrow.PrimitiveTypes.Int64, "bigint": arrow.PrimitiveTypes.Int64, "long": arrow.PrimitiveTypes.Int64,
	"uint8": arrow.PrimitiveTypes.Uint8, "uint16": arrow.PrimitiveTypes.Uint16,
	"uint32": arrow.PrimitiveTypes.Uint32, "uint64": arrow.PrimitiveTypes.Uint64,
	"float32": arrow.PrimitiveTypes.Float32, "float": arrow.PrimitiveTypes.Float32, "real": arrow.PrimitiveTypes.Float32,
	"float64": arrow.PrimitiveTypes.Float64, "double": arrow.PrimitiveTypes.Float64,
	"bool": arrow.FixedWidthTypes.Boolean, "boolean": arrow.FixedWidthTypes.Boolean,
	"utf8": arrow.BinaryTypes.String, "string": arrow.BinaryTypes.String, "text": arrow.BinaryTypes.String,
	"large_utf8": arrow.BinaryTypes.LargeString, "large_string": arrow.BinaryTypes.LargeString,
	"binary": arrow.BinaryTypes.Binary, "bytes": arrow.BinaryTypes.Binary,
	"large_binary": arrow.BinaryTypes.LargeBinary,
	"date32":       arrow.FixedWidthTypes.Date32, "date": arrow.FixedWidthTypes.Date32,
	"date64":      arrow.FixedWidthTypes.Date64,
	"time":        arrow.FixedWidthTypes.Time64us,
	"timestamp":   &arrow.TimestampType{Unit: arrow.Microsecond},
	"timestamptz": &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
	"uuid":        extensions.NewUUIDType(),
	"json":        JSONType(),
	"interval":    arrow.FixedWidthTypes.MonthDayNanoInterval, "month_day_nano_interval": arrow.FixedWidthTypes.MonthDayNanoInterval,
	"float16": arrow.FixedWidthTypes.Float16, "halffloat": arrow.FixedWidthTypes.Float16,
	"null": arrow.Null,
}

// JSONType returns the arrow JSON extension type over utf8.
func JSONType() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}

func parseUnit(s string) (arrow.TimeUnit, error) {
	switch strings.TrimSpace(s) {
	case "s":
		return arrow.Second, nil
	case "ms":
		return arrow.Millisecond, nil
	case "us":
		return arrow.Microsecond, nil
	case "ns":
		return arrow.Nanosecond, nil
	}
	return 0, fmt.Errorf("unknown time unit %q (want s, ms, us or ns)", s)
}

// ParseType parses one type of a column specification; FormatType is its
// inverse.
func ParseType(s string) (arrow.DataType, error) {
	s = strings.TrimSpace(s)
	ls := strings.ToLower(s)
	if dt, ok := simpleTypes[ls]; ok {
		return dt, nil
	}
	args := func(prefix, open, close string) (string, bool) {
		if strings.HasPrefix(ls, prefix+open) && strings.HasSuffix(ls, close) {
			return s[len(prefix)+len(open) : len(s)-len(close)], true
		}
		return "", false
	}
	if a, ok := args("decimal", "(", ")"); ok {
		return parseDecimal(a)
	}
	if a, ok := args("numeric", "(", ")"); ok {
		return parseDecimal(a)
	}
	if a, ok := args("decimal256", "(", ")"); ok {
		dt, err := parseDecimal(a)
		if err != nil {
			return nil, err
		}
		d := dt.(arrow.DecimalType)
		return &arrow.Decimal256Type{Precision: d.GetPrecision(), Scale: d.GetScale()}, nil
	}
	if a, ok := args("timestamp", "[", "]"); ok {
		unit, tz, _ := strings.Cut(a, ",")
		u, err := parseUnit(unit)
		if err != nil {
			return nil, err
		}
		return &arrow.TimestampType{Unit: u, TimeZone: strings.TrimSpace(tz)}, nil
	}
	if a, ok := args("time64", "[", "]"); ok {
		u, err := parseUnit(a)
		if err != nil || u < arrow.Microsecond {
			return nil, fmt.Errorf("time64 takes us or ns, not %q", a)
		}
		return &arrow.Time64Type{Unit: u}, nil
	}
	if a, ok := args("time32", "[", "]"); ok {
		u, err := parseUnit(a)
		if err != nil || u > arrow.Millisecond {
			return nil, fmt.Errorf("time32 takes s or ms, not %q", a)
		}
		return &arrow.Time32Type{Unit: u}, nil
	}
	if a, ok := args("list", "<", ">"); ok {
		et, err := ParseType(a)
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(et), nil
	}
	if a, ok := args("fixed_size_binary", "[", "]"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad fixed_size_binary size in %q", s)
		}
		return &arrow.FixedSizeBinaryType{ByteWidth: n}, nil
	}
	if a, ok := args("struct", "<", ">"); ok {
		sub, err := ParseColumns(a)
		if err != nil {
			return nil, fmt.Errorf("struct fields: %w", err)
		}
		return arrow.StructOf(sub.Fields()...), nil
	}
	if a, ok := args("map", "<", ">"); ok {
		parts, err := splitTop(a, ',')
		if err != nil || len(parts) != 2 {
			return nil, fmt.Errorf("map takes two types, map<key,value>: %q", s)
		}
		kt, err := ParseType(parts[0])
		if err != nil {
			return nil, err
		}
		vt, err := ParseType(parts[1])
		if err != nil {
			return nil, err
		}
		return arrow.MapOf(kt, vt), nil
	}
	if strings.HasPrefix(ls, "fixed_size_list<") && strings.HasSuffix(ls, "]") {
		i := strings.LastIndex(s, ">[")
		if i > 0 {
			et, err := ParseType(s[len("fixed_size_list<"):i])
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(s[i+2 : len(s)-1])
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("bad fixed_size_list size in %q", s)
			}
			return arrow.FixedSizeListOf(int32(n), et), nil
		}
	}
	return nil, fmt.Errorf("unknown type %q", s)
}

func parseDecimal(a string) (arrow.DataType, error) {
	ps, ss, _ := strings.Cut(a, ",")
	p, err1 := strconv.Atoi(strings.TrimSpace(ps))
	sc := 0
	var err2 error
	if strings.TrimSpace(ss) != "" {
		sc, err2 = strconv.Atoi(strings.TrimSpace(ss))
	}
	if err1 != nil || err2 != nil || p < 1 || p > 76 || sc < 0 || sc > p {
		return nil, fmt.Errorf("bad decimal precision/scale %q (want p,s with 1 <= p <= 76, 0 <= s <= p)", a)
	}
	if p <= 38 {
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(sc)}, nil
	}
	return &arrow.Decimal256Type{Precision: int32(p), Scale: int32(sc)}, nil
}

func unitName(u arrow.TimeUnit) string {
	return [...]string{"s", "ms", "us", "ns"}[u]
}

// FormatType returns the column-spec name of dt, which ParseType parses back.
func FormatType(dt arrow.DataType) (string, error) {
	switch t := dt.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float32Type, *arrow.Float64Type, *arrow.BinaryType, *arrow.LargeBinaryType,
		*arrow.Date32Type, *arrow.Date64Type:
		return t.String(), nil
	case *arrow.BooleanType:
		return "bool", nil
	case *arrow.StringType:
		return "utf8", nil
	case *arrow.LargeStringType:
		return "large_utf8", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Decimal256Type:
		return fmt.Sprintf("decimal256(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return fmt.Sprintf("timestamp[%s,%s]", unitName(t.Unit), t.TimeZone), nil
		}
		return fmt.Sprintf("timestamp[%s]", unitName(t.Unit)), nil
	case *arrow.Time32Type:
		return fmt.Sprintf("time32[%s]", unitName(t.Unit)), nil
	case *arrow.Time64Type:
		return fmt.Sprintf("time64[%s]", unitName(t.Unit)), nil
	case *arrow.MonthDayNanoIntervalType:
		return "interval", nil
	case *extensions.UUIDType:
		return "uuid", nil
	case *extensions.JSONType:
		return "json", nil
	case *arrow.ListType:
		et, err := FormatType(t.Elem())
		return "list<" + et + ">", err
	case *arrow.FixedSizeListType:
		et, err := FormatType(t.Elem())
		return fmt.Sprintf("fixed_size_list<%s>[%d]", et, t.Len()), err
	case *arrow.Float16Type:
		return "float16", nil
	case *arrow.NullType:
		return "null", nil
	case *arrow.FixedSizeBinaryType:
		return fmt.Sprintf("fixed_size_binary[%d]", t.ByteWidth), nil
	case *arrow.MapType:
		kt, err := FormatType(t.KeyType())
		if err != nil {
			return "", err
		}
		vt, err := FormatType(t.ItemType())
		return "map<" + kt + "," + vt + ">", err
	case *arrow.StructType:
		sub, err := FormatColumns(arrow.NewSchema(t.Fields(), nil))
		return "struct<" + sub + ">", err
	}
	return "", fmt.Errorf("type %s has no column-spec name", dt)
}

// FormatColumns returns the column specification of schema.
func FormatColumns(schema *arrow.Schema) (string, error) {
	parts := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		t, err := FormatType(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %q: %w", f.Name, err)
		}
		parts[i] = f.Name + ":" + t
	}
	return strings.Join(parts, ","), nil
}
