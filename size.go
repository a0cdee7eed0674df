package ferry

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// BatchBytes estimates the bytes of data in b: fixed-width values at their
// width, variable-width values at their length plus an offset, nested values
// recursively. Unlike the sum of buffer sizes it is right for slices, which
// share their parent's buffers. A batch with a DataBytes() int64 method (a
// passthrough batch, whose columns are decoded only when touched) is
// measured by it instead.
func BatchBytes(b arrow.RecordBatch) int64 {
	if s, ok := b.(interface{ DataBytes() int64 }); ok {
		return s.DataBytes()
	}
	var n int64
	for _, c := range b.Columns() {
		n += arrayBytes(c)
	}
	return n
}

func arrayBytes(a arrow.Array) int64 {
	rows := int64(a.Len())
	switch a := a.(type) {
	case *array.String:
		return span(a.ValueOffsets()) + 4*rows
	case *array.Binary:
		return span(a.ValueOffsets()) + 4*rows
	case *array.LargeString:
		return span(a.ValueOffsets()) + 8*rows
	case *array.LargeBinary:
		return span(a.ValueOffsets()) + 8*rows
	case array.ExtensionArray:
		return arrayBytes(a.Storage())
	case array.ListLike:
		if a.Len() == 0 {
			return 0
		}
		start, _ := a.ValueOffsets(0)
		_, end := a.ValueOffsets(a.Len() - 1)
		vals := array.NewSlice(a.ListValues(), start, end)
		defer vals.Release()
		return arrayBytes(vals) + 4*rows
	case *array.Struct:
		var n int64
		for i := 0; i < a.NumField(); i++ {
			n += arrayBytes(a.Field(i))
		}
		return n
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok {
		bits := int64(fw.BitWidth())
		if bits < 8 {
			return (rows*bits + 7) / 8
		}
		return rows * bits / 8
	}
	return rows * 8
}

// span returns the bytes between the first and the last offset.
func span[T int32 | int64](offs []T) int64 {
	if len(offs) == 0 {
		return 0
	}
	return int64(offs[len(offs)-1] - offs[0])
}
