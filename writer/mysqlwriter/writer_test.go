package mysqlwriter_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// create makes a table and drops it after the test.
func create(t *testing.T, ctx context.Context, ddl string) string {
	db, _ := testDB(t)
	name := uniqueName("ferry_wt")
	_, err := db.ExecContext(ctx, "CREATE TABLE "+name+" "+ddl)
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + name) })
	return name
}

// run writes batches through one BatchWriter and commits; it returns the
// first Write error (after which it still closes and commits).
func run(t *testing.T, ctx context.Context, urlstr string, batches ...arrow.RecordBatch) (*mysqlwriter.Writer, error) {
	t.Helper()
	w := openWriter(t, ctx, urlstr)
	require.NoError(t, w.Prepare(ctx, batches[0].Schema()))
	bw, err := w.Open(ctx)
	require.NoError(t, err)
	var werr error
	for _, b := range batches {
		if err := bw.Write(ctx, b); err != nil && werr == nil {
			werr = err
		}
	}
	require.NoError(t, bw.Close(ctx))
	require.NoError(t, w.Commit(ctx))
	require.NoError(t, w.Close())
	return w, werr
}

func query(t *testing.T, q string) []string {
	t.Helper()
	db, _ := testDB(t)
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		var parts []string
		for _, v := range vals {
			if v == nil {
				parts = append(parts, "NULL")
			} else if bs, ok := v.([]byte); ok {
				parts = append(parts, string(bs))
			} else {
				parts = append(parts, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestEscaping proves LOAD DATA carries every nasty string and every byte
// value exactly, checked in SQL with HEX().
func TestEscaping(t *testing.T) {
	_, base := testDB(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, method := range []string{mysqlwriter.MethodLoad, mysqlwriter.MethodInsert} {
		t.Run(method, func(t *testing.T) {
			name := create(t, ctx, "(id INT PRIMARY KEY, s LONGTEXT, b LONGBLOB) DEFAULT CHARSET=utf8mb4")
			schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true}}, nil)
			rb := array.NewRecordBuilder(mem, schema)
			defer rb.Release()
			strs := append(append([]string{}, connectortest.NastyStrings...), "\\", "\\\\N", "a\x1ab", "\r", "end\\")
			var all []byte
			for i := 0; i < 256; i++ {
				all = append(all, byte(i))
			}
			bins := [][]byte{{}, {0}, all, []byte("\\N"), []byte("\x00\\\t\n\r\x1a")}
			n := max(len(strs), len(bins))
			for i := 0; i < n; i++ {
				rb.Field(0).(*array.Int32Builder).Append(int32(i))
				if i < len(strs) {
					rb.Field(1).(*array.StringBuilder).Append(strs[i])
				} else {
					rb.Field(1).AppendNull()
				}
				if i < len(bins) {
					rb.Field(2).(*array.BinaryBuilder).Append(bins[i])
				} else {
					rb.Field(2).AppendNull()
				}
			}
			b := rb.NewRecordBatch()
			defer b.Release()
			w, err := run(t, ctx, base+"?table="+name+"&method="+method, b)
			require.NoError(t, err)
			require.Equal(t, method, w.Method())
			got := query(t, "SELECT id, HEX(s), HEX(b) FROM "+name+" ORDER BY id")
			require.Len(t, got, n)
			for i := 0; i < n; i++ {
				want := []string{}
				want = append(want, strings.Split(got[i], "|")[0])
				if i < len(strs) {
					want = append(want, strings.ToUpper(hex.EncodeToString([]byte(strs[i]))))
				} else {
					want = append(want, "NULL")
				}
				if i < len(bins) {
					want = append(want, strings.ToUpper(hex.EncodeToString(bins[i])))
				} else {
					want = append(want, "NULL")
				}
				require.Equal(t, strings.Join(want, "|"), got[i], "row %d", i)
			}
		})
	}
}

// TestTypes writes the MySQL-specific types and checks them in SQL.
func TestTypes(t *testing.T) {
	_, base := testDB(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	_ = shanghai
	for _, method := range []string{mysqlwriter.MethodLoad, mysqlwriter.MethodInsert} {
		t.Run(method, func(t *testing.T) {
			name := create(t, ctx, `(id INT PRIMARY KEY, f FLOAT, d DOUBLE, bt BIT(10), tm TIME(6), dt DATETIME(6), ts TIMESTAMP(6) NULL,
			 u BIGINT UNSIGNED, dec256 DECIMAL(65,30), uid CHAR(36), y YEAR)`)
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "id", Type: arrow.PrimitiveTypes.Int32},
				{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
				{Name: "d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
				{Name: "bt", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
				{Name: "tm", Type: arrow.FixedWidthTypes.Duration_us, Nullable: true},
				{Name: "dt", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
				{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
				{Name: "u", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
				{Name: "dec256", Type: &arrow.Decimal256Type{Precision: 65, Scale: 30}, Nullable: true},
				{Name: "uid", Type: connectortest.Schema([]string{"uid"}).Field(2).Type, Nullable: true},
				{Name: "y", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
			}, nil)
			rb := array.NewRecordBuilder(mem, schema)
			defer rb.Release()
			inst := time.Date(2024, 7, 1, 0, 0, 0, 1000, time.UTC)
			for i, v := range []struct {
				f  float32
				d  float64
				bt uint64
				tm time.Duration
				u  uint64
			}{{math.MaxFloat32, math.MaxFloat64, 1023, -(838*time.Hour + 59*time.Minute + 59*time.Second), math.MaxUint64},
				{math.SmallestNonzeroFloat32, math.SmallestNonzeroFloat64, 0, 100*time.Hour + 500*time.Millisecond, 0}} {
				rb.Field(0).(*array.Int32Builder).Append(int32(i))
				rb.Field(1).(*array.Float32Builder).Append(v.f)
				rb.Field(2).(*array.Float64Builder).Append(v.d)
				rb.Field(3).(*array.Uint64Builder).Append(v.bt)
				rb.Field(4).(*array.DurationBuilder).Append(arrow.Duration(v.tm.Microseconds()))
				rb.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(inst.UnixMicro()))
				rb.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(inst.UnixMicro()))
				rb.Field(7).(*array.Uint64Builder).Append(v.u)
				require.NoError(t, rb.Field(8).AppendValueFromString("-12345678901234567890123456789012345.123456789012345678901234567890"))
				require.NoError(t, rb.Field(9).AppendValueFromString("6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
				rb.Field(10).(*array.Int16Builder).Append(2155)
			}
			b := rb.NewRecordBatch()
			defer b.Release()
			_, err := run(t, ctx, base+"?table="+name+"&timeZone=Asia/Shanghai&method="+method, b)
			require.NoError(t, err)
			require.Equal(t, []string{
				"0|3.4028234663852886e+38|1.7976931348623157e+308|1023|-838:59:59.000000|2024-07-01 08:00:00.000001|2024-07-01 00:00:00.000001|18446744073709551615|-12345678901234567890123456789012345.123456789012345678901234567890|6ba7b810-9dad-11d1-80b4-00c04fd430c8|2155",
				"1|1.401298464324817e-45|5e-324|0|100:00:00.500000|2024-07-01 08:00:00.000001|2024-07-01 00:00:00.000001|0|-12345678901234567890123456789012345.123456789012345678901234567890|6ba7b810-9dad-11d1-80b4-00c04fd430c8|2155",
			}, query(t, "SET time_zone='+00:00'; SELECT id, CAST(f AS DOUBLE), d, bt+0, tm, dt, ts, u, dec256, uid, y FROM "+name+" ORDER BY id"))
		})
	}
}

// TestDirtyRows proves bad rows are isolated with the server's message and
// column, for errors LOAD DATA LOCAL reports as warnings too.
func TestDirtyRows(t *testing.T) {
	_, base := testDB(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, method := range []string{mysqlwriter.MethodLoad, mysqlwriter.MethodInsert} {
		t.Run(method, func(t *testing.T) {
			name := create(t, ctx, "(id INT PRIMARY KEY, s VARCHAR(5) NOT NULL, f DOUBLE)")
			schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "f", Type: arrow.PrimitiveTypes.Float64}}, nil)
			rb := array.NewRecordBuilder(mem, schema)
			defer rb.Release()
			for i := 0; i < 100; i++ {
				rb.Field(0).(*array.Int32Builder).Append(int32(i % 97)) // 97, 98, 99 duplicate 0, 1, 2
				switch i {
				case 10:
					rb.Field(1).(*array.StringBuilder).Append("too long")
				case 20:
					rb.Field(1).AppendNull()
				default:
					rb.Field(1).(*array.StringBuilder).Append("ok")
				}
				if i == 30 {
					rb.Field(2).(*array.Float64Builder).Append(math.NaN())
				} else {
					rb.Field(2).(*array.Float64Builder).Append(float64(i))
				}
			}
			b := rb.NewRecordBatch()
			defer b.Release()
			_, err := run(t, ctx, base+"?table="+name+"&method="+method, b)
			var re *dirty.RowErrors
			require.True(t, errors.As(err, &re), "%v", err)
			var rows []int64
			cols := map[int64]string{}
			for _, r := range re.Rows {
				rows = append(rows, r.Row)
				cols[r.Row] = r.Column
				require.Error(t, r.Err)
			}
			require.Equal(t, []int64{10, 20, 30, 97, 98, 99}, rows)
			require.Equal(t, "s", cols[10])
			require.Equal(t, "s", cols[20])
			require.Equal(t, []string{"94"}, query(t, "SELECT COUNT(*) FROM "+name))
		})
	}
}

// TestOverwriteAtomic proves the old rows stay readable during the load and
// after an Abort, and are replaced in one step at Commit.
func TestOverwriteAtomic(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	name := create(t, ctx, "(id BIGINT PRIMARY KEY, str LONGTEXT)")
	_, err := db.Exec("INSERT INTO " + name + " VALUES (1, 'old'), (2, 'old')")
	require.NoError(t, err)
	schema := connectortest.Schema([]string{})
	b := connectortest.Batch(mem, schema, 10)
	defer b.Release()
	for _, commit := range []bool{false, true} {
		w := openWriter(t, ctx, base+"?table="+name+"&mode=overwrite")
		require.NoError(t, w.Prepare(ctx, schema))
		bw, err := w.Open(ctx)
		require.NoError(t, err)
		require.NoError(t, bw.Write(ctx, b))
		require.Equal(t, []string{"1|old", "2|old"}, query(t, "SELECT id, str FROM "+name+" ORDER BY id"), "during the load")
		require.NoError(t, bw.Close(ctx))
		require.Equal(t, []string{"2"}, query(t, "SELECT COUNT(*) FROM "+name), "before Commit")
		if commit {
			require.NoError(t, w.Commit(ctx))
			require.Equal(t, []string{"10"}, query(t, "SELECT COUNT(*) FROM "+name))
		} else {
			require.NoError(t, w.Abort(ctx, errors.New("test")))
			require.Equal(t, []string{"1|old", "2|old"}, query(t, "SELECT id, str FROM "+name+" ORDER BY id"), "after Abort")
		}
		require.NoError(t, w.Close())
	}
	// no staging tables left behind
	require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_ferry\\_%"+name+"%'"))
}

// TestUpsertIdempotent runs the same upsert twice, with a key repeated in
// the batch: the last row wins and the rerun changes nothing.
func TestUpsertPartitionPrePost(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	name := create(t, ctx, "(id INT PRIMARY KEY, v VARCHAR(10), day CHAR(8))")
	_, err := db.Exec("INSERT INTO " + name + " VALUES (1, 'keep', '20240101'), (2, 'old', '20240102'), (3, 'old', '20240102')")
	require.NoError(t, err)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "v", Type: arrow.BinaryTypes.String}, {Name: "day", Type: arrow.BinaryTypes.String}}, nil)
	mk := func(ids []int32, vs []string, day string) arrow.RecordBatch {
		rb := array.NewRecordBuilder(mem, schema)
		defer rb.Release()
		for i := range ids {
			rb.Field(0).(*array.Int32Builder).Append(ids[i])
			rb.Field(1).(*array.StringBuilder).Append(vs[i])
			rb.Field(2).(*array.StringBuilder).Append(day)
		}
		return rb.NewRecordBatch()
	}
	up := mk([]int32{2, 4, 2}, []string{"first", "new", "last"}, "20240102")
	defer up.Release()
	for range 2 {
		_, err := run(t, ctx, base+"?table="+name+"&mode=upsert&key=id", up)
		require.NoError(t, err)
		require.Equal(t, []string{"1|keep", "2|last", "3|old", "4|new"}, query(t, "SELECT id, v FROM "+name+" ORDER BY id"))
	}
	part := mk([]int32{5}, []string{"p"}, "20240102")
	defer part.Release()
	pre := "INSERT INTO " + name + " VALUES (9, 'pre', '20240101')"
	post := "UPDATE " + name + " SET v = 'post' WHERE id = 1"
	_, err = run(t, ctx, base+"?table="+name+"&mode=partition-overwrite&partition=day%3D'20240102'&preSql="+strings.ReplaceAll(pre, " ", "+")+"&postSql="+strings.ReplaceAll(post, " ", "+"), part)
	require.NoError(t, err)
	require.Equal(t, []string{"1|post|20240101", "5|p|20240102", "9|pre|20240101"}, query(t, "SELECT id, v, day FROM "+name+" ORDER BY id"))

	rep := mk([]int32{5, 6}, []string{"r", "s"}, "x")
	defer rep.Release()
	_, err = run(t, ctx, base+"?table="+name+"&mode=replace", rep)
	require.NoError(t, err)
	require.Equal(t, []string{"1|post|20240101", "5|r|x", "6|s|x", "9|pre|20240101"}, query(t, "SELECT id, v, day FROM "+name+" ORDER BY id"))
}

func TestURLErrors(t *testing.T) {
	for _, bad := range []string{
		"mysql://u:s3cret@h/db",
		"mysql://u:s3cret@h/db?table=t&mode=merge",
		"mysql://u:s3cret@h/db?table=t&method=copy",
		"mysql://u:s3cret@h/db?table=t&bogus=1",
		"mysql://u:s3cret@h/db?table=t&timeZone=Nowhere/Land",
	} {
		_, err := mysqlwriter.ParseConfig(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "s3cret")
	}
	_, err := ferry.OpenWriter(context.Background(), "mariadb://u:s3cret@127.0.0.1:1/db?table=t")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
}
