package parquetreader_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// TestTextWithPreallocatedData reads text and binary columns (NULLs,
// empty values, a value of 1 MiB among short ones, dictionary and plain
// pages) whose batch data pqarrow now reserves from the column chunk
// sizes, in batches smaller and larger than the row groups, and compares
// every value.
func TestTextWithPreallocatedData(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "low", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}, nil)
	huge := strings.Repeat("é,\"\n", 1<<18)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const n = 3000
	for i := range n {
		s, low, bin := b.Field(0).(*array.StringBuilder), b.Field(1).(*array.StringBuilder), b.Field(2).(*array.BinaryBuilder)
		switch {
		case i%7 == 0:
			s.AppendNull()
		case i%11 == 0:
			s.Append("")
		case i == 1234:
			s.Append(huge)
		default:
			s.Append(strings.Repeat("x", i%300))
		}
		if i%5 == 0 {
			low.AppendNull()
		} else {
			low.Append([]string{"new", "paid", ""}[i%3])
		}
		if i%13 == 0 {
			bin.AppendNull()
		} else {
			bin.Append([]byte{byte(i), 0, byte(i >> 8)})
		}
	}
	data := b.NewRecordBatch()
	defer data.Release()
	path := filepath.Join(t.TempDir(), "t.parquet")
	writeParquet(t, path, data, parquetwriter.Config{RowGroupRows: 1000, Allocator: mem})
	for _, batch := range []int{1, 100, 999, 1000, 65536} {
		r, err := parquetreader.Open(context.Background(), parquetreader.Config{Path: path, Allocator: mem, BatchRows: batch})
		require.NoError(t, err)
		got, _ := filetest.ReadAll(t, r, false)
		require.True(t, array.RecordEqual(data, got), "batchRows=%d", batch)
		got.Release()
	}
}
