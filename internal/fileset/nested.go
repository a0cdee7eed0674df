package fileset

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/float16"
)

// The values of nested and rare types, as ParseText and ParseJSON return
// them and AppendValue takes them: a struct is a StructValue (one value per
// field, in field order), a map a []MapEntry, float16 a float64, a
// fixed-size binary a []byte, and an extension type the value of its
// storage type.

// StructValue is the value of a struct: one value per field.
type StructValue []any

// MapEntry is one entry of a map value.
type MapEntry struct{ Key, Value any }

// appendNestedJSON appends the JSON form of the nested and rare types:
// structs as objects, maps as arrays of {"key":k,"value":v} (the Arrow
// form: keys of any type, duplicates and order kept), float16 as a number,
// fixed-size binary as base64, other extension types as their storage. ok
// is false for other types.
func appendNestedJSON(dst []byte, a arrow.Array, i int) ([]byte, bool) {
	switch a := a.(type) {
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		dst = append(dst, '{')
		for k := 0; k < a.NumField(); k++ {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, st.Field(k).Name)
			dst = append(dst, ':')
			dst = AppendJSON(dst, a.Field(k), i)
		}
		return append(dst, '}'), true
	case *array.Map:
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		dst = append(dst, '[')
		for j := start; j < end; j++ {
			if j > start {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"key":`...)
			dst = AppendJSON(dst, keys, int(j))
			dst = append(dst, `,"value":`...)
			dst = AppendJSON(dst, items, int(j))
			dst = append(dst, '}')
		}
		return append(dst, ']'), true
	case *array.Float16:
		return appendJSONFloat(dst, float64(a.Value(i).Float32()), 32), true
	case *array.FixedSizeBinary:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, a.Value(i))
		return append(dst, '"'), true
	case array.ExtensionArray:
		return AppendJSON(dst, a.Storage(), i), true
	}
	return dst, false
}

// appendNestedText appends the text form of the nested and rare types:
// structs, maps and lists of them as their JSON text, float16 as a number,
// fixed-size binary as base64, other extension types as their storage's
// text.
func appendNestedText(dst []byte, a arrow.Array, i int) ([]byte, bool) {
	switch a := a.(type) {
	case *array.Struct, *array.Map, *array.LargeList:
		return AppendJSON(dst, a, i), true
	case *array.Float16:
		return appendScalarFloat(dst, float64(a.Value(i).Float32()), 32), true
	case *array.FixedSizeBinary:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i)), true
	case array.ExtensionArray:
		return AppendText(dst, a.Storage(), i), true
	}
	return dst, false
}

// parseNestedJSON parses raw as a value of a nested or rare type; ok is
// false for other types.
func parseNestedJSON(dt arrow.DataType, raw []byte) (v any, ok bool, err error) {
	switch t := dt.(type) {
	case *arrow.StructType:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, true, fmt.Errorf("want a JSON object, got %.40s", raw)
		}
		out := make(StructValue, t.NumFields())
		for k, f := range t.Fields() {
			r, ok := obj[f.Name]
			if !ok {
				continue
			}
			if out[k], err = ParseJSON(f.Type, r); err != nil {
				return nil, true, fmt.Errorf("field %s: %w", f.Name, err)
			}
			if out[k] == nil && !f.Nullable {
				return nil, true, fmt.Errorf("field %s: null in a non-nullable field", f.Name)
			}
		}
		for k := range obj {
			if _, known := t.FieldByName(k); !known {
				return nil, true, fmt.Errorf("unknown field %q", k)
			}
		}
		return out, true, nil
	case *arrow.MapType:
		var entries []struct {
			Key   json.RawMessage `json:"key"`
			Value json.RawMessage `json:"value"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&entries); err != nil || entries == nil {
			return nil, true, fmt.Errorf(`want a JSON array of {"key":k,"value":v}, got %.40s`, raw)
		}
		out := make([]MapEntry, len(entries))
		for k, e := range entries {
			if e.Key == nil {
				return nil, true, fmt.Errorf("entry %d: no key", k)
			}
			key, err := ParseJSON(t.KeyType(), e.Key)
			if err != nil {
				return nil, true, fmt.Errorf("entry %d key: %w", k, err)
			}
			if key == nil {
				return nil, true, fmt.Errorf("entry %d: null key", k)
			}
			var val any
			if e.Value != nil {
				if val, err = ParseJSON(t.ItemType(), e.Value); err != nil {
					return nil, true, fmt.Errorf("entry %d value: %w", k, err)
				}
			}
			out[k] = MapEntry{key, val}
		}
		return out, true, nil
	case *arrow.LargeListType:
		v, err := ParseJSON(arrow.ListOfField(t.ElemField()), raw)
		return v, true, err
	case *arrow.NullType:
		return nil, true, errors.New("the null type holds only null")
	case *arrow.Float16Type:
		if raw[0] != '"' {
			v, err := parseScalar(arrow.PrimitiveTypes.Float32, string(raw))
			return v, true, err
		}
		s, err := jsonString(raw)
		if err != nil {
			return nil, true, err
		}
		v, err := parseScalar(arrow.PrimitiveTypes.Float32, s)
		return v, true, err
	case *arrow.FixedSizeBinaryType:
		s, err := jsonString(raw)
		if err != nil {
			return nil, true, fmt.Errorf("want a base64 JSON string, got %.40s", raw)
		}
		v, err := parseNestedText(dt, s)
		return v, true, err
	case *extensions.JSONType, *extensions.UUIDType:
		return nil, false, nil
	case arrow.ExtensionType:
		v, err := ParseJSON(t.StorageType(), raw)
		return v, true, err
	}
	return nil, false, nil
}

