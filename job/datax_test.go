package job_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/job"
)

// A DataX MySQL → PostgreSQL job, unchanged: -D variables, scheduling
// parameters, constants in the reader's column list, mapping by position,
// splitPk, where with a trailing ';', preSql and postSql with @table.
func TestDataXMySQLToPostgres(t *testing.T) {
	my := myDB(t, "")
	pg := pgDB(t)
	exec(t, my,
		"DROP TABLE IF EXISTS jobtest_orders",
		"CREATE TABLE jobtest_orders (id BIGINT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2))",
		"INSERT INTO jobtest_orders VALUES (1,'ann',1.50),(2,'bob',NULL),(3,'cy',3.00),(4,'dee',4.25)")
	exec(t, pg,
		"DROP TABLE IF EXISTS jobtest_orders_pg",
		"DROP TABLE IF EXISTS jobtest_log",
		"CREATE TABLE jobtest_orders_pg (id bigint PRIMARY KEY, name text, src text, version bigint, note text, amount numeric(10,2), extra text DEFAULT 'dflt')",
		"CREATE TABLE jobtest_log (msg text)",
		"INSERT INTO jobtest_orders_pg (id, name) VALUES (-1, 'removed by preSql')")
	path := jobFile(t, "mysql2pg.json", nil)

	sum, err := run(t, path, &job.Options{Vars: map[string]string{"minid": "2"}})
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.RowsWritten)
	require.Equal(t, []string{
		"2|bob|legacy|1|NULL|NULL|dflt",
		"3|cy|legacy|1|NULL|3.00|dflt",
		"4|dee|legacy|1|NULL|4.25|dflt",
	}, queryStrings(t, pg, "SELECT id, name, src, version, note, amount, extra FROM jobtest_orders_pg ORDER BY id"))
	require.Equal(t, []string{"loaded 20250726"}, queryStrings(t, pg, "SELECT msg FROM jobtest_log"))
}

// Without the -D variable the where clause keeps ${minid}: an error naming
// the key, before anything connects.
func TestDataXUnresolvedVariable(t *testing.T) {
	path := jobFile(t, "mysql2pg.json", nil)
	_, err := job.ParseFile(path, &job.Options{CycTime: cyc})
	require.ErrorContains(t, err, `job.content[0].reader.parameter.where`)
	require.ErrorContains(t, err, `unknown parameter "${minid}"`)
}

// querySql from PostgreSQL (with a scheduling parameter) into MySQL, with
// writeMode replace and update over rows that exist.
func TestDataXQuerySQLWriteModes(t *testing.T) {
	pg := pgDB(t)
	my := myDB(t, "")
	exec(t, pg,
		"DROP TABLE IF EXISTS jobtest_items",
		"CREATE TABLE jobtest_items (id int PRIMARY KEY, name text, qty int, day date)",
		"INSERT INTO jobtest_items VALUES (1,'a',1,'2025-07-26'),(2,'b',2,'2025-07-26'),(3,'c',3,'2025-07-25')")
	for _, mode := range []string{"replace", "update"} {
		t.Run(mode, func(t *testing.T) {
			exec(t, my,
				"DROP TABLE IF EXISTS jobtest_items_my",
				"CREATE TABLE jobtest_items_my (id INT PRIMARY KEY, name VARCHAR(10), qty INT, note VARCHAR(10) DEFAULT 'keep')",
				"INSERT INTO jobtest_items_my VALUES (1,'old',0,'mine'),(9,'other',9,'mine')")
			p := parse(t, jobFile(t, "pg2mysql_query.json", map[string]string{"MODE": mode}), nil)
			require.Contains(t, p.Warnings, `job.content[0].writer.parameter.session: the writers do not run session statements; ignored: set session sql_mode='ANSI'`)
			sum, err := p.Run(context.Background(), nil)
			require.NoError(t, err)
			require.EqualValues(t, 2, sum.RowsWritten)
			note := "keep" // REPLACE deletes the old row: its other columns get their defaults
			if mode == "update" {
				note = "mine" // ON DUPLICATE KEY UPDATE keeps the columns not written
			}
			require.Equal(t, []string{"1|A|2|" + note, "2|B|4|keep", "9|other|9|mine"},
				queryStrings(t, my, "SELECT id, name, qty, note FROM jobtest_items_my ORDER BY id"))
		})
	}
}

