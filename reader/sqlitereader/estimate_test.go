package sqlitereader_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/sqlitereader"
)

func TestEstimate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.db")
	exec(t, path,
		`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)`,
		`WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000) INSERT INTO t SELECT n, 'x' || n FROM s`,
		`CREATE TABLE nr (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID`,
		`INSERT INTO nr VALUES ('x', 1), ('y', 2)`,
		`CREATE TABLE empty (id INTEGER PRIMARY KEY)`,
	)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	size := fi.Size()
	for _, tc := range []struct {
		name string
		cfg  sqlitereader.Config
		want ferry.Estimate
	}{
		{"rowid range", sqlitereader.Config{Table: "t"}, ferry.Estimate{Rows: 3000, Bytes: size}},
		{"without rowid", sqlitereader.Config{Table: "nr"}, ferry.Estimate{Rows: 2, Bytes: size, Exact: true}},
		{"empty", sqlitereader.Config{Table: "empty"}, ferry.Estimate{Bytes: size, Exact: true}},
		{"where", sqlitereader.Config{Table: "t", Where: "id < 10"}, ferry.Estimate{Bytes: size}},
		{"query", sqlitereader.Config{QuerySQL: "SELECT id FROM t"}, ferry.Estimate{Bytes: size}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Path = path
			r, _ := open(t, tc.cfg)
			est, err := r.Estimate(context.Background())
			require.NoError(t, err)
			require.Equal(t, tc.want, est)
		})
	}
}
