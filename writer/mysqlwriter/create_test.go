package mysqlwriter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/mysqlreader"
)

// TestCreateKeepsDeclaredTypes: create=true keeps what the source declared:
// a MySQL source's own types (varchar(16), decimal precision, unsigned,
// tinyint(1), TIME(6)), NOT NULL and the primary key; from another engine,
// the char/varchar length; TIME(6) for duration fields.
func TestCreateKeepsDeclaredTypes(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	src := create(t, ctx, `(id INT UNSIGNED NOT NULL, code VARCHAR(16) NOT NULL, amount DECIMAL(10,2), flag TINYINT(1),
	  tm TIME(6), note TEXT, PRIMARY KEY (id))`)
	_, err := db.Exec("INSERT INTO " + src + " VALUES (1, 'a', 1.50, 1, '-838:59:59', 'x'), (2, 'b', NULL, 0, '100:00:00.5', NULL)")
	require.NoError(t, err)
	dst := uniqueName("ferry_wcreate")
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
	rcfg, err := mysqlreader.ParseConfig(base + "?table=" + src)
	require.NoError(t, err)
	r, err := mysqlreader.Open(ctx, rcfg)
	require.NoError(t, err)
	w := openWriter(t, ctx, base+"?create=true&table="+dst)
	_, err = ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
	require.NoError(t, err)
	var name, ddl string
	require.NoError(t, db.QueryRow("SHOW CREATE TABLE "+dst).Scan(&name, &ddl))
	for _, want := range []string{"`id` int(10) unsigned NOT NULL", "`code` varchar(16) NOT NULL", "`amount` decimal(10,2) DEFAULT NULL",
		"`flag` tinyint(1) DEFAULT NULL", "`tm` time(6) DEFAULT NULL", "`note` text DEFAULT NULL", "PRIMARY KEY (`id`)"} {
		require.Contains(t, ddl, want)
	}
	require.Equal(t, query(t, "SELECT * FROM "+src+" ORDER BY id"), query(t, "SELECT * FROM "+dst+" ORDER BY id"), "TIME beyond a day round-trips with no options")

	// From another engine: the declared length and NOT NULL, the key from
	// its metadata; duration into TIME(6); an interval without months into TIME.
	md := func(kv map[string]string) arrow.Metadata { return arrow.MetadataFrom(kv) }
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Metadata: md(map[string]string{ferry.MetaSourceType: "character varying(20)",
			ferry.MetaSourceEngine: ferry.EnginePostgreSQL, ferry.MetaPrimaryKey: "1", ferry.MetaCharLength: "20"})},
		{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md(map[string]string{ferry.MetaSourceType: "character(3)",
			ferry.MetaSourceEngine: ferry.EnginePostgreSQL, ferry.MetaCharLength: "3"})},
		{Name: "d", Type: arrow.FixedWidthTypes.Duration_us, Nullable: true},
		{Name: "iv", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true},
	}, nil)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	rb.Field(0).(*array.StringBuilder).Append("key")
	rb.Field(1).(*array.StringBuilder).Append("abc")
	rb.Field(2).(*array.DurationBuilder).Append(-3020399000000)
	rb.Field(3).(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Days: 2, Nanoseconds: 3_600_000_000_000})
	rb.Field(0).(*array.StringBuilder).Append("k2")
	rb.Field(1).AppendNull()
	rb.Field(2).AppendNull()
	rb.Field(3).(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Months: 1})
	b := rb.NewRecordBatch()
	defer b.Release()
	dst2 := uniqueName("ferry_wcreate")
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst2) })
	_, werr := run(t, ctx, base+"?create=true&table="+dst2, b)
	require.ErrorContains(t, werr, "1 row rejected", "an interval with months has no TIME")
	require.NoError(t, db.QueryRow("SHOW CREATE TABLE "+dst2).Scan(&name, &ddl))
	for _, want := range []string{"`k` varchar(20) NOT NULL", "`c` char(3) DEFAULT NULL", "`d` time(6) DEFAULT NULL", "PRIMARY KEY (`k`)"} {
		require.Contains(t, ddl, want)
	}
	require.False(t, strings.Contains(ddl, "longtext"), ddl)
	require.Equal(t, []string{"key|abc|-838:59:59.000000|49:00:00.000000"}, query(t, "SELECT k, c, d, iv FROM "+dst2))
}
