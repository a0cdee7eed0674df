package embed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/internal/pgtest"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/transform/embed"
	"github.com/ferrydata/ferry/writer/memwriter"

	_ "github.com/ferrydata/ferry/reader/mysqlreader"
	_ "github.com/ferrydata/ferry/reader/parquetreader"
	_ "github.com/ferrydata/ferry/reader/pgreader"
	_ "github.com/ferrydata/ferry/reader/sqlitereader"
	_ "github.com/ferrydata/ferry/writer/mysqlwriter"
	_ "github.com/ferrydata/ferry/writer/parquetwriter"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
	_ "github.com/ferrydata/ferry/writer/sqlitewriter"
)

const vecDim = 6

// vectorRows are the vectors of the round trips: real embeddings and the
// float32 values whose bits are easiest to lose (negative zero, the
// smallest subnormal, the largest finite values, values that need all 9
// significant digits), and a NULL vector.
func vectorRows() [][]float32 {
	rows := [][]float32{
		{float32(math.Copysign(0, -1)), math.Float32frombits(1), -math.Float32frombits(1), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32 * 3},
		{0.1, 1.0 / 3, 16777217, 1e-38, 3.4028233e38, math.Float32frombits(0x3f800001)},
		nil,
	}
	for i := 0; i < 40; i++ {
		rows = append(rows, openaitest.Vector(fmt.Sprint("row ", i), vecDim))
	}
	return rows
}

func vectorBatch(mem memory.Allocator, rows [][]float32) arrow.RecordBatch {
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "embedding", Type: embed.VectorType(vecDim), Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	lb := b.Field(1).(*array.FixedSizeListBuilder)
	fb := lb.ValueBuilder().(*array.Float32Builder)
	for i, v := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if v == nil {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		fb.AppendValues(v, nil)
	}
	return b.NewRecordBatch()
}

// listVectors reads a fixed_size_list<float32> or list<float32> column.
func listVectors(t *testing.T, a arrow.Array) [][]float32 {
	t.Helper()
	out := make([][]float32, a.Len())
	for i := range out {
		if a.IsNull(i) {
			continue
		}
		var vals arrow.Array
		var lo, hi int64
		switch l := a.(type) {
		case array.ExtensionArray: // MySQL: the JSON text of the array
			require.NoError(t, json.Unmarshal([]byte(l.Storage().(*array.String).Value(i)), &out[i]), "row %d", i)
			continue
		case *array.FixedSizeList:
			vals = l.ListValues()
			lo, hi = l.ValueOffsets(i)
		case *array.List:
			vals = l.ListValues()
			lo, hi = l.ValueOffsets(i)
		default:
			t.Fatalf("the vector column was read back as %s", a.DataType())
		}
		f := vals.(*array.Float32)
		for j := lo; j < hi; j++ {
			out[i] = append(out[i], f.Value(int(j)))
		}
		if out[i] == nil {
			out[i] = []float32{}
		}
	}
	return out
}

// roundTrip writes rows to writerURL and reads readerURL back, ordered by id.
func roundTrip(t *testing.T, writerURL, readerURL string, rows [][]float32) (arrow.DataType, [][]float32) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	in := vectorBatch(mem, rows)
	defer in.Release()
	w, err := ferry.OpenWriter(ctx, writerURL)
	require.NoError(t, err)
	sum, err := ferry.New(memreader.New([]arrow.RecordBatch{in}, nil), w, &ferry.Options{Allocator: mem}).Run(ctx)
	require.NoError(t, err)
	require.True(t, sum.Committed)
	require.Equal(t, int64(len(rows)), sum.RowsWritten)

	r, err := ferry.OpenReader(ctx, readerURL)
	require.NoError(t, err)
	tbl := memwriter.NewTable()
	defer tbl.Release()
	_, err = ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Allocator: mem}).Run(ctx)
	require.NoError(t, err)
	got, err := tbl.Batch(mem, nil)
	require.NoError(t, err)
	defer got.Release()
	require.Equal(t, int64(len(rows)), got.NumRows())
	ids := got.Column(0)
	vecs := listVectors(t, got.Column(1))
	ordered := make([][]float32, len(rows))
	for i := range vecs {
		var n int64
		_, err := fmt.Sscan(ids.ValueStr(i), &n)
		require.NoError(t, err)
		ordered[n] = vecs[i]
	}
	return got.Schema().Field(1).Type, ordered
}

func requireBits(t *testing.T, want, got [][]float32) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if want[i] == nil {
			require.Nil(t, got[i], "row %d should be NULL", i)
			continue
		}
		require.Len(t, got[i], len(want[i]), "row %d", i)
		for j := range want[i] {
			require.Equal(t, math.Float32bits(want[i][j]), math.Float32bits(got[i][j]), "row %d element %d: want %g got %g", i, j, want[i][j], got[i][j])
		}
	}
}

// TestVectorRoundTripParquet: fixed_size_list<float32> is written as a
// Parquet FixedSizeList<float> and read back as the same type, bit for bit.
func TestVectorRoundTripParquet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vectors.parquet")
	typ, got := roundTrip(t, "parquet://"+path, "parquet://"+path, vectorRows())
	require.Equal(t, embed.VectorType(vecDim).String(), typ.String())
	requireBits(t, vectorRows(), got)
}

