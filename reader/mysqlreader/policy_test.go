package mysqlreader_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/mysqlreader"
)

func TestZeroDatePolicy(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, "(id INT PRIMARY KEY, d DATE, dt DATETIME)")
	_, err := db.Exec("SET SESSION sql_mode=''; INSERT INTO " + name + " VALUES (1, '2024-01-02', '2024-01-02 03:04:05'), (2, '0000-00-00', '0000-00-00 00:00:00')")
	if err != nil {
		t.Skipf("server refuses zero dates: %v", err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)

	r := open(t, ctx, base+"?table="+name, mem)
	defer r.Close()
	splits, err := r.Splits(ctx, 1)
	require.NoError(t, err)
	rr, err := r.Read(ctx, splits[0])
	require.NoError(t, err)
	for rr.Next() {
	}
	require.ErrorContains(t, rr.Err(), "column d")
	require.ErrorContains(t, rr.Err(), "row 1")
	rr.Release()

	r2 := open(t, ctx, base+"?table="+name+"&zeroDate=null", mem)
	defer r2.Close()
	require.Equal(t, []string{"1|2024-01-02|2024-01-02T03:04:05", "2|(null)|(null)"}, readAll(t, ctx, r2, 1))
}

func TestTimeZoneAndDuration(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, "(id INT PRIMARY KEY, dt DATETIME(6), tm TIME(6))",
		"VALUES (1, '2024-07-01 08:00:00.000001', '-838:59:59'), (2, '2024-01-01 00:30:00', '100:00:00.5')")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	// TIME is duration[us] by default: every legal value, exactly.
	r := open(t, ctx, base+"?table="+name+"&timeZone=Asia/Shanghai", mem)
	defer r.Close()
	sch, _ := r.Schema(ctx)
	require.Equal(t, "timestamp[us, tz=UTC]", sch.Field(1).Type.String())
	require.Equal(t, "duration[us]", sch.Field(2).Type.String())
	require.Equal(t, []string{"1|2024-07-01T00:00:00.000001Z|-3020399000000us", "2|2023-12-31T16:30:00Z|360000500000us"}, readAll(t, ctx, r, 1))

	// with time=time64, a TIME outside a day is a dirty row naming the
	// column, and the other rows are read
	_, err := db.Exec("INSERT INTO " + name + " VALUES (3, NULL, '23:59:59.999999'), (4, NULL, NULL)")
	require.NoError(t, err)
	r2 := open(t, ctx, base+"?table="+name+"&time=time64", mem)
	defer r2.Close()
	sch2, _ := r2.Schema(ctx)
	require.Equal(t, "time64[us]", sch2.Field(2).Type.String())
	splits, _ := r2.Splits(ctx, 1)
	rr, err := r2.Read(ctx, splits[0])
	require.NoError(t, err)
	var got []string
	var bad []dirty.RowError
	for {
		ok := rr.Next()
		bad = append(bad, rr.(ferry.DirtyReporter).TakeDirty()...)
		if !ok {
			break
		}
		b := rr.RecordBatch()
		for i := 0; i < int(b.NumRows()); i++ {
			got = append(got, b.Column(0).ValueStr(i)+"|"+b.Column(2).ValueStr(i))
		}
	}
	require.NoError(t, rr.Err())
	rr.Release()
	require.Equal(t, []string{"3|23:59:59.999999", "4|(null)"}, got)
	require.Len(t, bad, 2)
	require.Equal(t, "tm", bad[0].Column)
	require.EqualValues(t, 0, bad[0].Row)
	require.Equal(t, "-838:59:59.000000", bad[0].Value)
	require.EqualValues(t, 1, bad[1].Row)
	require.ErrorContains(t, bad[1].Err, "not a time of day")
}

func TestQuerySQLAndErrors(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, "(id INT PRIMARY KEY, g GEOMETRY, n DECIMAL(10,3))", "VALUES (1, POINT(1,2), 1.5), (2, NULL, NULL)")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)

	_, err := mysqlreader.ParseConfig(base + "?table=" + name)
	require.NoError(t, err)
	cfg, _ := mysqlreader.ParseConfig(base + "?table=" + name)
	_, err = mysqlreader.Open(ctx, cfg)
	require.ErrorContains(t, err, "column g")

	r := open(t, ctx, base+"?querySql="+"SELECT+id,+n,+n*2+AS+dbl+FROM+"+name+"+ORDER+BY+id", mem)
	defer r.Close()
	require.Equal(t, []string{"1|1.5|3", "2|(null)|(null)"}, readAll(t, ctx, r, 4))

	for _, bad := range []string{
		base + "?table=x&bogus=1",
		base,
		base + "?table=x&querySql=select+1",
		base + "?table=x&zeroDate=maybe",
		base + "?table=x&protocol=udp",
		base + "?table=x&timeZone=Mars/Base",
		"mysql://u:s3cret@127.0.0.1/db?table=x&nope=1",
	} {
		_, err := mysqlreader.ParseConfig(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "s3cret")
	}
	_, err = ferry.OpenReader(ctx, "mariadb://u:s3cret@127.0.0.1:1/db?table=x")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
}
