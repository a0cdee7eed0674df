package sqlserverwriter_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/mssqltest"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/reader/sqlserverreader"
	"github.com/ferrydata/ferry/writer/sqlserverwriter"
)

// writerColumns are the standard columns SQL Server holds (see
// sqlserverreader's conformance test for those it does not).
var writerColumns = []string{"str", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "dec", "bin", "flag", "day", "tod", "ts", "tstz", "uid", "doc"}

var writerTypes = map[string]arrow.DataType{
	"u16": arrow.PrimitiveTypes.Int32,
	"u32": arrow.PrimitiveTypes.Int64,
	"u64": &arrow.Decimal128Type{Precision: 20, Scale: 0},
	"doc": arrow.BinaryTypes.String,
}

type dests struct {
	mu sync.Mutex
	m  map[string]string
}

func (d *dests) table(t *testing.T, db *sql.DB, dest string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := t.Name() + "/" + dest
	if n, ok := d.m[key]; ok {
		return n
	}
	n := mssqltest.Name("w")
	d.m[key] = n
	mssqltest.Drop(t, db, n)
	return n
}

// readBack reads table ordered by id with sqlserverreader.
func readBack(t *testing.T, ctx context.Context, base, table string, schema *arrow.Schema) arrow.RecordBatch {
	var cols []string
	for _, f := range schema.Fields() {
		cols = append(cols, sqlident.SQLServer.MustQuote(f.Name))
	}
	cfg, err := sqlserverreader.ParseConfig(base)
	if err != nil {
		cfg, err = sqlserverreader.ParseConfig(mssqltest.With(base, "table=x"))
	}
	require.NoError(t, err)
	cfg.Source.Table = ""
	cfg.Source.QuerySQL = "SELECT " + strings.Join(cols, ", ") + " FROM " + sqlident.SQLServer.MustQuote(table) + " ORDER BY [id]"
	r, err := sqlserverreader.Open(ctx, cfg)
	require.NoError(t, err)
	defer r.Close()
	splits, err := r.Splits(ctx, 1)
	require.NoError(t, err)
	rr, err := r.Read(ctx, splits[0])
	require.NoError(t, err)
	defer rr.Release()
	var bs []arrow.RecordBatch
	for rr.Next() {
		b := rr.RecordBatch()
		b.Retain()
		bs = append(bs, b)
	}
	require.NoError(t, rr.Err())
	rs, _ := r.Schema(ctx)
	out := connectortest.Concat(t, rs, bs)
	for _, b := range bs {
		b.Release()
	}
	return out
}

// TestConformance runs the writer suite, bulk copy and INSERT, against the
// server named by FERRY_TEST_SQLSERVER_DSN (skipped without one).
func TestConformance(t *testing.T) {
	for _, load := range []string{"bulk", "insert"} {
		t.Run(load, func(t *testing.T) {
			base, db := mssqltest.URL(t)
			d := &dests{m: map[string]string{}}
			connectortest.RunWriterTests(t, connectortest.WriterHarness{
				Columns: writerColumns,
				Types:   writerTypes,
				Modes:   []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace},
				New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
					name := d.table(t, db, dest)
					cfg, err := sqlserverwriter.ParseConfig(mssqltest.With(base, "create=true&key=id&load="+load+"&table="+name+"&mode="+string(mode)))
					require.NoError(t, err)
					w, err := sqlserverwriter.Open(ctx, cfg)
					require.NoError(t, err)
					t.Cleanup(func() { w.Close() })
					return w
				},
				ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
					return readBack(t, ctx, base, d.table(t, db, dest), schema)
				},
				Dirty: func(t *testing.T, mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, []int) {
					// Timestamps after 9999-12-31 fit no datetime2.
					b := connectortest.Batch(mem, schema, 20)
					defer b.Release()
					bad := []int{5, 11, 12}
					cols := make([]arrow.Array, b.NumCols())
					for c, f := range schema.Fields() {
						if f.Name != "ts" {
							cols[c] = b.Column(c)
							cols[c].Retain()
							continue
						}
						src := b.Column(c).(*array.Timestamp)
						tb := array.NewTimestampBuilder(mem, f.Type.(*arrow.TimestampType))
						for i := 0; i < src.Len(); i++ {
							switch {
							case i == 5 || i == 11 || i == 12:
								tb.Append(arrow.Timestamp(time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()))
							case src.IsNull(i):
								tb.AppendNull()
							default:
								tb.Append(src.Value(i))
							}
						}
						cols[c] = tb.NewArray()
						tb.Release()
					}
					out := array.NewRecordBatch(schema, cols, b.NumRows())
					for _, a := range cols {
						a.Release()
					}
					return out, bad
				},
			})
		})
	}
}

// TestStagedProtocol copies splits in two writers of one run (as two
// processes would), copies one split twice, and checks Status, Commit's
// idempotence, the rows, and that CollectStages leaves a live run alone.
func TestStagedProtocol(t *testing.T) {
	base, db := mssqltest.URL(t)
	ctx := context.Background()
	name := mssqltest.Name("staged")
	mssqltest.Drop(t, db, name)
	schema := connectortest.Schema([]string{"str"})
	open := func() *sqlserverwriter.Writer {
		cfg, err := sqlserverwriter.ParseConfig(mssqltest.With(base, "create=true&key=id&table="+name))
		require.NoError(t, err)
		w, err := sqlserverwriter.Open(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { w.Close() })
		return w
	}
	runID := ferry.NewRunID()
	a, b := open(), open()
	require.NoError(t, a.PrepareStage(ctx, runID, schema))
	require.NoError(t, b.PrepareStage(ctx, runID, schema)) // attaches
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	data := connectortest.Batch(mem, schema, 10)
	defer data.Release()
	write := func(w *sqlserverwriter.Writer, split string, lo, hi int64, close bool) {
		sw, err := w.OpenSplit(ctx, split)
		require.NoError(t, err)
		s := data.NewSlice(lo, hi)
		defer s.Release()
		require.NoError(t, sw.Write(ctx, s))
		if close {
			require.NoError(t, sw.Close(ctx))
		} else {
			require.NoError(t, sw.Discard(ctx))
		}
	}
	write(a, "s1", 0, 5, true)
	write(b, "s2", 5, 10, false) // discarded: does not count
	write(b, "s2", 5, 10, true)
	write(a, "s1", 0, 5, true) // a second attempt replaces the first
	st, err := b.Status(ctx)
	require.NoError(t, err)
	require.Len(t, st.Done, 2)
	require.False(t, st.Committed)
	// A live run's stage is not collected.
	gone, err := open().CollectStages(ctx, 0, true)
	require.NoError(t, err)
	for _, g := range gone {
		require.NotContains(t, g, runID)
	}
	require.NoError(t, b.Commit(ctx))
	require.NoError(t, a.Commit(ctx)) // idempotent, from the other "process"
	st, err = a.Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Committed)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+sqlident.SQLServer.MustQuote(name)+"").Scan(&n))
	require.Equal(t, 10, n)
}
