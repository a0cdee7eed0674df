package sqlserverreader

import (
	"strings"
	"testing"

	"github.com/ferrydata/ferry/internal/mssqltest"
	"github.com/ferrydata/ferry/internal/sqlsource"
)

// TestEstimateSQL fixes Estimate's catalog query (no server here: the
// query is checked as text).
func TestEstimateSQL(t *testing.T) {
	var b strings.Builder
	for _, src := range []sqlsource.Source{
		{Table: "orders"},
		{Table: "sales.dbo.orders"},
		{Table: "dbo.[o'rders]"},
	} {
		q, ok := testReader(t, src, false).estimateSQL()
		if !ok {
			t.Fatalf("%s: no estimate", src.Table)
		}
		b.WriteString("-- " + src.Table + "\n" + q + "\n\n")
	}
	for _, src := range []sqlsource.Source{
		{Table: "orders", Where: "id > 3"},
		{QuerySQL: "SELECT id FROM dbo.orders"},
	} {
		if q, ok := testReader(t, src, false).estimateSQL(); ok {
			t.Errorf("%+v: estimated with %s, want unknown", src, q)
		}
	}
	mssqltest.Golden(t, "estimate_sql", b.String())
}
