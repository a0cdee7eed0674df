package shardreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/shardreader"
)

// noEstimate hides a reader's Estimate.
type noEstimate struct{ ferry.Reader }

func TestEstimate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := connectortest.Schema([]string{"i32"})
	data := connectortest.Batch(mem, schema, 100)
	defer data.Release()

	shards := shardsOf(t, mem, data, 4, 10, nil)
	r, err := shardreader.New(shards, nil)
	require.NoError(t, err)
	est, err := r.Estimate(context.Background())
	require.NoError(t, err)
	require.Equal(t, ferry.Estimate{Rows: 100, Exact: true}, est)
	require.NoError(t, r.Close())

	shards = shardsOf(t, mem, data, 3, 10, nil)
	shards[1].Reader = noEstimate{shards[1].Reader}
	r, err = shardreader.New(shards, nil)
	require.NoError(t, err)
	est, err = r.Estimate(context.Background())
	require.NoError(t, err)
	require.Zero(t, est.Rows, "a shard without an estimate makes the rows unknown")
	require.False(t, est.Exact)
	require.NoError(t, r.Close())
}
