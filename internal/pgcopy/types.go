// Package pgcopy is Ferry's PostgreSQL binary COPY codec: it maps PostgreSQL
// column types to Arrow (DESIGN.md §3), decodes a `COPY ... TO STDOUT (FORMAT
// binary)` stream straight into Arrow builders (Decoder, an io.Writer for
// pgconn.PgConn.CopyTo) and encodes Arrow record batches into a `COPY ... FROM
// STDIN (FORMAT binary)` stream (Encoder, an io.Reader for CopyFrom), with no
// per-row []any and no text parsing.
package pgcopy

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/jackc/pgx/v5"
)

// MetaSourceType is the Arrow field metadata key holding the source column
// type as PostgreSQL's format_type prints it ("numeric(12,2)", "text[]").
const MetaSourceType = "ferry.source_type"

// MetaEncoding is set to "text" on utf8 fields that carry a non-text source
// type as its text form (unconstrained numeric, numeric wider than 76 digits).
const MetaEncoding = "ferry.encoding"

// Built-in type OIDs.
const (
	OIDBool        = 16
	OIDBytea       = 17
	OIDChar        = 18
	OIDName        = 19
	OIDInt8        = 20
	OIDInt2        = 21
	OIDInt4        = 23
	OIDText        = 25
	OIDOID         = 26
	OIDJSON        = 114
	OIDXML         = 142
	OIDFloat4      = 700
	OIDFloat8      = 701
	OIDBPChar      = 1042
	OIDVarchar     = 1043
	OIDDate        = 1082
	OIDTime        = 1083
	OIDTimestamp   = 1114
	OIDTimestamptz = 1184
	OIDInterval    = 1186
	OIDNumeric     = 1700
	OIDUUID        = 2950
	OIDJSONB       = 3802
)

// Type is one row of pg_type, as much as the codec needs.
type Type struct {
	OID      uint32
	Name     string // typname
	Kind     byte   // typtype: b base, d domain, e enum, c composite, p pseudo, r range
	Category byte   // typcategory: A array, ...
	Elem     uint32 // element type of an array
	Base     uint32 // base type of a domain
}

// Types maps OIDs to their catalog rows.
type Types map[uint32]Type

