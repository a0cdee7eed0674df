package mysqlreader_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/mysqlreader"
)

// TestInjection sends payloads through table, columns and splitPk: the
// victim survives, and a payload is refused or taken as one literal name.
func TestInjection(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	victim := table(t, db, "(id INT)", "VALUES (1), (2), (3)")
	src := table(t, db, "(id INT PRIMARY KEY, v VARCHAR(10))", "VALUES (1, 'a'), (2, 'b')")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	payloads := []string{
		"t`; DROP TABLE " + victim + "; --",
		"x (x int); DROP TABLE " + victim,
		"`a`.`b`; DROP TABLE " + victim,
		"a'; DROP TABLE " + victim + "; --",
		"id` FROM " + src + "; DROP TABLE " + victim + "; --",
		"id`, (SELECT 1 FROM " + victim + " FOR UPDATE) AS `x",
		"``; DROP TABLE " + victim,
	}
	for _, p := range payloads {
		q := url.QueryEscape(p)
		for _, u := range []string{base + "?table=" + q, base + "?table=" + src + "&columns=" + q, base + "?table=" + src + "&splitPk=" + q} {
			cfg, err := mysqlreader.ParseConfig(u)
			if err != nil {
				continue
			}
			cfg.Allocator = mem
			r, err := mysqlreader.Open(ctx, cfg)
			if err != nil {
				require.NotContains(t, err.Error(), "syntax", u) // refused as a name, never parsed as SQL
				continue
			}
			readAll(t, ctx, r, 4)
			r.Close()
		}
		var n int
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+victim).Scan(&n), "victim dropped by %q", p)
		require.Equal(t, 3, n)
	}
	// A table whose name is a payload is read as that table.
	p := "x (x int); DROP TABLE " + victim
	_, err := db.Exec("CREATE TABLE `" + p + "` (id INT)")
	require.NoError(t, err)
	defer db.Exec("DROP TABLE IF EXISTS `" + p + "`")
	_, err = db.Exec("INSERT INTO `" + p + "` VALUES (7)")
	require.NoError(t, err)
	r := open(t, ctx, base+"?table="+url.QueryEscape("`"+p+"`"), mem)
	require.Equal(t, []string{"7"}, readAll(t, ctx, r, 1))
	r.Close()
}

// TestDefaultSplitPK: without splitPk a single integer primary key cuts the
// table; otherwise the plan has one split whose ID says why.
func TestDefaultSplitPK(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	withPK := table(t, db, "(id BIGINT PRIMARY KEY, v INT)")
	_, err := db.Exec("INSERT INTO " + withPK + " SELECT seq, seq FROM seq_1_to_1000")
	require.NoError(t, err)
	r := open(t, ctx, base+"?table="+withPK, mem)
	splits, err := r.Splits(ctx, 4)
	require.NoError(t, err)
	require.Len(t, splits, 4)
	require.Len(t, readAll(t, ctx, r, 4), 1000)
	require.Empty(t, r.SplitNote())
	r.Close()
	for _, c := range []struct{ ddl, why string }{
		{"(id BIGINT, v INT)", "no splitPk and the table has no primary key"},
		{"(a INT, b INT, PRIMARY KEY (a, b))", "no splitPk and the primary key has 2 columns"},
		{"(k VARCHAR(10) PRIMARY KEY)", "no splitPk and the primary key k is varchar(10), not an integer"},
	} {
		name := table(t, db, c.ddl)
		r := open(t, ctx, base+"?table="+name, mem)
		splits, err := r.Splits(ctx, 4)
		require.NoError(t, err)
		require.Len(t, splits, 1)
		require.Equal(t, name+" (one split: "+c.why+")", splits[0].ID)
		require.Equal(t, c.why, r.SplitNote())
		r.Close()
	}
}

