package fileset

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TypeKey is the field metadata key under which the Parquet writer keeps
// the Arrow type of a column it had to store as another type (intervals as
// struct<months,days,nanoseconds>, fixed-size lists as lists, JSON read
// back as binary), so that the Parquet reader restores it.
const TypeKey = "ferry.type"

var intervalStruct = arrow.StructOf(
	arrow.Field{Name: "months", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "days", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "nanoseconds", Type: arrow.PrimitiveTypes.Int64},
)

// ParquetStorage returns the schema the Parquet writer writes for schema:
// month_day_nano intervals become struct<months:int32,days:int32,
// nanoseconds:int64>, fixed_size_list<T>[n] becomes list<T> (Parquet cannot
// hold a null fixed-size list), JSON becomes its utf8 storage (pqarrow
// cannot read a stored JSON type back), and these columns are marked with
// TypeKey. convert reports which columns need ToParquet (JSON needs none).
func ParquetStorage(schema *arrow.Schema) (storage *arrow.Schema, convert []bool, err error) {
	fields := make([]arrow.Field, schema.NumFields())
	convert = make([]bool, len(fields))
	for i, f := range schema.Fields() {
		var st arrow.DataType
		switch t := f.Type.(type) {
		case *arrow.MonthDayNanoIntervalType:
			st = intervalStruct
		case *arrow.FixedSizeListType:
			if err := flatType(t.Elem()); err != nil {
				return nil, nil, fmt.Errorf("column %q: %w", f.Name, err)
			}
			st = arrow.ListOfField(arrow.Field{Name: "element", Type: t.Elem(), Nullable: true})
		case *extensions.JSONType:
			// pqarrow reads a JSON column back as binary and then rejects
			// the stored JSON type (storage utf8): store plain utf8.
			st = t.StorageType()
		default:
			if err := flatType(f.Type); err != nil {
				return nil, nil, fmt.Errorf("column %q: %w", f.Name, err)
			}
		}
		fields[i] = f
		if st != nil {
			name, err := FormatType(f.Type)
			if err != nil {
				return nil, nil, fmt.Errorf("column %q: %w", f.Name, err)
			}
			keys, vals := f.Metadata.Keys(), f.Metadata.Values()
			fields[i].Metadata = arrow.NewMetadata(append(keys, TypeKey), append(vals, name))
			fields[i].Type = st
			_, isJSON := f.Type.(*extensions.JSONType)
			convert[i] = !isJSON
		}
	}
	md := schema.Metadata()
	return arrow.NewSchema(fields, &md), convert, nil
}