// Querier is the part of *pgx.Conn and pgx.Tx that LoadTypes uses.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// LoadTypes returns the catalog rows of oids and of every element and base
// type they refer to.
func LoadTypes(ctx context.Context, q Querier, oids []uint32) (Types, error) {
	ts := Types{}
	want := append([]uint32(nil), oids...)
	for len(want) > 0 {
		rows, err := q.Query(ctx, `SELECT oid, typname, typtype, typcategory, typelem, typbasetype FROM pg_catalog.pg_type WHERE oid = ANY($1)`, want)
		if err != nil {
			return nil, fmt.Errorf("pgcopy: load types: %w", err)
		}
		want = want[:0]
		for rows.Next() {
			var t Type
			var kind, cat string
			if err := rows.Scan(&t.OID, &t.Name, &kind, &cat, &t.Elem, &t.Base); err != nil {
				rows.Close()
				return nil, fmt.Errorf("pgcopy: load types: %w", err)
			}
			t.Kind, t.Category = kind[0], cat[0]
			ts[t.OID] = t
			for _, o := range []uint32{t.Elem, t.Base} {
				if _, ok := ts[o]; o != 0 && !ok {
					want = append(want, o)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("pgcopy: load types: %w", err)
		}
	}
	return ts, nil
}

// Column is a PostgreSQL column (or query output column).
type Column struct {
	Name       string
	OID        uint32
	TypMod     int32
	NotNull    bool
	SourceType string // format_type(oid, typmod), for metadata and errors
}

// scalar resolves domains; it returns the base OID and whether it is an enum.
func (ts Types) scalar(oid uint32) (uint32, bool) {
	for i := 0; i < 10; i++ {
		t, ok := ts[oid]
		if !ok {
			return oid, false
		}
		switch {
		case t.Kind == 'd' && t.Base != 0:
			oid = t.Base
			continue
		case t.Kind == 'e':
			return oid, true
		}
		return oid, false
	}
	return oid, false
}

// arrayElem returns the element type of an array type (after domains), or 0.
func (ts Types) arrayElem(oid uint32) uint32 {
	oid, _ = ts.scalar(oid)
	if t, ok := ts[oid]; ok && t.Category == 'A' && t.Elem != 0 {
		return t.Elem
	}
	return 0
}

// Field returns the Arrow field for c, or an error naming the column when
// Ferry cannot carry its type.
func Field(c Column, ts Types) (arrow.Field, error) {
	md := map[string]string{MetaSourceType: c.SourceType}
	var dt arrow.DataType
	if elem := ts.arrayElem(c.OID); elem != 0 {
		et, err := scalarType(elem, -1, ts, md)
		if err != nil {
			return arrow.Field{}, fmt.Errorf("pgcopy: column %q: array of %w", c.Name, err)
		}
		dt = arrow.ListOf(et)
	} else {
		et, err := scalarType(c.OID, c.TypMod, ts, md)
		if err != nil {
			return arrow.Field{}, fmt.Errorf("pgcopy: column %q: %w", c.Name, err)
		}
		dt = et
	}
	return arrow.Field{Name: c.Name, Type: dt, Nullable: !c.NotNull, Metadata: arrow.MetadataFrom(md)}, nil
}

var jsonType = func() arrow.DataType {
	t, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		panic(err)
	}
	return t
}()

// JSONType is the Arrow JSON extension type over utf8.
func JSONType() arrow.DataType { return jsonType }

func scalarType(oid uint32, typmod int32, ts Types, md map[string]string) (arrow.DataType, error) {
	base, enum := ts.scalar(oid)
	if enum {
		return arrow.BinaryTypes.String, nil
	}
	switch base {
	case OIDBool:
		return arrow.FixedWidthTypes.Boolean, nil
	case OIDBytea:
		return arrow.BinaryTypes.Binary, nil
	case OIDChar, OIDName, OIDText, OIDBPChar, OIDVarchar, OIDXML:
		return arrow.BinaryTypes.String, nil
	case OIDInt2:
		return arrow.PrimitiveTypes.Int16, nil
	case OIDInt4:
		return arrow.PrimitiveTypes.Int32, nil
	case OIDInt8:
		return arrow.PrimitiveTypes.Int64, nil
	case OIDOID:
		return arrow.PrimitiveTypes.Uint32, nil
	case OIDFloat4:
		return arrow.PrimitiveTypes.Float32, nil
	case OIDFloat8:
		return arrow.PrimitiveTypes.Float64, nil
	case OIDDate:
		return arrow.FixedWidthTypes.Date32, nil
	case OIDTime:
		return arrow.FixedWidthTypes.Time64us, nil
	case OIDTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case OIDTimestamptz:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case OIDInterval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval, nil
	case OIDUUID:
		return extensions.NewUUIDType(), nil
	case OIDJSON, OIDJSONB:
		return jsonType, nil
	case OIDNumeric:
		if typmod >= 4 {
			p, s := int32((typmod-4)>>16)&0xffff, int32(typmod-4)&0xffff
			if s <= p { // negative scales (PG 15) fall through to text
				switch {
				case p <= 38:
					return &arrow.Decimal128Type{Precision: p, Scale: s}, nil
				case p <= 76:
					return &arrow.Decimal256Type{Precision: p, Scale: s}, nil
				}
			}
		}
		md[MetaEncoding] = "text"
		return arrow.BinaryTypes.String, nil
	}
	name := strconv.FormatUint(uint64(oid), 10)
	if t, ok := ts[oid]; ok {
		name = t.Name
	}
	return nil, fmt.Errorf("type %s is not supported by Ferry (cast it in querySql, e.g. col::text)", name)
}
