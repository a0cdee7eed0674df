package ferry_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

func TestPipelineCopiesEveryRow(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run("workers="+string(rune('0'+workers)), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			in := seqBatches(t, mem, 10, 1000)
			r := memreader.New(in, nil)
			releaseAll(in)
			tbl := memwriter.NewTable()
			defer tbl.Release()
			w := memwriter.New(tbl, nil)
			sum, err := ferry.New(r, w, &ferry.Options{Concurrency: workers, BatchRows: 300}).Run(context.Background())
			require.NoError(t, err)
			require.EqualValues(t, 10000, sum.RowsRead)
			require.EqualValues(t, 10000, sum.RowsWritten)
			require.EqualValues(t, 10000, tbl.NumRows())
			require.True(t, sum.Committed)
			require.Equal(t, 10, sum.SplitsDone)
		})
	}
}
