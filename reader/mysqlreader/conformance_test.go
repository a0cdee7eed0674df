package mysqlreader_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// readerColumns are the standard columns a MySQL table holds and reads back
// with the standard type. Not here: f32/f64 (no NaN or infinity in MySQL;
// see TestAllTypes), lists, intervals, vectors (no such types), and tstz: an
// instant is stored in a DATETIME (TIMESTAMP ends in 2038) and read back
// zone-less unless timeZone is set (see TestTimeZoneAndDuration). tod is
// the standard time64[us] column: read with time=time64 (the default is
// duration[us], which carries every MySQL TIME).
var readerColumns = []string{"str", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "dec", "dec256", "bin", "flag", "day", "tod", "ts", "uid", "doc"}

func TestConformance(t *testing.T) {
	db, base := testDB(t)
	connectortest.RunReaderTests(t, connectortest.ReaderHarness{
		Columns: readerColumns,
		New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
			name := fmt.Sprintf("ferry_rc_%d", rand.Uint64()%1e12)
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + name) })
			wcfg, err := mysqlwriter.ParseConfig(base + "?create=true&key=id&table=" + name)
			require.NoError(t, err)
			w, err := mysqlwriter.Open(ctx, wcfg)
			require.NoError(t, err)
			defer w.Close()
			require.NoError(t, w.Prepare(ctx, data.Schema()))
			bw, err := w.Open(ctx)
			require.NoError(t, err)
			require.NoError(t, bw.Write(ctx, data))
			require.NoError(t, bw.Close(ctx))
			require.NoError(t, w.Commit(ctx))

			cfg, err := mysqlreader.ParseConfig(base + "?splitPk=id&time=time64&table=" + name + "&batchRows=" + strconv.Itoa(batchRows))
			require.NoError(t, err)
			cfg.Allocator = mem
			r, err := mysqlreader.Open(ctx, cfg)
			require.NoError(t, err)
			t.Cleanup(func() { r.Close() }) // before the table is dropped
			return r
		},
	})
}