// TestFieldMetadata: every field carries the source type and engine, NOT
// NULL, its primary key position and its declared char length.
func TestFieldMetadata(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, "(b INT NOT NULL, a VARCHAR(16) NOT NULL, c CHAR(3), d DECIMAL(10,2), t TEXT, PRIMARY KEY (a, b))")
	r := open(t, ctx, base+"?table="+name, memory.DefaultAllocator)
	defer r.Close()
	s, err := r.Schema(ctx)
	require.NoError(t, err)
	got := map[string]string{}
	for _, f := range s.Fields() {
		var kv []string
		for _, k := range []string{ferry.MetaSourceType, ferry.MetaSourceEngine, ferry.MetaNotNull, ferry.MetaPrimaryKey, ferry.MetaCharLength} {
			kv = append(kv, ferry.FieldMeta(f, k))
		}
		got[f.Name] = strings.Join(kv, "|")
	}
	require.Equal(t, map[string]string{
		"b": "int(11)|mysql|true|2|", "a": "varchar(16)|mysql|true|1|16", "c": "char(3)|mysql|||3",
		"d": "decimal(10,2)|mysql|||", "t": "text|mysql|||",
	}, got)
	require.Equal(t, []string{"a", "b"}, ferry.PrimaryKey(s))
}

// TestDottedTableNames: backquoted parts may hold dots.
func TestDottedTableNames(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := fmt.Sprintf("ferry_rt_dot%d.x", rand.Uint64()%1e9)
	_, err := db.Exec("CREATE TABLE IF NOT EXISTS `" + name + "` (id INT PRIMARY KEY) SELECT 5 AS id")
	require.NoError(t, err)
	defer db.Exec("DROP TABLE IF EXISTS `" + name + "`")
	var dbname string
	require.NoError(t, db.QueryRow("SELECT DATABASE()").Scan(&dbname))
	for _, tbl := range []string{"`" + name + "`", dbname + ".`" + name + "`"} {
		r := open(t, ctx, base+"?table="+url.QueryEscape(tbl), memory.DefaultAllocator)
		require.Equal(t, []string{"5"}, readAll(t, ctx, r, 2), tbl)
		r.Close()
	}
	_, err = mysqlreader.ParseConfig(base + "?table=" + url.QueryEscape(name))
	require.NoError(t, err) // database "ferry_rt_dot…", table "x": it does not exist
	cfg, _ := mysqlreader.ParseConfig(base + "?table=" + url.QueryEscape(name))
	_, err = mysqlreader.Open(ctx, cfg)
	require.ErrorContains(t, err, "in backquotes when the name holds a dot")
}

// TestURLSafety: malformed pairs are errors naming the parameter.
func TestURLSafety(t *testing.T) {
	for _, bad := range []string{
		"mysql://u:s3cret@h/db?table=t&where=id%3C3%ZZ",
		"mysql://u:s3cret@h/db?table=t&bogus=1;2",
		"mysql://u:s3cret@h/db?table=t&timeout=soon",
		"mysql://u:s3cret@h/db?table=t&time=clock",
	} {
		_, err := mysqlreader.ParseConfig(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "s3cret")
	}
	_, err := mysqlreader.ParseConfig("mysql://u:s3cret@h/db?table=t&where=id%3C3%ZZ")
	require.ErrorContains(t, err, "where")
	// A silent server: see TestSilentServer in internal/mysqlx (the reader
	// connects through mysqlx.OpenDB).
}

// TestStateElsewhere: a Reader in another process imports the planner's
// state, says which consistency it gives, and reads the shipped splits.
func TestStateElsewhere(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	name := table(t, db, "(id INT PRIMARY KEY)")
	_, err := db.Exec("INSERT INTO " + name + " SELECT seq FROM seq_1_to_100")
	require.NoError(t, err)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	planner := open(t, ctx, base+"?table="+name, mem)
	defer planner.Close()
	splits, err := planner.Splits(ctx, 3)
	require.NoError(t, err)
	require.Len(t, splits, 3)
	state, err := planner.ExportState(ctx)
	require.NoError(t, err)
	other := open(t, ctx, base+"?table="+name, mem)
	defer other.Close()
	note, err := other.ImportState(ctx, state)
	require.NoError(t, err)
	require.Contains(t, note, "snapshot of its own")
	n := 0
	for _, s := range splits {
		rr, err := other.Read(ctx, s)
		require.NoError(t, err)
		for rr.Next() {
			n += int(rr.RecordBatch().NumRows())
		}
		require.NoError(t, rr.Err())
		rr.Release()
	}
	require.Equal(t, 100, n)
	_, err = other.ImportState(ctx, []byte("{bad"))
	require.Error(t, err)
}
