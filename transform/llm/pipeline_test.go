package llm_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/internal/pgtest"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/transform/llm"
	"github.com/ferrydata/ferry/writer/memwriter"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// TestAPIDownAbortsRun: with the API down (its server closed) the run fails
// after the client's and the engine's retries, and the PostgreSQL
// destination keeps exactly the rows it had: nothing is committed.
func TestAPIDownAbortsRun(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	srv := openaitest.New(nil)
	srv.Close() // connection refused from now on

	table := pgtest.TableName(t, "llm18_down")
	conn := pgtest.Connect(t)
	_, err := conn.Exec(ctx, "CREATE TABLE "+table+" (id bigint, title text, category text, words bigint)")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "INSERT INTO "+table+" VALUES (-1, 'old row', 'other', 2)")
	require.NoError(t, err)

	b1, b2 := batch(t, mem, 10), batch(t, mem, 10)
	defer b1.Release()
	defer b2.Release()
	r := memreader.New([]arrow.RecordBatch{b1, b2}, nil)
	w, err := pgwriter.New(pgwriter.Config{ConnString: pgtest.ConnString(), Table: table, Mode: ferry.ModeOverwrite, Allocator: mem})
	require.NoError(t, err)
	cfg := structured(srv.BaseURL, "off", 5)
	cfg.MaxRetries = 1
	cfg.Allocator = mem
	tr, err := llm.New(cfg)
	require.NoError(t, err)
	p := ferry.New(r, w, &ferry.Options{Transformers: []ferry.Transformer{tr}, Allocator: mem,
		Retry: ferry.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	sum, err := p.Run(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "connection refused")
	require.False(t, sum.Committed)
	require.Positive(t, sum.Retries)

	var ids []int64
	rows, err := conn.Query(ctx, "SELECT id FROM "+table)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []int64{-1}, ids, "the destination changed")
}

// TestDirtyUnderRunPolicy: off-schema answers are dirty rows counted by
// reason in the Summary; a tolerant policy commits the others, the default
// policy fails the run without committing.
func TestDirtyUnderRunPolicy(t *testing.T) {
	ctx := context.Background()
	bad := `{"category":"toys","words":1}`
	for _, tc := range []struct {
		name   string
		policy dirty.Policy
		ok     bool
	}{{"tolerate", dirty.TolerateRows(5), true}, {"fail first", dirty.FailOnFirst(), false}} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			srv := openaitest.New(&openaitest.Options{Answer: classify})
			defer srv.Close()
			srv.Fail(openaitest.Chat, openaitest.Fault{Content: &bad, Match: "oak table"})
			b := batch(t, mem, 10)
			defer b.Release()
			tbl := memwriter.NewTable()
			defer tbl.Release()
			cfg := structured(srv.BaseURL, "off", 1)
			cfg.Allocator = mem
			tr, err := llm.New(cfg)
			require.NoError(t, err)
			p := ferry.New(memreader.New([]arrow.RecordBatch{b}, nil), memwriter.New(tbl, nil), &ferry.Options{
				Transformers: []ferry.Transformer{tr}, Dirty: tc.policy, Allocator: mem})
			sum, err := p.Run(ctx)
			require.Equal(t, int64(1), sum.RowsDirty)
			if !tc.ok {
				require.Error(t, err)
				require.False(t, sum.Committed)
				require.Zero(t, tbl.NumRows())
				return
			}
			require.NoError(t, err)
			require.True(t, sum.Committed)
			require.Equal(t, int64(9), tbl.NumRows())
			require.Len(t, sum.DirtyByReason, 1)
			for reason := range sum.DirtyByReason {
				require.Contains(t, reason, `"toys" is not one of`)
			}
			require.Equal(t, int64(10), tr.Usage().Requests)
		})
	}
}
