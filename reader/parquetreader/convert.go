package parquetreader

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// mapOfList returns the map type of a map with optional keys as pqarrow
// reads it: struct<key_value: list<struct<key, value>>>.
func mapOfList(dt arrow.DataType) (*arrow.MapType, error) {
	st, ok := dt.(*arrow.StructType)
	if !ok || st.NumFields() != 1 {
		return nil, fmt.Errorf("unexpected map layout %s", dt)
	}
	lt, ok := st.Field(0).Type.(*arrow.ListType)
	if !ok {
		return nil, fmt.Errorf("unexpected map layout %s", dt)
	}
	kv, ok := lt.Elem().(*arrow.StructType)
	if !ok || kv.NumFields() != 2 {
		return nil, fmt.Errorf("unexpected map layout %s", dt)
	}
	return arrow.MapOfFields(arrow.Field{Name: "key", Type: kv.Field(0).Type}, arrow.Field{Name: "value", Type: kv.Field(1).Type, Nullable: true}), nil
}

// mapFromList turns a map with optional keys read as a list of key/value
// structs into an Arrow map (whose keys cannot be null: a null key is an
// error naming the row). The caller releases the result.
func mapFromList(a arrow.Array, mt *arrow.MapType) (arrow.Array, error) {
	st, ok := a.(*array.Struct)
	if !ok || st.NumField() != 1 {
		return nil, fmt.Errorf("unexpected map layout %s", a.DataType())
	}
	lst, ok := st.Field(0).(*array.List)
	if !ok || st.Data().Offset() != 0 || lst.Data().Offset() != 0 {
		return nil, fmt.Errorf("unexpected map layout %s", a.DataType())
	}
	kv, ok := lst.ListValues().(*array.Struct)
	if !ok || kv.NumField() != 2 {
		return nil, fmt.Errorf("unexpected map layout %s", a.DataType())
	}
	keys := kv.Field(0)
	if keys.NullN() > 0 {
		for i := 0; i < st.Len(); i++ {
			if st.IsNull(i) {
				continue
			}
			s, e := lst.ValueOffsets(i)
			for j := s; j < e; j++ {
				if keys.IsNull(int(j)) {
					return nil, fmt.Errorf("row %d: null map key (Arrow map keys cannot be null)", i+1)
				}
			}
		}
	}
	entries := array.NewData(mt.Elem(), kv.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{keys.Data(), kv.Field(1).Data()}, 0, 0)
	defer entries.Release()
	d := array.NewData(mt, st.Len(), []*memory.Buffer{st.Data().Buffers()[0], lst.Data().Buffers()[1]}, []arrow.ArrayData{entries}, st.NullN(), 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

type badValue struct {
	row  int
	text string
}

const julianUnixEpoch = 2440588

// readInt96 reads n rows of a flat INT96 column as timestamps of unit u
// (type dt). A value outside the range of the unit is NULL in the array
// and listed in bad, so the caller drops its row.
func readInt96(mem memory.Allocator, cr *file.Int96ColumnChunkReader, n int64, u arrow.TimeUnit, dt arrow.DataType) (arrow.Array, []badValue, error) {
	b := array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(int(n))
	maxDef := cr.Descriptor().MaxDefinitionLevel()
	vals := make([]parquet.Int96, n)
	defs := make([]int16, n)
	var bad []badValue
	row := 0
	for int64(row) < n {
		want := n - int64(row)
		total, nv, err := cr.ReadBatch(want, vals[:want], defs[:want], nil)
		if err != nil {
			return nil, nil, err
		}
		if total == 0 {
			return nil, nil, fmt.Errorf("INT96 column ends after %d of %d rows", row, n)
		}
		v := 0
		for k := 0; k < int(total); k++ {
			if maxDef > 0 && defs[k] < maxDef {
				b.AppendNull()
				row++
				continue
			}
			if v >= nv {
				return nil, nil, fmt.Errorf("INT96 column has fewer values than levels")
			}
			ts, text, ok := int96To(vals[v], u)
			v++
			if !ok {
				bad = append(bad, badValue{row: row, text: text})
				b.AppendNull()
			} else {
				b.Append(ts)
			}
			row++
		}
	}
	return b.NewArray(), bad, nil
}

// int96To converts an INT96 timestamp (nanoseconds of the day, then the
// Julian day, little endian) to unit u; ok is false when it does not fit,
// and text then tells the value.
func int96To(v parquet.Int96, u arrow.TimeUnit) (arrow.Timestamp, string, bool) {
	nanos := binary.LittleEndian.Uint64(v[:8])
	days := int64(binary.LittleEndian.Uint32(v[8:])) - julianUnixEpoch
	if nanos >= 86400e9 {
		return 0, fmt.Sprintf("day %d nanosecond %d (not a time of day)", days+julianUnixEpoch, nanos), false
	}
	text := func() string {
		return time.Unix(days*86400, int64(nanos)).UTC().Format("2006-01-02T15:04:05.999999999Z")
	}
	perDay := 86400e9 / int64(u.Multiplier()) // Multiplier: nanoseconds per unit
	frac := int64(nanos) / int64(u.Multiplier())
	hi, lo := bits.Mul64(uint64(abs(days)), uint64(perDay))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, text(), false
	}
	t := int64(lo)
	if days < 0 {
		t = -t
	}
	if t > 0 && frac > math.MaxInt64-t {
		return 0, text(), false
	}
	return arrow.Timestamp(t + frac), "", true
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// dropRows returns rec without the rows in bad.
func dropRows(mem memory.Allocator, rec arrow.RecordBatch, bad []int) (arrow.RecordBatch, error) {
	skip := map[int]bool{}
	for _, r := range bad {
		skip[r] = true
	}
	var parts []arrow.RecordBatch
	start := -1
	for i := 0; i <= int(rec.NumRows()); i++ {
		if i < int(rec.NumRows()) && !skip[i] {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			parts = append(parts, rec.NewSlice(int64(start), int64(i)))
			start = -1
		}
	}
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	cols := make([]arrow.Array, rec.NumCols())
	var n int64
	for _, p := range parts {
		n += p.NumRows()
	}
	for c := range cols {
		var arrs []arrow.Array
		for _, p := range parts {
			arrs = append(arrs, p.Column(c))
		}
		if len(arrs) == 0 {
			cols[c] = array.MakeArrayOfNull(mem, rec.Column(c).DataType(), 0)
			continue
		}
		a, err := array.Concatenate(arrs, mem)
		if err != nil {
			for _, x := range cols[:c] {
				x.Release()
			}
			return nil, err
		}
		cols[c] = a
	}
	out := array.NewRecordBatch(rec.Schema(), cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}
