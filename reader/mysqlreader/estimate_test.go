package mysqlreader_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEstimate(t *testing.T) {
	ctx := context.Background()
	db, base := testDB(t)
	name := table(t, db, "(id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB")
	_, err := db.Exec("INSERT INTO " + name + " SELECT seq, MD5(seq) FROM seq_1_to_5000")
	require.NoError(t, err)
	_, err = db.Exec("ANALYZE TABLE " + name)
	require.NoError(t, err)
	for _, tc := range []struct {
		params string
		lo, hi int64
	}{
		{"?table=" + name, 4000, 6000}, // InnoDB's estimate
		{"?table=" + name + "&where=id%3C10", 0, 0},
		{"?querySql=SELECT+id+FROM+" + name, 0, 0},
	} {
		r := open(t, ctx, base+tc.params, nil)
		est, err := r.Estimate(ctx)
		require.NoError(t, err, tc.params)
		require.GreaterOrEqual(t, est.Rows, tc.lo, "%s: %+v", tc.params, est)
		require.LessOrEqual(t, est.Rows, tc.hi, "%s: %+v", tc.params, est)
		require.False(t, est.Exact)
		if tc.hi > 0 {
			require.Positive(t, est.Bytes)
		}
		require.NoError(t, r.Close())
	}
}