// parseNestedText parses the text form of a nested or rare type.
func parseNestedText(dt arrow.DataType, s string) (any, error) {
	switch t := dt.(type) {
	case *arrow.StructType, *arrow.MapType, *arrow.LargeListType:
		return ParseJSON(dt, []byte(s))
	case *arrow.NullType:
		return nil, errors.New("the null type holds only NULL")
	case *arrow.Float16Type:
		return parseScalar(arrow.PrimitiveTypes.Float32, s)
	case *arrow.FixedSizeBinaryType:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("not base64: %w", err)
		}
		if len(b) != t.ByteWidth {
			return nil, fmt.Errorf("%d bytes, want %d", len(b), t.ByteWidth)
		}
		return b, nil
	case arrow.ExtensionType:
		return ParseText(t.StorageType(), s)
	}
	return nil, fmt.Errorf("%w %s", ErrUnsupported, dt)
}

// appendNested appends v to the builders of the nested and rare types; ok
// is false for other builders.
func appendNested(b array.Builder, v any) (ok bool, err error) {
	switch b := b.(type) {
	case *array.StructBuilder:
		sv, isStruct := v.(StructValue)
		if !isStruct || len(sv) != b.NumField() {
			return true, fmt.Errorf("fileset: cannot append %T to %s", v, b.Type())
		}
		b.Append(true)
		for k, fv := range sv {
			if err := AppendValue(b.FieldBuilder(k), fv); err != nil {
				return true, err
			}
		}
		return true, nil
	case *array.MapBuilder:
		entries, isMap := v.([]MapEntry)
		if !isMap {
			return true, fmt.Errorf("fileset: cannot append %T to %s", v, b.Type())
		}
		b.Append(true)
		for _, e := range entries {
			if err := AppendValue(b.KeyBuilder(), e.Key); err != nil {
				return true, err
			}
			if err := AppendValue(b.ItemBuilder(), e.Value); err != nil {
				return true, err
			}
		}
		return true, nil
	case *array.LargeListBuilder:
		b.Append(true)
		for _, e := range v.([]any) {
			if err := AppendValue(b.ValueBuilder(), e); err != nil {
				return true, err
			}
		}
		return true, nil
	case *array.Float16Builder:
		b.Append(float16.New(float32(v.(float64))))
		return true, nil
	case *array.FixedSizeBinaryBuilder:
		b.Append(v.([]byte))
		return true, nil
	case *array.NullBuilder:
		b.AppendNull()
		return true, nil
	case *extensions.UUIDBuilder:
		return false, nil
	case interface{ StorageBuilder() array.Builder }: // extension builders
		if _, isJSON := v.(JSONText); isJSON {
			return false, nil
		}
		return true, AppendValue(b.StorageBuilder(), v)
	}
	return false, nil
}

// supportedNested reports whether dt is a nested or rare type the file
// codecs handle (known is false for other types).
func supportedNested(dt arrow.DataType) (known bool, err error) {
	switch t := dt.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := Supported(f.Type); err != nil {
				return true, err
			}
		}
		return true, nil
	case *arrow.MapType:
		if err := Supported(t.KeyType()); err != nil {
			return true, err
		}
		return true, Supported(t.ItemType())
	case *arrow.LargeListType:
		return true, Supported(t.Elem())
	case *arrow.Float16Type, *arrow.FixedSizeBinaryType, *arrow.NullType:
		return true, nil
	case *extensions.JSONType, *extensions.UUIDType:
		return false, nil
	case arrow.ExtensionType:
		return true, Supported(t.StorageType())
	}
	return false, nil
}
