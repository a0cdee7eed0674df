package job_test

import (
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
