package sqlserverreader_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/mssqltest"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/reader/sqlserverreader"
	"github.com/ferrydata/ferry/writer/sqlserverwriter"
)

// readerColumns are the standard columns SQL Server holds. Not here: f32
// and f64 (SQL Server has no NaN or infinity), dec256 (more than 38
// digits), lists, intervals and vectors (no such types). u16, u32 and u64
// are stored in int, bigint and decimal(20,0) and read back as those.
var readerColumns = []string{"str", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "dec", "bin", "flag", "day", "tod", "ts", "tstz", "uid", "doc"}

var readerTypes = map[string]arrow.DataType{
	"u16": arrow.PrimitiveTypes.Int32,
	"u32": arrow.PrimitiveTypes.Int64,
	"u64": &arrow.Decimal128Type{Precision: 20, Scale: 0},
	"doc": arrow.BinaryTypes.String,
}

// TestConformance runs the reader suite against the server named by
// FERRY_TEST_SQLSERVER_DSN (skipped without one), loading each source
// table with sqlserverwriter.
func TestConformance(t *testing.T) {
	base, db := mssqltest.URL(t)
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		Columns: readerColumns,
		Types:   readerTypes,
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			name := mssqltest.Name("rc")
			mssqltest.Drop(t, db, name)
			wcfg, err := sqlserverwriter.ParseConfig(mssqltest.With(base, "create=true&key=id&table="+name))
			require.NoError(t, err)
			w, err := sqlserverwriter.Open(ctx, wcfg)
			require.NoError(t, err)
			defer w.Close()
			require.NoError(t, w.Prepare(ctx, data.Schema()))
			bw, err := w.Open(ctx)
			require.NoError(t, err)
			require.NoError(t, bw.Write(ctx, data))
			require.NoError(t, bw.Close(ctx))
			require.NoError(t, w.Commit(ctx))

			cfg, err := sqlserverreader.ParseConfig(mssqltest.With(base, "splitPk=id&table="+name+"&batchRows="+strconv.Itoa(batchRows)))
			require.NoError(t, err)
			cfg.Allocator = mem
			r, err := sqlserverreader.Open(ctx, cfg)
			require.NoError(t, err)
			t.Cleanup(func() { r.Close() }) // before the table is dropped
			return r
		},
	})
}

// TestTypeRoundTrip creates a table of every SQL Server type of the
// mapping, inserts the limits with T-SQL literals and reads them back.
func TestTypeRoundTrip(t *testing.T) {
	base, db := mssqltest.URL(t)
	ctx := context.Background()
	name := mssqltest.Name("types")
	mssqltest.Drop(t, db, name)
	_, err := db.ExecContext(ctx, "CREATE TABLE "+sqlident.SQLServer.MustQuote(name)+` (id int NOT NULL PRIMARY KEY,
		ti tinyint, si smallint, i int, bi bigint, b bit, d38 decimal(38,10), m money, sm smallmoney, r real, f float,
		c char(4), vc varchar(20), nc nchar(4), nvc nvarchar(max), tx text, ntx ntext, bn binary(4), vb varbinary(max),
		dt date, tm time(7), dtm datetime, sdt smalldatetime, dt2 datetime2(7), dto datetimeoffset(7), g uniqueidentifier,
		x xml, rv rowversion)`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO "+sqlident.SQLServer.MustQuote(name)+` (id, ti, si, i, bi, b, d38, m, sm, r, f, c, vc, nc, nvc, tx, ntx, bn, vb, dt, tm, dtm, sdt, dt2, dto, g, x) VALUES
		(1, 255, -32768, -2147483648, -9223372036854775808, 1, 9999999999999999999999999999.9999999999, -922337203685477.5808, 214748.3647,
		 3.4028235E38, 1.7976931348623157E308, 'abcd', 'café', N'中文字符', N'emoji 😀', 'text', N'ntext', 0x00FF10AB, 0x,
		 '0001-01-01', '23:59:59.9999999', '1753-01-01T00:00:00.003', '2079-06-06T23:59:00', '2262-04-11T23:47:16.8547758',
		 '2024-01-01T10:00:00.0000001-05:30', '00112233-4455-6677-8899-AABBCCDDEEFF', N'<a>1</a>'),
		(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	require.NoError(t, err)
	cfg, err := sqlserverreader.ParseConfig(mssqltest.With(base, "keepOffsets=true&table="+name))
	require.NoError(t, err)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	cfg.Allocator = mem
	r, err := sqlserverreader.Open(ctx, cfg)
	require.NoError(t, err)
	defer r.Close()
	splits, err := r.Splits(ctx, 1)
	require.NoError(t, err)
	rr, err := r.Read(ctx, splits[0])
	require.NoError(t, err)
	defer rr.Release()
	require.True(t, rr.Next(), "no rows: %v", rr.Err())
	b := rr.RecordBatch()
	want := map[string]string{
		"ti": "255", "si": "-32768", "i": "-2147483648", "bi": "-9223372036854775808", "b": "true",
		"d38": "9999999999999999999999999999.9999999999", "m": "-922337203685477.5808", "sm": "214748.3647",
		"c": "abcd", "vc": "café", "nc": "中文字符", "nvc": "emoji 😀", "tx": "text", "ntx": "ntext",
		"dt": "0001-01-01", "tm": "23:59:59.999999900", "g": "00112233-4455-6677-8899-aabbccddeeff", "x": "<a>1</a>",
		"dto_offset": "-330",
	}
	for i, f := range b.Schema().Fields() {
		if w, ok := want[f.Name]; ok {
			require.Equal(t, w, b.Column(i).ValueStr(0), "column %s", f.Name)
			require.True(t, b.Column(i).IsNull(1), "column %s row 2 is NULL", f.Name)
		}
	}
	require.False(t, rr.Next())
	require.NoError(t, rr.Err())
}

// TestSnapshot checks that rows deleted after Splits are still read by
// every split (one consistent state), against a real server.
func TestSnapshot(t *testing.T) {
	base, db := mssqltest.URL(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON"); err != nil {
		t.Skipf("cannot turn ALLOW_SNAPSHOT_ISOLATION on: %v", err)
	}
	name := mssqltest.Name("snap")
	mssqltest.Drop(t, db, name)
	_, err := db.ExecContext(ctx, "CREATE TABLE "+sqlident.SQLServer.MustQuote(name)+" (id int NOT NULL PRIMARY KEY, v nvarchar(10)); "+
		"INSERT INTO "+sqlident.SQLServer.MustQuote(name)+" SELECT TOP (100) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)), N'x' FROM sys.all_objects")
	require.NoError(t, err)
	cfg, err := sqlserverreader.ParseConfig(mssqltest.With(base, "table="+name+"&splitPk=id&isolation=require-snapshot"))
	require.NoError(t, err)
	r, err := sqlserverreader.Open(ctx, cfg)
	require.NoError(t, err)
	defer r.Close()
	splits, err := r.Splits(ctx, 4)
	require.NoError(t, err)
	require.Contains(t, r.Consistency(), "one consistent state")
	_, err = db.ExecContext(ctx, "DELETE FROM "+sqlident.SQLServer.MustQuote(name)+" WHERE id % 2 = 0")
	require.NoError(t, err)
	rows := 0
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		require.NoError(t, err)
		for rr.Next() {
			rows += int(rr.RecordBatch().NumRows())
		}
		require.NoError(t, rr.Err())
		rr.Release()
	}
	require.Equal(t, 100, rows, "rows deleted after Splits must still be read")
}
