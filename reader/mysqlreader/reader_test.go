package mysqlreader_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/mysqlreader"
)

// testDB connects to the test server and returns it with the reader URL base.
func testDB(t *testing.T) (*sql.DB, string) {
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
	return db, base
}

// table creates a uniquely named table and drops it at the end of the test.
func table(t *testing.T, db *sql.DB, ddl string, inserts ...string) string {
	t.Helper()
	name := fmt.Sprintf("ferry_rt_%d", rand.Uint64()%1e12)
	_, err := db.Exec("CREATE TABLE " + name + " " + ddl)
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + name) })
	for _, ins := range inserts {
		_, err := db.Exec("INSERT INTO " + name + " " + ins)
		require.NoError(t, err, ins)
	}
	return name
}

func open(t *testing.T, ctx context.Context, urlstr string, mem memory.Allocator) *mysqlreader.Reader {
	t.Helper()
	cfg, err := mysqlreader.ParseConfig(urlstr)
	require.NoError(t, err)
	cfg.Allocator = mem
	r, err := mysqlreader.Open(ctx, cfg)
	require.NoError(t, err)
	return r
}

// readAll reads every split and returns the rows as text, one string per row
// ("v1|v2|..."), in split order.
func readAll(t *testing.T, ctx context.Context, r ferry.Reader, hint int) []string {
	t.Helper()
	splits, err := r.Splits(ctx, hint)
	require.NoError(t, err)
	var out []string
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		require.NoError(t, err)
		for rr.Next() {
			b := rr.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				var parts []string
				for c := 0; c < int(b.NumCols()); c++ {
					parts = append(parts, b.Column(c).ValueStr(i))
				}
				out = append(out, strings.Join(parts, "|"))
			}
		}
		require.NoError(t, rr.Err())
		rr.Release()
	}
	return out
}

const allTypesDDL = `(
 id BIGINT NOT NULL PRIMARY KEY,
 ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
 i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
 d DECIMAL(65,30), d2 DECIMAL(12,2), f FLOAT, dbl DOUBLE,
 s VARCHAR(100), tx TEXT, b VARBINARY(100), bl BLOB,
 bt BIT(10), b1 BIT(1), flag TINYINT(1),
 dt DATE, tm TIME(6), dtt DATETIME(6), ts TIMESTAMP(6) NULL, y YEAR,
 j JSON, e ENUM('a','b'), st SET('x','y'), u UUID
) DEFAULT CHARSET=utf8mb4`

// allTypesRows are the two rows of TestAllTypes: the low and the high edge
// of each column of allTypesDDL.
var allTypesRows = []string{
	`VALUES (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
		 -99999999999999999999999999999999999.999999999999999999999999999999, -9999999999.99, -3.40282e38, -1.7976931348623157e308,
		 '', '', '', x'00ff', b'0', b'0', 0, '1000-01-01', '00:00:00', '1000-01-01 00:00:00', '1970-01-01 00:00:01', 1901,
		 '{}', 'a', '', '00000000-0000-0000-0000-000000000000')`,
	`VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
		 99999999999999999999999999999999999.999999999999999999999999999999, 9999999999.99, 1.17549e-38, 5e-324,
		 'emoji 😀 tab\there', 'new\nline \\\\N', x'000a090d5c4e', x'', b'1111111111', b'1', 1, '9999-12-31', '23:59:59.999999',
		 '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155, '{"a": [1, "😀"]}', 'b', 'x,y', 'ffffffff-ffff-ffff-ffff-ffffffffffff')`,
}

func TestAllTypes(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, allTypesDDL, slices.Concat(allTypesRows, []string{`(id) VALUES (3)`})...)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	r := open(t, ctx, base+"?table="+name, mem)
	defer r.Close()
	sch, err := r.Schema(ctx)
	require.NoError(t, err)
	want := map[string]string{
		"ti": "int8", "tu": "uint8", "si": "int16", "su": "uint16", "mi": "int32", "mu": "uint32", "i": "int32", "iu": "uint32",
		"bi": "int64", "bu": "uint64", "d": "decimal256(65, 30)", "d2": "decimal(12, 2)", "f": "float32", "dbl": "float64",
		"s": "utf8", "tx": "utf8", "b": "binary", "bl": "binary", "bt": "uint64", "b1": "bool", "flag": "bool",
		"dt": "date32", "tm": "duration[us]", "dtt": "timestamp[us]", "ts": "timestamp[us, tz=UTC]", "y": "int16",
		"j": "extension<arrow.json[storage_type=utf8]>", "e": "utf8", "st": "utf8", "u": "extension<arrow.uuid>",
	}
	for _, f := range sch.Fields()[1:] {
		require.Equal(t, want[f.Name], f.Type.String(), f.Name)
		st, ok := f.Metadata.GetValue("ferry.source_type")
		require.True(t, ok, f.Name)
		require.NotEmpty(t, st)
	}
	rows := readAll(t, ctx, r, 1)
	require.Equal(t, []string{
		"1|-128|0|-32768|0|-8388608|0|-2147483648|0|-9223372036854775808|0|-99999999999999999999999999999999999.999999999999999999999999999999|-9999999999.99|-3.40282e+38|-1.7976931348623157e+308||||AP8=|0|false|false|1000-01-01|0us|1000-01-01T00:00:00|1970-01-01T00:00:01Z|1901|{}|a||00000000-0000-0000-0000-000000000000",
		"2|127|255|32767|65535|8388607|16777215|2147483647|4294967295|9223372036854775807|18446744073709551615|99999999999999999999999999999999999.999999999999999999999999999999|9999999999.99|1.17549e-38|5e-324|emoji 😀 tab\there|new\nline \\\\N|AAoJDVxO||1023|true|true|9999-12-31|86399999999us|9999-12-31T23:59:59.999999|2038-01-19T03:14:07.999999Z|2155|{\"a\": [1, \"😀\"]}|b|x,y|ffffffff-ffff-ffff-ffff-ffffffffffff",
		"3|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)|null|(null)|(null)|(null)",
	}, rows)
}

