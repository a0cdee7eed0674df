package mysqlwriter_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// mysqlColumns are the standard columns MySQL holds. Not here: f32/f64
// (MySQL has no NaN or infinity, and MariaDB rejects FLT_MAX written as
// 3.4028235e38; finite floats are tested in TestFloats), lists, intervals
// and vectors (no such MySQL types).
var mysqlColumns = []string{"str", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "dec", "dec256", "bin", "flag", "day", "tod", "ts", "tstz", "uid", "doc"}

func testDB(t testing.TB) (*sql.DB, string) {
	t.Helper()
	base := testenv.MySQLURL()
	u, err := url.Parse(base)
	require.NoError(t, err)
	c := mysql.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net, c.Addr, c.DBName = "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
	c.MultiStatements = true
	c.Params = map[string]string{"time_zone": "'+00:00'"}
	db := testenv.Ping(t, "mysql", c.FormatDSN(), "MariaDB")
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("SET GLOBAL local_infile = 1"); err != nil {
		t.Logf("cannot enable local_infile: %v", err)
	}
	return db, base
}

func uniqueName(prefix string) string { return fmt.Sprintf("%s_%d", prefix, rand.Uint64()%1e12) }

// dests maps a test's dest names to tables, dropped at the end of the test.
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
	n := uniqueName("ferry_w")
	d.m[key] = n
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + n) })
	return n
}

func openWriter(t testing.TB, ctx context.Context, urlstr string) *mysqlwriter.Writer {
	t.Helper()
	cfg, err := mysqlwriter.ParseConfig(urlstr)
	require.NoError(t, err)
	w, err := mysqlwriter.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() }) // after a failed test too, before the table is dropped
	return w
}

// readBack reads table ordered by id as a batch of schema (an instant
// column, stored as a UTC DATETIME, gets its zone back).
func readBack(t testing.TB, ctx context.Context, base, table string, schema *arrow.Schema, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name)
	}
	cfg, err := mysqlreader.ParseConfig(base + "?time=time64&table=" + table + "&columns=" + strings.Join(names, ","))
	require.NoError(t, err)
	cfg.Allocator = mem
	cfg.QuerySQL, cfg.Table, cfg.Columns = "", table, names
	r, err := mysqlreader.Open(ctx, cfg)
	require.NoError(t, err)
	defer r.Close()
	splits, err := r.Splits(ctx, 1)
	require.NoError(t, err)
	rr, err := r.Read(ctx, splits[0])
	require.NoError(t, err)
	defer rr.Release()
	var cols [][]arrow.Array
	for rr.Next() {
		b := rr.RecordBatch()
		for c := range schema.Fields() {
			if len(cols) <= c {
				cols = append(cols, nil)
			}
			a := b.Column(c)
			if !arrow.TypeEqual(a.DataType(), schema.Field(c).Type) {
				if _, ok := schema.Field(c).Type.(*arrow.TimestampType); ok {
					d := array.NewData(schema.Field(c).Type, a.Len(), a.Data().Buffers(), nil, a.NullN(), a.Data().Offset())
					a = array.MakeFromData(d)
					d.Release()
					cols[c] = append(cols[c], a)
					continue
				}
			}
			a.Retain()
			cols[c] = append(cols[c], a)
		}
	}
	require.NoError(t, rr.Err())
	arrs := make([]arrow.Array, schema.NumFields())
	n := int64(0)
	for c := range arrs {
		if len(cols) == 0 {
			arrs[c] = array.MakeArrayOfNull(mem, schema.Field(c).Type, 0)
			continue
		}
		a, err := array.Concatenate(cols[c], mem)
		require.NoError(t, err)
		for _, x := range cols[c] {
			x.Release()
		}
		arrs[c] = a
		n = int64(a.Len())
	}
	out := array.NewRecordBatch(schema, arrs, n)
	for _, a := range arrs {
		a.Release()
	}
	// order by id
	return sortByID(t, out, mem)
}

func sortByID(t testing.TB, b arrow.RecordBatch, mem memory.Allocator) arrow.RecordBatch {
	ids := b.Column(0).(*array.Int64)
	sorted := true
	for i := 1; i < ids.Len(); i++ {
		if ids.Value(i) < ids.Value(i-1) {
			sorted = false
		}
	}
	if sorted {
		return b
	}
	t.Fatalf("read back rows not ordered by id")
	return nil
}

func TestConformance(t *testing.T) {
	for _, method := range []string{mysqlwriter.MethodLoad, mysqlwriter.MethodInsert} {
		t.Run(method, func(t *testing.T) { conformance(t, method) })
	}
}

func conformance(t *testing.T, method string) {
	db, base := testDB(t)
	d := &dests{m: map[string]string{}}
	connectortest.RunWriterTests(t, connectortest.WriterHarness{
		Columns: mysqlColumns,
		Modes:   []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace},
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			name := d.table(t, db, dest)
			return openWriter(t, ctx, base+"?create=true&key=id&table="+name+"&mode="+string(mode)+"&method="+method)
		},
		ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
			return readBack(t, ctx, base, d.table(t, db, dest), schema, memory.DefaultAllocator)
		},
		Dirty: func(t *testing.T, mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, []int) {
			// Timestamps after 9999-12-31 do not fit a DATETIME.
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
}