// TestVectorRoundTripSQLite: a "FLOAT VECTOR(n)" column holding JSON array
// text; read back as fixed_size_list<float32>[n], bit for bit.
func TestVectorRoundTripSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vectors.db")
	typ, got := roundTrip(t, "sqlite://"+path+"?table=vec18", "sqlite://"+path+"?table=vec18", vectorRows())
	require.Equal(t, arrow.FIXED_SIZE_LIST, typ.ID())
	requireBits(t, vectorRows(), got)
}

// TestVectorRoundTripPostgres: create=true makes a real[] column; pgreader
// reads it back as list<float32>, bit for bit.
func TestVectorRoundTripPostgres(t *testing.T) {
	table := pgtest.TableName(t, "emb18_vec")
	typ, got := roundTrip(t, pgtest.DSN("table="+table+"&create=true"), pgtest.DSN("table="+table), vectorRows())
	require.Equal(t, arrow.LIST, typ.ID())
	requireBits(t, vectorRows(), got)
	var dt string
	require.NoError(t, pgtest.Connect(t).QueryRow(context.Background(),
		"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'", table).Scan(&dt))
	require.Equal(t, "real[]", dt)
}

// TestVectorRoundTripPgvector: a pgvector vector(n) column, when the
// extension is installed (it is not packaged for this machine).
func TestVectorRoundTripPgvector(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Connect(t)
	var avail bool
	require.NoError(t, c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')").Scan(&avail))
	if !avail {
		t.Skip("pgvector is not installed on this PostgreSQL server (CREATE EXTENSION vector is not possible): vector(n) round trip not run")
	}
	_, err := c.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector")
	require.NoError(t, err)
	table := pgtest.TableName(t, "emb18_pgvector")
	_, err = c.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (id bigint PRIMARY KEY, embedding vector(%d))", table, vecDim))
	require.NoError(t, err)
	_, got := roundTrip(t, pgtest.DSN("table="+table), pgtest.DSN("table="+table), vectorRows())
	requireBits(t, vectorRows(), got)
}

// TestVectorRoundTripMySQL: create=true makes a JSON column holding the
// array as JSON text; mysqlreader reads it back as the Arrow JSON extension
// (utf8), which parses to the same float32 bits.
func TestVectorRoundTripMySQL(t *testing.T) {
	db := testenv.Ping(t, "mysql", mysqlDSN(t), "MariaDB")
	defer db.Close()
	table := "emb18_vec"
	_, err := db.Exec("DROP TABLE IF EXISTS " + table)
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
	base := testenv.MySQLURL()
	typ, got := roundTrip(t, base+"?table="+table+"&create=true", base+"?table="+table, vectorRows())
	t.Logf("MySQL vector column read back as %s", typ)
	requireBits(t, vectorRows(), got)
}

func mysqlDSN(t *testing.T) string {
	u, err := url.Parse(testenv.MySQLURL())
	require.NoError(t, err)
	pw, _ := u.User.Password()
	return fmt.Sprintf("%s:%s@tcp(%s)%s", u.User.Username(), pw, u.Host, u.Path)
}

// nonFinite is a vector with ±Inf, the canonical NaN and a NaN with a payload.
func nonFinite() [][]float32 {
	return [][]float32{{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0x7fc00001), 1, 2}}
}

// TestVectorNonFinite records what each destination does with values no
// embedding model returns but a vector column may hold: Parquet and
// PostgreSQL real[] keep every bit (NaN payloads too); SQLite keeps ±Inf and
// NaN but not a NaN's payload (its JSON text has one NaN); MySQL's JSON has
// no Inf or NaN, so mysqlwriter stores them as the strings "+Inf", "-Inf"
// and "NaN" inside the array (payload lost) and a reader must map them back.
func TestVectorNonFinite(t *testing.T) {
	t.Run("parquet", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nf.parquet")
		_, got := roundTrip(t, "parquet://"+p, "parquet://"+p, nonFinite())
		requireBits(t, nonFinite(), got)
	})
	t.Run("postgres", func(t *testing.T) {
		table := pgtest.TableName(t, "emb18_nonfinite")
		_, got := roundTrip(t, pgtest.DSN("table="+table+"&create=true"), pgtest.DSN("table="+table), nonFinite())
		requireBits(t, nonFinite(), got)
	})
	t.Run("sqlite", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nf.db")
		_, got := roundTrip(t, "sqlite://"+p+"?table=nf", "sqlite://"+p+"?table=nf", nonFinite())
		want := nonFinite()
		want[0][3] = float32(math.NaN()) // the payload is lost
		requireBits(t, want, got)
	})
	t.Run("mysql", func(t *testing.T) {
		db := testenv.Ping(t, "mysql", mysqlDSN(t), "MariaDB")
		defer db.Close()
		db.Exec("DROP TABLE IF EXISTS emb18_nonfinite")
		t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS emb18_nonfinite") })
		ctx := context.Background()
		in := vectorBatch(memory.DefaultAllocator, nonFinite())
		defer in.Release()
		w, err := ferry.OpenWriter(ctx, testenv.MySQLURL()+"?table=emb18_nonfinite&create=true")
		require.NoError(t, err)
		sum, err := ferry.New(memreader.New([]arrow.RecordBatch{in}, nil), w, nil).Run(ctx)
		require.NoError(t, err)
		require.True(t, sum.Committed)
		var text string
		require.NoError(t, db.QueryRow("SELECT embedding FROM emb18_nonfinite").Scan(&text))
		require.Equal(t, `["+Inf","-Inf","NaN","NaN",1,2]`, text)
	})
}