// TestBatchesOfChangingSize reads rows whose text grows and shrinks from
// batch to batch, so that the reservation made from the last batch is now
// too small (the builders grow) and now too large: every value arrives,
// and nothing leaks.
func TestBatchesOfChangingSize(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	var ins []string
	for lo := 0; lo < 600; lo += 100 {
		var vals []string
		for i := lo; i < lo+100; i++ {
			n := (i * 37) % 700
			if i/50%2 == 1 {
				n = i % 3 // a run of short values after a run of long ones
			}
			if i%11 == 0 {
				vals = append(vals, fmt.Sprintf("(%d, NULL, NULL, NULL)", i))
				continue
			}
			vals = append(vals, fmt.Sprintf("(%d, REPEAT('x', %d), REPEAT(x'00', %d), JSON_ARRAY(REPEAT('é', %d)))", i, n, n, n))
		}
		ins = append(ins, "VALUES "+strings.Join(vals, ", "))
	}
	name := table(t, db, "(id INT PRIMARY KEY, s TEXT, b BLOB, j JSON) DEFAULT CHARSET=utf8mb4", ins...)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	r := open(t, ctx, base+"?table="+name+"&batchRows=37", mem)
	defer r.Close()
	rows := readAll(t, ctx, r, 1)
	require.Len(t, rows, 600)
	for i, row := range rows {
		n := (i * 37) % 700
		if i/50%2 == 1 {
			n = i % 3
		}
		want := fmt.Sprintf("%d|%s|%s|[\"%s\"]", i, strings.Repeat("x", n),
			base64.StdEncoding.EncodeToString(make([]byte, n)), strings.Repeat("é", n))
		if i%11 == 0 {
			want = fmt.Sprintf("%d|(null)|(null)|null", i)
		}
		require.Equal(t, want, row, "row %d", i)
	}
}

// TestBinaryMatchesText reads the same tables through the binary protocol
// (the default: a prepared statement) and the text protocol
// (protocol=text, the driver interpolating the arguments): the schemas and
// every value agree, at the edges of each type (TIME beyond a day and negative, every
// fractional precision, zero and partial dates, signed zeros, the largest
// unsigned values).
func TestBinaryMatchesText(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	all := table(t, db, allTypesDDL, slices.Concat(allTypesRows, []string{
		`VALUES (3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9223372036854775808, 0.000000000000000000000000000001, 0.01, -0.0, -0.0,
		 'a', 'b', x'5c', x'5c30', b'1', b'0', 0, '2024-02-29', '-00:00:00.000001', '2024-02-29 00:00:00', '2024-02-29 12:00:00', 2000,
		 '[]', 'a', 'y', '123e4567-e89b-12d3-a456-426614174000')`,
		`(id) VALUES (4)`})...)
	edges := table(t, db, `(id INT PRIMARY KEY, t0 TIME, t3 TIME(3), d0 DATETIME, d3 DATETIME(3), ts0 TIMESTAMP NULL, y YEAR, d DATE, f FLOAT, dbl DOUBLE)`)
	_, err := db.Exec("SET SESSION sql_mode=''; INSERT INTO " + edges + ` VALUES
		(1, '100:00:01', '-01:02:03.004', '2024-01-02 03:04:05', '2024-01-02 03:04:05.006', '2024-01-02 03:04:05', 0, '2024-00-15', 3.4e38, 1e-300),
		(2, '-00:00:01', '00:00:00.001', '0000-00-00 00:00:00', '2024-01-02 00:00:00.000', NULL, 1999, '0000-00-00', 1.5, 123456789012345680000),
		(3, '-838:59:59', '838:59:59.999', NULL, NULL, NULL, 2155, NULL, -0.1, -0.1),
		(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	require.NoError(t, err)

	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, name := range []string{all, edges} {
		bin := open(t, ctx, base+"?zeroDate=null&table="+name, mem)
		text := open(t, ctx, base+"?zeroDate=null&protocol=text&table="+name, mem)
		bs, err := bin.Schema(ctx)
		require.NoError(t, err)
		ts, err := text.Schema(ctx)
		require.NoError(t, err)
		require.True(t, bs.Equal(ts), "%s: %s\n%s", name, bs, ts)
		got := readAll(t, ctx, bin, 1)
		require.NotEmpty(t, got)
		require.Equal(t, readAll(t, ctx, text, 1), got, name)
		require.NoError(t, bin.Close())
		require.NoError(t, text.Close())
	}
}
