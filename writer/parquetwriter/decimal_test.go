package parquetwriter

import (
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

// TestDecimalsAsIntegers: decimals of up to 9 digits are stored as INT32,
// up to 18 as INT64, longer ones as fixed-length bytes, and all of them
// read back unchanged: the largest and smallest values of each precision,
// zero, one unit, NULLs.
func TestDecimalsAsIntegers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	precisions := []int32{1, 9, 10, 18, 19, 38}
	want := map[int32]parquet.Type{1: parquet.Types.Int32, 9: parquet.Types.Int32, 10: parquet.Types.Int64,
		18: parquet.Types.Int64, 19: parquet.Types.FixedLenByteArray, 38: parquet.Types.FixedLenByteArray}
	var fields []arrow.Field
	for _, p := range precisions {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("d%d", p), Type: &arrow.Decimal128Type{Precision: p, Scale: p / 2}, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, p := range precisions {
		db := b.Field(i).(*array.Decimal128Builder)
		top := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil), big.NewInt(1))
		for _, v := range []*big.Int{top, new(big.Int).Neg(top), big.NewInt(0), big.NewInt(1), big.NewInt(-1)} {
			db.Append(decimal128.FromBigInt(v))
		}
		db.AppendNull()
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	pf := encodeFile(t, mem, schema, rec)
	defer pf.Close()
	for i, p := range precisions {
		require.Equal(t, want[p], pf.MetaData().Schema.Column(i).PhysicalType(), "precision %d", p)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	require.NoError(t, err)
	tbl, err := fr.ReadTable(context.Background())
	require.NoError(t, err)
	defer tbl.Release()
	tr := array.NewTableReader(tbl, -1)
	defer tr.Release()
	require.True(t, tr.Next())
	got := tr.RecordBatch()
	for i := range precisions {
		require.True(t, arrow.TypeEqual(fields[i].Type, got.Column(i).DataType()), "%s: %s", fields[i].Name, got.Column(i).DataType())
		require.True(t, array.Equal(rec.Column(i), got.Column(i)), "%s: %s, want %s", fields[i].Name, got.Column(i), rec.Column(i))
	}
}
