package shardreader_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/reader/shardreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// shardsOf cuts data into n memreader shards over two sources.
func shardsOf(t *testing.T, mem memory.Allocator, data arrow.RecordBatch, n, batchRows int, ro *memreader.Options) []shardreader.Shard {
	var shards []shardreader.Shard
	rows := data.NumRows()
	for i := range n {
		lo, hi := rows*int64(i)/int64(n), rows*int64(i+1)/int64(n)
		var batches []arrow.RecordBatch
		for b := lo; b < hi; b += int64(batchRows) {
			s := data.NewSlice(b, min(b+int64(batchRows), hi))
			batches = append(batches, copyBatch(t, mem, s))
			s.Release()
		}
		var r ferry.Reader
		if len(batches) == 0 {
			r = memreader.NewWithSchema(data.Schema())
		} else {
			r = memreader.New(batches, ro)
		}
		for _, b := range batches {
			b.Release()
		}
		db := fmt.Sprintf("db%d", i%2)
		tbl := fmt.Sprintf("order_%02d", i)
		shards = append(shards, shardreader.Shard{Name: db + "." + tbl, Source: db, Reader: r, Values: map[string]string{"_db": db, "_table": tbl}})
	}
	return shards
}

func copyBatch(t *testing.T, mem memory.Allocator, b arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, b.NumCols())
	for i := range cols {
		a, err := array.Concatenate([]arrow.Array{b.Column(i)}, mem)
		require.NoError(t, err)
		cols[i] = a
	}
	out := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
	for _, a := range cols {
		a.Release()
	}
	return out
}

func TestConformance(t *testing.T) {
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			r, err := shardreader.New(shardsOf(t, mem, data, 3, batchRows, &memreader.Options{BatchesPerSplit: 2}), nil)
			require.NoError(t, err)
			return r
		},
	})
}

func TestSourceColumnsAndInterleaving(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := connectortest.Schema([]string{})
	data := connectortest.Batch(memory.DefaultAllocator, schema, 1600)
	defer data.Release()
	r, err := shardreader.New(shardsOf(t, mem, data, 16, 50, &memreader.Options{BatchesPerSplit: 1, Delay: time.Millisecond}), &shardreader.Options{
		SourceColumns: []string{"_db", "_table"}, MaxPerSource: 1, Allocator: mem,
	})
	require.NoError(t, err)
	splits, err := r.Splits(context.Background(), 4)
	require.NoError(t, err)
	// 16 shards × 2 splits, alternating between the two databases.
	require.Len(t, splits, 32)
	for i := 1; i < len(splits); i++ {
		require.NotEqual(t, splits[i-1].ID[:3], splits[i].ID[:3], "splits %d and %d come from the same database", i-1, i)
	}

	tbl := memwriter.NewTable()
	defer tbl.Release()
	sum, err := ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Concurrency: 4, Allocator: mem}).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1600, sum.RowsWritten)
	got, err := tbl.Batch(nil, nil)
	require.NoError(t, err)
	defer got.Release()
	require.Equal(t, "_db", got.Schema().Field(got.Schema().NumFields()-2).Name)
	ids := got.Column(0).(*array.Int64)
	dbs := got.Column(got.Schema().NumFields() - 2).(*array.String)
	tables := got.Column(got.Schema().NumFields() - 1).(*array.String)
	for i := 0; i < ids.Len(); i++ {
		shard := int((ids.Value(i) - 1) / 100) // 1600 rows over 16 shards, ids from 1
		require.Equal(t, fmt.Sprintf("db%d", shard%2), dbs.Value(i), "row id %d", ids.Value(i))
		require.Equal(t, fmt.Sprintf("order_%02d", shard), tables.Value(i), "row id %d", ids.Value(i))
	}
}

func TestMaxPerSource(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := connectortest.Schema([]string{})
	data := connectortest.Batch(memory.DefaultAllocator, schema, 800)
	defer data.Release()
	shards := shardsOf(t, mem, data, 8, 50, &memreader.Options{Delay: 5 * time.Millisecond})
	// Count reads at once per source by wrapping each shard reader.
	var mu sync.Mutex
	now, top := map[string]int{}, map[string]int{}
	for i := range shards {
		src := shards[i].Source
		shards[i].Reader = &counting{Reader: shards[i].Reader, enter: func() {
			mu.Lock()
			now[src]++
			top[src] = max(top[src], now[src])
			mu.Unlock()
		}, leave: func() {
			mu.Lock()
			now[src]--
			mu.Unlock()
		}}
	}
	r, err := shardreader.New(shards, &shardreader.Options{MaxPerSource: 1})
	require.NoError(t, err)
	tbl := memwriter.NewTable()
	defer tbl.Release()
	_, err = ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Concurrency: 4, Allocator: mem}).Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, map[string]int{"db0": 1, "db1": 1}, top, "at most one read at a time per database")
	require.EqualValues(t, 800, tbl.NumRows())
}

type counting struct {
	ferry.Reader
	enter, leave func()
}

func (c *counting) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	rr, err := c.Reader.Read(ctx, s)
	if err != nil {
		return nil, err
	}
	c.enter()
	return &leaving{RecordReader: rr, leave: c.leave}, nil
}

type leaving struct {
	array.RecordReader
	leave func()
	once  sync.Once
}

func (l *leaving) Release() {
	l.once.Do(l.leave)
	l.RecordReader.Release()
}

func TestSchemaMismatchNamesShardAndColumn(t *testing.T) {
	a := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}}}, nil)
	b := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}}}, nil)
	c := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for _, tc := range []struct {
		other *arrow.Schema
		want  string
	}{
		{b, "shard db1.order_07 column amount is decimal(10, 2), shard db0.order_00 has decimal(12, 2)"},
		{c, "shard db1.order_07 lacks column amount"},
	} {
		r, err := shardreader.New([]shardreader.Shard{
			{Name: "db0.order_00", Reader: memreader.NewWithSchema(a)},
			{Name: "db1.order_07", Reader: memreader.NewWithSchema(tc.other)},
		}, nil)
		require.NoError(t, err)
		_, err = r.Schema(context.Background())
		require.ErrorContains(t, err, tc.want)
		// Nothing is written when the shards disagree.
		tbl := memwriter.NewTable()
		w := memwriter.New(tbl, nil)
		_, err = ferry.New(r, w, nil).Run(context.Background())
		require.ErrorContains(t, err, tc.want)
		committed, aborted, _, _ := w.State()
		require.False(t, committed)
		require.False(t, aborted, "Prepare never ran")
	}
}