// SQL expressions and constants in a reader's column list: the table is
// read with one query.
func TestDataXColumnExpressions(t *testing.T) {
	pg := pgDB(t)
	exec(t, pg,
		"DROP TABLE IF EXISTS jobtest_items",
		"DROP TABLE IF EXISTS jobtest_items_copy",
		"CREATE TABLE jobtest_items (id int PRIMARY KEY, name text, qty int, day date)",
		"CREATE TABLE jobtest_items_copy (id int PRIMARY KEY, name text, tag text, qty int)",
		"INSERT INTO jobtest_items VALUES (1,'a',1,'2025-07-26'),(2,'b',0,'2025-07-26'),(3,'c',3,'2025-07-25')")
	p := parse(t, jobFile(t, "pg2pg_expr.json", nil), nil)
	require.NotEmpty(t, p.Warnings)
	require.Contains(t, p.Source.Parts[0].URL, "querySql=")
	_, err := p.Run(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"1|A|const|2", "3|C|const|4"},
		queryStrings(t, pg, "SELECT id, name, tag, qty FROM jobtest_items_copy ORDER BY id"))
}

// Table ranges and comma lists over two MySQL databases, with a jdbcUrl
// failover list whose first entry does not answer, into SQLite.
func TestDataXTableRangesTwoDatabases(t *testing.T) {
	a := myDB(t, "jobtest_a")
	b := myDB(t, "jobtest_b")
	for i, d := range []db{a, a, b, b} {
		name := fmt.Sprintf("jobtest_shard_%02d", i)
		exec(t, d, "DROP TABLE IF EXISTS "+name,
			"CREATE TABLE "+name+" (id INT PRIMARY KEY, v VARCHAR(10))",
			fmt.Sprintf("INSERT INTO %s VALUES (%d,'s%d'),(%d,'s%d')", name, i*10+1, i, i*10+2, i))
	}
	dbPath := filepath.Join(t.TempDir(), "jobtest.db")
	p := parse(t, jobFile(t, "shards2sqlite.json", map[string]string{"SQLITE": dbPath}), nil)
	require.Len(t, p.Source.Parts, 4)
	require.Len(t, p.Source.Parts[0].Failover, 1)
	sum, err := p.Run(context.Background(), nil)
	require.NoError(t, err)
	require.EqualValues(t, 8, sum.RowsWritten)
	require.Equal(t, []string{"1|s0", "2|s0", "11|s1", "12|s1", "21|s2", "22|s2", "31|s3", "32|s3"},
		queryStrings(t, sqliteDB(t, dbPath), "SELECT id, v FROM jobtest_all ORDER BY id"))
}

func writeTxt(t *testing.T, dir, name, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
}

// txtfilereader with a header, '|' fields, \N for NULL, Java date patterns
// and a constant, into PostgreSQL; errorLimit record and percentage decide,
// and a run over the limit leaves the destination as it was.
func TestDataXTxtfileErrorLimit(t *testing.T) {
	pg := pgDB(t)
	dir := t.TempDir()
	writeTxt(t, dir, "jobtest_1.txt", "id|name|day|score\n1|ann|2025/07/01|1.5\n2|\\N|2025/07/02|2\nx|bad id|2025/07/03|3\n")
	writeTxt(t, dir, "jobtest_2.txt", "id|name|day|score\n4|dee|07/04/2025|4\n5|eve|2025/07/05|\n6|fay|2025/07/06|6.25\n")
	tests := []struct {
		name  string
		limit string
		ok    bool
	}{
		{"record over", `{"record": 1}`, false},
		{"record within", `{"record": 2}`, true},
		{"percentage over", `{"percentage": 0.2}`, false},
		{"percentage within", `{"percentage": 0.5}`, true},
		{"record wins over percentage", `{"record": 0, "percentage": 0.9}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec(t, pg, "DROP TABLE IF EXISTS jobtest_txt",
				"CREATE TABLE jobtest_txt (id bigint, name text, day date, ds text, score double precision)",
				"INSERT INTO jobtest_txt (id, name) VALUES (100, 'before')")
			sum, err := run(t, jobFile(t, "txt2pg.json", map[string]string{"DIR": dir, "LIMIT": tt.limit}), nil)
			if !tt.ok {
				require.Error(t, err)
				require.ErrorContains(t, err, "dirty")
				require.Equal(t, []string{"100|before"}, queryStrings(t, pg, "SELECT id, name FROM jobtest_txt"))
				return
			}
			require.NoError(t, err)
			require.EqualValues(t, 2, sum.RowsDirty)
			require.Equal(t, []string{
				"1|ann|2025-07-01|20250726|1.5",
				"2|NULL|2025-07-02|20250726|2",
				"5|eve|2025-07-05|20250726|NULL",
				"6|fay|2025-07-06|20250726|6.25",
				"100|before|NULL|NULL|NULL",
			}, queryStrings(t, pg, "SELECT id, name, day, ds, score FROM jobtest_txt ORDER BY id"))
		})
	}
}