// flatType rejects intervals and fixed-size lists nested in other types.
func flatType(dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.MonthDayNanoIntervalType, *arrow.FixedSizeListType:
		return fmt.Errorf("%w for Parquet: nested %s", ErrUnsupported, dt)
	case arrow.NestedType:
		for _, f := range t.Fields() {
			if err := flatType(f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// ToParquet converts a column of an interval or fixed-size list type to
// its storage type (see ParquetStorage). The caller releases the result.
func ToParquet(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	switch a := a.(type) {
	case *array.MonthDayNanoInterval:
		b := array.NewStructBuilder(mem, intervalStruct)
		defer b.Release()
		mb := b.FieldBuilder(0).(*array.Int32Builder)
		db := b.FieldBuilder(1).(*array.Int32Builder)
		nb := b.FieldBuilder(2).(*array.Int64Builder)
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.Append(true)
			v := a.Value(i)
			mb.Append(v.Months)
			db.Append(v.Days)
			nb.Append(v.Nanoseconds)
		}
		return b.NewArray(), nil
	case *array.FixedSizeList:
		n := int(a.DataType().(*arrow.FixedSizeListType).Len())
		offsets := make([]int32, a.Len()+1)
		var parts []arrow.Array
		defer func() {
			for _, p := range parts {
				p.Release()
			}
		}()
		pos := int32(0)
		runStart, runEnd := int64(-1), int64(-1)
		for i := 0; i < a.Len(); i++ {
			offsets[i] = pos
			if a.IsNull(i) {
				continue
			}
			s, e := a.ValueOffsets(i)
			if s != runEnd {
				if runStart >= 0 {
					parts = append(parts, array.NewSlice(a.ListValues(), runStart, runEnd))
				}
				runStart = s
			}
			runEnd = e
			pos += int32(n)
		}
		offsets[a.Len()] = pos
		if runStart >= 0 {
			parts = append(parts, array.NewSlice(a.ListValues(), runStart, runEnd))
		}
		var child arrow.Array
		if len(parts) == 0 {
			child = array.MakeArrayOfNull(mem, a.DataType().(*arrow.FixedSizeListType).Elem(), 0)
		} else {
			var err error
			if child, err = array.Concatenate(parts, mem); err != nil {
				return nil, err
			}
		}
		defer child.Release()
		lt := arrow.ListOfField(arrow.Field{Name: "element", Type: child.DataType(), Nullable: true})
		offBuf := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets))
		var validity *memory.Buffer
		if a.NullN() > 0 {
			bm := make([]byte, (a.Len()+7)/8)
			for i := 0; i < a.Len(); i++ {
				if a.IsValid(i) {
					bm[i/8] |= 1 << (i % 8)
				}
			}
			validity = memory.NewBufferBytes(bm)
		}
		data := array.NewData(lt, a.Len(), []*memory.Buffer{validity, offBuf}, []arrow.ArrayData{child.Data()}, a.NullN(), 0)
		defer data.Release()
		return array.MakeFromData(data), nil
	}
	return nil, fmt.Errorf("fileset: no Parquet storage conversion for %s", a.DataType())
}

// ParquetRestore returns a field read from Parquet as written: of the type
// named by its TypeKey metadata, without that key nor pqarrow's
// "PARQUET:field_id" of -1. It reports whether the type changed.
func ParquetRestore(f arrow.Field) (arrow.Field, bool, error) {
	dt := f.Type
	name, ok := f.Metadata.GetValue(TypeKey)
	if ok {
		var err error
		if dt, err = ParseType(name); err != nil {
			return f, false, fmt.Errorf("column %q: bad %s %q: %w", f.Name, TypeKey, name, err)
		}
	}
	var keys, vals []string
	for i, k := range f.Metadata.Keys() {
		if k == "PARQUET:field_id" && f.Metadata.Values()[i] == "-1" {
			continue // noise added by pqarrow
		}
		if k != TypeKey {
			keys = append(keys, k)
			vals = append(vals, f.Metadata.Values()[i])
		}
	}
	out := arrow.Field{Name: f.Name, Type: stripFieldIDs(dt), Nullable: f.Nullable}
	if len(keys) > 0 {
		out.Metadata = arrow.NewMetadata(keys, vals)
	}
	return out, !arrow.TypeEqual(dt, f.Type), nil
}

