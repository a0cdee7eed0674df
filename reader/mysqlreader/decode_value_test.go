package mysqlreader

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestValueDecoderMatchesText feeds every kind with a typed fast path the
// values the driver hands over parsed (int64, uint64, float32, float64)
// and checks that each appends what the text decoder appends for the text
// database/sql used to make of it (sql.RawBytes), and fails with the same
// error.
func TestValueDecoderMatchesText(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	kinds := []struct {
		k kind
		t arrow.DataType
	}{
		{kInt8, arrow.PrimitiveTypes.Int8}, {kInt16, arrow.PrimitiveTypes.Int16}, {kInt32, arrow.PrimitiveTypes.Int32},
		{kInt64, arrow.PrimitiveTypes.Int64}, {kUint8, arrow.PrimitiveTypes.Uint8}, {kUint16, arrow.PrimitiveTypes.Uint16},
		{kUint32, arrow.PrimitiveTypes.Uint32}, {kUint64, arrow.PrimitiveTypes.Uint64}, {kBool, arrow.FixedWidthTypes.Boolean},
		{kFloat32, arrow.PrimitiveTypes.Float32}, {kFloat64, arrow.PrimitiveTypes.Float64},
		{kString, arrow.BinaryTypes.String}, {kDec128, &arrow.Decimal128Type{Precision: 20, Scale: 2}},
	}
	var values []driver.Value
	for _, v := range []int64{0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 32767, -32768, 65535, 65536,
		math.MaxInt32, math.MinInt32, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MinInt64} {
		values = append(values, v)
	}
	for _, v := range []uint64{0, 1, 255, 256, math.MaxUint32, math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64} {
		values = append(values, v)
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1.5, -2.25, 0.1, 1e300, -1e-300, math.MaxFloat32 * 1.0000001,
		math.SmallestNonzeroFloat64, 3.4028234663852886e+38, 16777217, 123456.789012345678} {
		values = append(values, v)
	}
	for _, v := range []float32{0, 0.1, -1.5, math.MaxFloat32, math.SmallestNonzeroFloat32, 16777216} {
		values = append(values, v)
	}
	for _, kt := range kinds {
		for _, v := range values {
			name := fmt.Sprintf("%v/%T(%v)", kt.t, v, v)
			col := &column{kind: kt.k}
			fast, slow := array.NewBuilder(mem, kt.t), array.NewBuilder(mem, kt.t)
			var scratch []byte
			vd := newValueDecoder(col, fast, nil, false)
			_, ferr := vd.decode(v, &scratch)
			var text []byte
			switch x := v.(type) {
			case int64:
				text = strconv.AppendInt(nil, x, 10)
			case uint64:
				text = strconv.AppendUint(nil, x, 10)
			case float64:
				text = strconv.AppendFloat(nil, x, 'g', -1, 64)
			case float32:
				text = strconv.AppendFloat(nil, float64(x), 'g', -1, 32)
			}
			serr := newDecoder(col, slow, nil, false)(text)
			if fmt.Sprint(ferr) != fmt.Sprint(serr) {
				t.Errorf("%s: error %v, the text decoder's %v", name, ferr, serr)
			}
			fa, sa := fast.NewArray(), slow.NewArray()
			if !array.Equal(fa, sa) {
				t.Errorf("%s: appended %v, the text decoder %v", name, fa, sa)
			}
			fa.Release()
			sa.Release()
			fast.Release()
			slow.Release()
		}
	}
}
