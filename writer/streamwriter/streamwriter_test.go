package streamwriter_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/streamwriter"
)

func batch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	ts := time.Date(1989, 6, 4, 1, 2, 3, 500000000, time.UTC)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"DataX", ""}, []bool{true, false})
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{19890604, 0}, []bool{true, false})
	b.Field(2).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(ts.UnixMicro()), 0}, []bool{true, false})
	b.Field(3).(*array.Date32Builder).AppendValues([]arrow.Date32{arrow.Date32FromTime(ts), 0}, nil)
	b.Field(4).(*array.Float64Builder).AppendValues([]float64{1.5, 2}, nil)
	b.Field(5).(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil)
	return b.NewRecordBatch()
}

// Rows print as DataX prints them: tab-separated, NULL as "null".
func TestStreamWriter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := batch(t, mem)
	defer rec.Release()
	var out bytes.Buffer
	w := streamwriter.New(streamwriter.Config{Out: &out})
	r := memreader.New([]arrow.RecordBatch{rec}, &memreader.Options{Repeat: 3})
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2, Allocator: mem}).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 6, sum.RowsWritten)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	sort.Strings(lines)
	require.Equal(t, []string{
		"DataX\t19890604\t1989-06-04 01:02:03.5\t1989-06-04\t1.5\ttrue",
		"DataX\t19890604\t1989-06-04 01:02:03.5\t1989-06-04\t1.5\ttrue",
		"DataX\t19890604\t1989-06-04 01:02:03.5\t1989-06-04\t1.5\ttrue",
		"null\tnull\tnull\t1970-01-01\t2\tfalse",
		"null\tnull\tnull\t1970-01-01\t2\tfalse",
		"null\tnull\tnull\t1970-01-01\t2\tfalse",
	}, lines)
}

func TestStreamWriterURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.txt")
	rec := batch(t, memory.DefaultAllocator)
	defer rec.Release()
	w, err := ferry.OpenWriter(context.Background(), "stream://"+path+"?fieldDelimiter=,")
	require.NoError(t, err)
	_, err = ferry.New(memreader.New([]arrow.RecordBatch{rec}, nil), w, nil).Run(context.Background())
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "DataX,19890604,1989-06-04 01:02:03.5,1989-06-04,1.5,true\nnull,null,null,1970-01-01,2,false\n", string(got))

	w, err = ferry.OpenWriter(context.Background(), "stream://stdout?print=false")
	require.NoError(t, err)
	sum, err := ferry.New(memreader.New([]arrow.RecordBatch{rec}, nil), w, nil).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.RowsWritten)

	_, err = ferry.OpenWriter(context.Background(), "stream://elsewhere")
	require.ErrorContains(t, err, "want stream://stdout")
}