// FromParquet converts a column read from Parquet to dt (see ParquetStorage).
// The caller releases the result.
func FromParquet(mem memory.Allocator, a arrow.Array, dt arrow.DataType) (arrow.Array, error) {
	switch t := dt.(type) {
	case *extensions.JSONType:
		var st arrow.DataType = arrow.BinaryTypes.String
		switch a.DataType().ID() {
		case arrow.BINARY, arrow.STRING:
		case arrow.LARGE_BINARY, arrow.LARGE_STRING:
			st = arrow.BinaryTypes.LargeString
		default:
			return nil, fmt.Errorf("cannot read %s as json", a.DataType())
		}
		jt, err := extensions.NewJSONType(st)
		if err != nil {
			return nil, err
		}
		d := a.Data()
		sd := array.NewData(st, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
		defer sd.Release()
		storage := array.MakeFromData(sd)
		defer storage.Release()
		return array.NewExtensionArrayWithStorage(jt, storage), nil
	case *arrow.MonthDayNanoIntervalType:
		s, ok := a.(*array.Struct)
		if !ok || s.NumField() != 3 {
			return nil, fmt.Errorf("cannot read %s as interval", a.DataType())
		}
		m, ok1 := s.Field(0).(*array.Int32)
		d, ok2 := s.Field(1).(*array.Int32)
		n, ok3 := s.Field(2).(*array.Int64)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("cannot read %s as interval", a.DataType())
		}
		b := array.NewMonthDayNanoIntervalBuilder(mem)
		defer b.Release()
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.Append(arrow.MonthDayNanoInterval{Months: m.Value(i), Days: d.Value(i), Nanoseconds: n.Value(i)})
		}
		return b.NewArray(), nil
	case *arrow.FixedSizeListType:
		l, ok := a.(array.ListLike)
		if !ok {
			return nil, fmt.Errorf("cannot read %s as %s", a.DataType(), dt)
		}
		n := int64(t.Len())
		var parts []arrow.Array
		defer func() {
			for _, p := range parts {
				p.Release()
			}
		}()
		var nulls arrow.Array
		runStart, runEnd := int64(-1), int64(-1)
		flush := func() {
			if runStart >= 0 && runEnd > runStart {
				parts = append(parts, array.NewSlice(l.ListValues(), runStart, runEnd))
			}
			runStart, runEnd = -1, -1
		}
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				flush()
				if nulls == nil {
					nulls = array.MakeArrayOfNull(mem, t.Elem(), int(n))
					defer nulls.Release()
				}
				nulls.Retain()
				parts = append(parts, nulls)
				continue
			}
			s, e := l.ValueOffsets(i)
			if e-s != n {
				return nil, fmt.Errorf("row %d has %d elements, want %d", i, e-s, n)
			}
			if s != runEnd {
				flush()
				runStart = s
			}
			runEnd = e
		}
		flush()
		var child arrow.Array
		if len(parts) == 0 {
			child = array.MakeArrayOfNull(mem, t.Elem(), 0)
		} else {
			var err error
			if child, err = array.Concatenate(parts, mem); err != nil {
				return nil, err
			}
		}
		defer child.Release()
		var validity *memory.Buffer
		if a.NullN() > 0 {
			bm := make([]byte, (a.Len()+7)/8)
			for i := 0; i < a.Len(); i++ {
				if a.IsValid(i) {
					bm[i/8] |= 1 << (i % 8)
				}
			}
			validity = memory.NewBufferBytes(bm)
		}
		data := array.NewData(dt, a.Len(), []*memory.Buffer{validity}, []arrow.ArrayData{child.Data()}, a.NullN(), 0)
		defer data.Release()
		return array.MakeFromData(data), nil
	}
	return nil, fmt.Errorf("fileset: no Parquet conversion to %s", dt)
}

// stripFieldIDs removes pqarrow's "PARQUET:field_id" metadata from the
// fields nested in dt.
func stripFieldIDs(dt arrow.DataType) arrow.DataType {
	clean := func(f arrow.Field) arrow.Field {
		f.Type = stripFieldIDs(f.Type)
		var keys, vals []string
		for i, k := range f.Metadata.Keys() {
			if k == "PARQUET:field_id" && f.Metadata.Values()[i] == "-1" {
				continue
			}
			keys = append(keys, k)
			vals = append(vals, f.Metadata.Values()[i])
		}
		f.Metadata = arrow.Metadata{}
		if len(keys) > 0 {
			f.Metadata = arrow.NewMetadata(keys, vals)
		}
		return f
	}
	switch t := dt.(type) {
	case *arrow.ListType:
		return arrow.ListOfField(clean(t.ElemField()))
	case *arrow.LargeListType:
		return arrow.LargeListOfField(clean(t.ElemField()))
	case *arrow.FixedSizeListType:
		return arrow.FixedSizeListOfField(t.Len(), clean(t.ElemField()))
	case *arrow.StructType:
		fs := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			fs[i] = clean(f)
		}
		return arrow.StructOf(fs...)
	}
	return dt
}
