package cursor_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/testenv"
	_ "github.com/ferrydata/ferry/reader/pgreader"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
)

func TestPredicate(t *testing.T) {
	spec := cursor.Spec{Columns: []string{"updated_at", "id"}}
	saved := []cursor.Value{
		{Column: "updated_at", Kind: cursor.KindInstant, Text: "2026-11-01 10:00:00.123456+00:00"},
		{Column: "id", Kind: cursor.KindInt, Text: "42"},
	}
	for _, tc := range []struct {
		d    sqlident.Dialect
		spec cursor.Spec
		want string
	}{
		{sqlident.PostgreSQL, spec, `(("updated_at" > TIMESTAMPTZ '2026-11-01 10:00:00.123456+00:00') OR ("updated_at" = TIMESTAMPTZ '2026-11-01 10:00:00.123456+00:00' AND "id" > 42) OR "updated_at" IS NULL OR "id" IS NULL)`},
		{sqlident.MySQL, cursor.Spec{Columns: spec.Columns, Nulls: cursor.NullsExclude}, "((`updated_at` > TIMESTAMP '2026-11-01 10:00:00.123456') OR (`updated_at` = TIMESTAMP '2026-11-01 10:00:00.123456' AND `id` > 42))"},
		{sqlident.PostgreSQL, cursor.Spec{Columns: spec.Columns, Nulls: cursor.NullsExclude, Lookback: time.Hour}, `("updated_at" >= TIMESTAMPTZ '2026-11-01 09:00:00.123456+00:00')`},
		{sqlident.SQLServer, cursor.Spec{Columns: []string{"d"}, Nulls: cursor.NullsExclude}, ""},
	} {
		if tc.want == "" {
			continue
		}
		got, err := tc.spec.Predicate(tc.d, saved)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
	// A saved value is rendered as a literal: it cannot break out.
	_, err := spec.Predicate(sqlident.PostgreSQL, []cursor.Value{{Column: "updated_at", Kind: cursor.KindInt, Text: "1; DROP TABLE x"}, {Column: "id", Kind: cursor.KindInt, Text: "1"}})
	require.ErrorContains(t, err, "not a number")
	_, err = spec.Predicate(sqlident.PostgreSQL, saved[:1])
	require.ErrorContains(t, err, "reset the state")
	got, err := spec.Predicate(sqlident.PostgreSQL, nil)
	require.NoError(t, err)
	require.Empty(t, got, "the first run is a full copy")
}

func TestFromURL(t *testing.T) {
	u, spec, err := cursor.FromURL("postgres://h/db?table=t&cursor=updated_at,id&cursorLookback=10m&where=a%3D1")
	require.NoError(t, err)
	require.Equal(t, []string{"updated_at", "id"}, spec.Columns)
	require.Equal(t, 10*time.Minute, spec.Lookback)
	require.NotContains(t, u, "cursor")
	_, _, err = cursor.FromURL("csv:///x.csv?cursor=a")
	require.ErrorContains(t, err, "needs a SQL source")
	_, _, err = cursor.FromURL("postgres://h/db?querySql=SELECT+1&cursor=a")
	require.ErrorContains(t, err, "not querySql")
	u, spec, err = cursor.FromURL("postgres://h/db?table=t")
	require.NoError(t, err)
	require.Nil(t, spec)
	u2, err := cursor.Apply("postgres://h/db?table=t&where=a%3D1", cursor.Spec{Columns: []string{"id"}, Nulls: cursor.NullsExclude}, []cursor.Value{{Column: "id", Kind: cursor.KindInt, Text: "7"}})
	require.NoError(t, err)
	require.Contains(t, u2, "where=%28a%3D1%29+AND+%28%28%22id%22+%3E+7%29%29")
}

// pgSync is one incremental run: the cursor is read from the state store,
// applied, tracked, and saved after the commit (unless skipSave, a stand-in
// for a kill between the commit and the save).
func pgSync(t *testing.T, store cursor.FileStore, src, dst string, skipSave bool, failRead bool) (*ferry.Summary, error) {
	t.Helper()
	ctx := context.Background()
	from, spec, err := cursor.FromURL(src)
	require.NoError(t, err)
	key := cursor.Key(ferry.Redact(from), ferry.Redact(dst))
	st, err := store.Load(key)
	require.NoError(t, err)
	var saved []cursor.Value
	if st != nil {
		saved = st.Values
	}
	from, err = cursor.Apply(from, *spec, saved)
	require.NoError(t, err)
	if failRead {
		from = strings.Replace(from, "table=cur_src", "table=cur_src_missing", 1)
	}
	r, err := ferry.OpenReader(ctx, from)
	if err != nil {
		return nil, err
	}
	w, err := ferry.OpenWriter(ctx, dst)
	require.NoError(t, err)
	tr := cursor.NewTracker(*spec, saved)
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2, BatchRows: 64, Checks: []ferry.Check{tr}}).Run(ctx)
	if err == nil && sum.Committed && !skipSave {
		require.NoError(t, store.Save(key, tr.Result(), sum.RunID))
	}
	return sum, err
}

func TestIncrementalPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresURL()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	defer conn.Close(ctx)
	exec := func(q string) {
		t.Helper()
		_, err := conn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	exec(`DROP TABLE IF EXISTS cur_src, cur_dst`)
	exec(`CREATE TABLE cur_src (id bigint PRIMARY KEY, updated_at timestamptz, v text)`)
	// 100 rows share each timestamp: ties cross the 64-row batches.
	exec(`INSERT INTO cur_src SELECT g, timestamptz '2026-11-01 00:00:00+00' + (g / 100) * interval '1 second' + interval '0.000001 second', 'v' || g FROM generate_series(1, 1000) g`)
	exec(`UPDATE cur_src SET updated_at = NULL WHERE id = 500`)
	exec(`CREATE TABLE cur_dst (id bigint PRIMARY KEY, updated_at timestamptz, v text)`)
	diff := func() (missing, extra int) {
		require.NoError(t, conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM (SELECT * FROM cur_src EXCEPT SELECT * FROM cur_dst) a), (SELECT count(*) FROM (SELECT * FROM cur_dst EXCEPT SELECT * FROM cur_src) b)`).Scan(&missing, &extra))
		return
	}
	store := cursor.FileStore{Path: t.TempDir()}
	src := dsn + "&table=cur_src&splitPk=id&cursor=updated_at,id"
	dst := dsn + "&table=cur_dst&mode=upsert&key=id"

	sum, err := pgSync(t, store, src, dst, false, false)
	require.NoError(t, err)
	require.EqualValues(t, 1000, sum.RowsRead, "the first run is a full copy")
	m, x := diff()
	require.Zero(t, m+x)

	// New rows at the current largest timestamp (ties, larger ids), rows
	// whose update moves the cursor, and rows updated without moving it.
	exec(`INSERT INTO cur_src SELECT g, timestamptz '2026-11-01 00:00:10.000001+00', 'new' || g FROM generate_series(1001, 1030) g`)
	exec(`UPDATE cur_src SET updated_at = timestamptz '2026-11-01 00:01:00+00', v = 'moved' WHERE id BETWEEN 100 AND 119`)
	exec(`UPDATE cur_src SET v = 'silent' WHERE id BETWEEN 200 AND 209`)
	sum, err = pgSync(t, store, src, dst, false, false)
	require.NoError(t, err)
	// 30 new + 20 moved + the NULL-cursor row (read on every run).
	require.EqualValues(t, 51, sum.RowsRead)
	m, x = diff()
	require.Equal(t, 10, m, "updates that do not move the cursor are not seen (documented)")
	require.Equal(t, 10, x)
	exec(`UPDATE cur_dst d SET v = s.v FROM cur_src s WHERE s.id = d.id AND s.v = 'silent'`)

	// Killed after the commit, before the state is saved: the next run
	// repeats those rows (upsert absorbs them) and skips none.
	exec(`INSERT INTO cur_src SELECT g, timestamptz '2026-11-01 00:02:00+00', 'late' || g FROM generate_series(1031, 1040) g`)
	_, err = pgSync(t, store, src, dst, true, false)
	require.NoError(t, err)
	exec(`INSERT INTO cur_src SELECT g, timestamptz '2026-11-01 00:03:00+00', 'later' || g FROM generate_series(1041, 1045) g`)
	sum, err = pgSync(t, store, src, dst, false, false)
	require.NoError(t, err)
	require.EqualValues(t, 16, sum.RowsRead, "10 repeated + 5 new + the NULL row")
	m, x = diff()
	require.Zero(t, m+x)

	// A run that fails before its commit saves nothing; the next converges.
	exec(`INSERT INTO cur_src SELECT g, timestamptz '2026-11-01 00:04:00+00', 'x' || g FROM generate_series(1046, 1050) g`)
	_, err = pgSync(t, store, src, dst, false, true)
	require.Error(t, err)
	sum, err = pgSync(t, store, src, dst, false, false)
	require.NoError(t, err)
	require.EqualValues(t, 6, sum.RowsRead)
	m, x = diff()
	require.Zero(t, m+x)

	base, _, err := cursor.FromURL(src)
	require.NoError(t, err)
	st, err := store.Load(cursor.Key(ferry.Redact(base), ferry.Redact(dst)))
	require.NoError(t, err)
	require.Equal(t, "2026-11-01 00:04:00+00:00", st.Values[0].Text)
	require.Equal(t, "1050", st.Values[1].Text)
}

func TestStoreErrors(t *testing.T) {
	dir := t.TempDir()
	s := cursor.FileStore{Path: dir}
	require.NoError(t, s.Save("k1", []cursor.Value{{Column: "id", Kind: cursor.KindInt, Text: "1"}}, "r"))
	st, err := s.Load("k1")
	require.NoError(t, err)
	require.Equal(t, "1", st.Values[0].Text)
	require.NoError(t, s.Reset("k1"))
	st, err = s.Load("k1")
	require.NoError(t, err)
	require.Nil(t, st)
	f := cursor.FileStore{Path: filepath.Join(dir, "x.json")}
	require.NoError(t, osWrite(filepath.Join(dir, "x.json"), `{"format":"other"}`))
	_, err = f.Load("any")
	require.ErrorContains(t, err, "is not a cursor state file")
	require.NoError(t, osWrite(filepath.Join(dir, "x.json"), `{`))
	_, err = f.Load("any")
	require.ErrorContains(t, err, "corrupt")
}
