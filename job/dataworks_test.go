package job_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/job"
)

func catalog(t *testing.T) *job.Catalog {
	t.Helper()
	c, err := job.LoadCatalog(jobFile(t, "catalog.json", nil))
	require.NoError(t, err)
	return c
}

func lookupEnv(t *testing.T) func(string) (string, bool) {
	myPass := vars(t)["MY_PASS"]
	return func(k string) (string, bool) {
		switch k {
		case "JOBTEST_MY_PW":
			return myPass, true
		case "JOBTEST_SECRET":
			return "s3cr3t-pw", true
		}
		return "", false
	}
}

// A DataWorks script-mode job with data sources by name: a dev run reads
// the dev database, a prod run the prod one; a dev run never reaches prod.
func TestDataWorksCatalogEnvironments(t *testing.T) {
	a := myDB(t, "jobtest_a")
	b := myDB(t, "jobtest_b")
	pg := pgDB(t)
	for _, d := range []struct {
		db  db
		val string
	}{{a, "dev"}, {b, "prod"}} {
		exec(t, d.db, "DROP TABLE IF EXISTS jobtest_dw",
			"CREATE TABLE jobtest_dw (id INT PRIMARY KEY, v VARCHAR(10))",
			"INSERT INTO jobtest_dw VALUES (1,'"+d.val+"'),(2,'"+d.val+"')")
	}
	exec(t, pg, "DROP TABLE IF EXISTS jobtest_dw_pg", "CREATE TABLE jobtest_dw_pg (id int, v text, ds text)")
	cat := catalog(t)
	for _, tt := range []struct{ env, envType, want string }{
		{"dev", "1", "dev"},
		{"prod", "0", "prod"},
		{"prod", "1", "prod"}, // a dev job published to prod uses the prod entries
	} {
		p := parse(t, jobFile(t, "dataworks_mysql2pg.json", map[string]string{"ENVTYPE": tt.envType}),
			&job.Options{Catalog: cat, Env: tt.env, LookupEnv: lookupEnv(t)})
		require.Equal(t, job.FormatDataWorks, p.Format)
		require.Equal(t, 2, p.Concurrency)
		require.EqualValues(t, 12<<20, p.BytesPerSecond)
		sum, err := p.Run(context.Background(), nil)
		require.NoError(t, err)
		require.EqualValues(t, 2, sum.RowsWritten)
		require.Equal(t, []string{"1|" + tt.want + "|20250726", "2|" + tt.want + "|20250726"},
			queryStrings(t, pg, "SELECT id, v, ds FROM jobtest_dw_pg ORDER BY id"), "env %s", tt.env)
	}
}

// Data sources that cannot be used give one clear error each, and never
// show the secret.
func TestDataWorksCatalogErrors(t *testing.T) {
	cat := catalog(t)
	path := jobFile(t, "dataworks_mysql2pg.json", map[string]string{"ENVTYPE": "0"})
	_, err := job.ParseFile(path, &job.Options{Catalog: cat, Env: "dev", LookupEnv: lookupEnv(t), CycTime: cyc})
	require.ErrorContains(t, err, `data source "orders_db": the job asks for its prod entry, but this is a dev run`)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	unknown := strings.ReplaceAll(string(b), `"orders_db"`, `"nope_db"`)
	_, err = job.Parse([]byte(unknown), &job.Options{Catalog: cat, LookupEnv: lookupEnv(t), CycTime: cyc})
	require.ErrorContains(t, err, `unknown data source "nope_db" (the catalog has dw, locked, orders_db)`)

	devOnly := strings.ReplaceAll(strings.ReplaceAll(string(b), `"orders_db"`, `"locked"`), `"envType": 0`, `"envType": 1`)
	_, err = job.Parse([]byte(devOnly), &job.Options{Catalog: cat, LookupEnv: lookupEnv(t), CycTime: cyc})
	require.ErrorContains(t, err, `data source "locked" has no dev entry`)

	// prod with a wrong password: the error names the server, not the secret.
	p, err := job.Parse([]byte(strings.ReplaceAll(string(b), `"orders_db"`, `"locked"`)), &job.Options{Catalog: cat, Env: "prod", LookupEnv: lookupEnv(t), CycTime: cyc})
	require.NoError(t, err)
	require.NotContains(t, p.Shown(), "s3cr3t-pw")
	_, err = p.Run(context.Background(), nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cr3t-pw")

	_, err = job.Parse(b, &job.Options{Catalog: cat, Env: "prod", CycTime: cyc, LookupEnv: func(string) (string, bool) { return "", false }})
	require.ErrorContains(t, err, "environment variable JOBTEST_MY_PW is not set")
}
