package mysqlreader_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

func TestSplitsCoverEveryRowOnce(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	var vals []string
	for i := 1; i <= 1000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, 'k%04d')", i, int64(i)*9_000_000_000_000_000/1000-4_000_000_000_000_000_000, i))
	}
	vals = append(vals, "(1001, NULL, NULL)", "(1002, NULL, NULL)")
	name := table(t, db, "(id BIGINT PRIMARY KEY, k BIGINT NULL, s VARCHAR(20) NULL)", "VALUES "+strings.Join(vals, ","))
	for _, tc := range []struct {
		pk   string
		hint int
	}{{"id", 1}, {"id", 4}, {"k", 3}, {"s", 5}, {"id", 2000}} {
		t.Run(fmt.Sprintf("%s/%d", tc.pk, tc.hint), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			r := open(t, ctx, base+"?table="+name+"&columns=id&batchRows=7&splitPk="+tc.pk, mem)
			defer r.Close()
			splits, err := r.Splits(ctx, tc.hint)
			require.NoError(t, err)
			if tc.hint > 1 {
				require.Greater(t, len(splits), 1)
			}
			// read concurrently: Read is safe for concurrent use
			var mu sync.Mutex
			var got []string
			var wg sync.WaitGroup
			for _, s := range splits {
				wg.Go(func() {
					rr, err := r.Read(ctx, s)
					require.NoError(t, err)
					defer rr.Release()
					for rr.Next() {
						b := rr.RecordBatch()
						mu.Lock()
						for i := 0; i < int(b.NumRows()); i++ {
							got = append(got, b.Column(0).ValueStr(i))
						}
						mu.Unlock()
					}
					require.NoError(t, rr.Err())
				})
			}
			wg.Wait()
			require.Len(t, got, 1002)
			slices.Sort(got)
			require.Len(t, slices.Compact(got), 1002, "a row was read twice")
		})
	}
}

// TestSnapshot proves every split reads the table as it was at Splits, even
// when rows change between splits.
func TestSnapshot(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, "(id BIGINT PRIMARY KEY)", "VALUES (1),(2),(3),(4),(5),(6),(7),(8)")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	r := open(t, ctx, base+"?table="+name+"&splitPk=id", mem)
	defer r.Close()
	splits, err := r.Splits(ctx, 2)
	require.NoError(t, err)
	require.Len(t, splits, 2)
	require.Contains(t, r.Consistency(), "LOCK TABLES")
	_, err = db.Exec("DELETE FROM " + name + " WHERE id IN (1, 8)")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO " + name + " VALUES (100), (-100)")
	require.NoError(t, err)
	n := 0
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		require.NoError(t, err)
		for rr.Next() {
			n += int(rr.RecordBatch().NumRows())
		}
		require.NoError(t, rr.Err())
		rr.Release()
	}
	require.Equal(t, 8, n)
}

func TestCancel(t *testing.T) {
	db, base := testDB(t)
	name := table(t, db, "(id BIGINT PRIMARY KEY)")
	_, err := db.Exec("INSERT INTO " + name + " SELECT seq FROM seq_1_to_50000")
	require.NoError(t, err)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	r := open(t, ctx, base+"?table="+name+"&batchRows=100", mem)
	defer r.Close()
	splits, err := r.Splits(ctx, 1)
	require.NoError(t, err)
	rr, err := r.Read(ctx, splits[0])
	require.NoError(t, err)
	defer rr.Release()
	require.True(t, rr.Next())
	cancel()
	for rr.Next() {
	}
	require.ErrorIs(t, rr.Err(), context.Canceled)
}
