package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/backfill"
	"github.com/ferrydata/ferry/internal/testenv"
	_ "github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/schedparam"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
)

func TestInstances(t *testing.T) {
	b := &backfill.Backfill{From: date(t, "20261030"), To: date(t, "20261102")}
	insts, err := b.Instances()
	require.NoError(t, err)
	var keys []string
	for _, in := range insts {
		keys = append(keys, in.Key+"@"+in.Cycle.Format("0102"))
	}
	require.Equal(t, []string{"20261030@1031", "20261031@1101", "20261101@1102", "20261102@1103"}, keys)
	// ${...} is the instance's business date, $[...] its scheduled time.
	got, err := schedparam.Resolve("${yyyy-mm-dd} $[yyyymmdd]", insts[1].Cycle, nil)
	require.NoError(t, err)
	require.Equal(t, "2026-10-31 20261101", got)

	b.Schedule.Every = 6 * time.Hour
	insts, err = b.Instances()
	require.NoError(t, err)
	require.Len(t, insts, 16)
	require.Equal(t, "20261031000000", insts[0].Key)
}

func date(t *testing.T, s string) time.Time {
	d, err := schedparam.ParseDate(s, time.UTC)
	require.NoError(t, err)
	return d
}

// A 14-day backfill into PostgreSQL with partition-overwrite, 3 at a time;
// one date fails, --only-failed runs just it; a rerun of the range leaves
// the destination identical.
func TestBackfillPostgres(t *testing.T) {
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
	exec(`DROP TABLE IF EXISTS bf_src, bf_dst`)
	exec(`CREATE TABLE bf_src (id bigint PRIMARY KEY, dt date NOT NULL, v text)`)
	exec(`INSERT INTO bf_src SELECT g, date '2026-11-01' + (g % 14), 'row ' || g FROM generate_series(1, 1400) g`)
	exec(`CREATE TABLE bf_dst (id bigint PRIMARY KEY, dt date NOT NULL, v text)`)
	// An old, wrong version of one day that the backfill must replace.
	exec(`INSERT INTO bf_dst VALUES (999999, '2026-11-03', 'stale')`)
	checksum := func(tbl string) string {
		var n int64
		var h string
		require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(id || dt::text || v, ',' ORDER BY id)), '') FROM %s`, tbl)).Scan(&n, &h))
		return fmt.Sprintf("%d:%s", n, h)
	}

	from := dsn + "&table=bf_src&where=" + urlq("dt = '${yyyy-mm-dd}'")
	to := dsn + "&table=bf_dst&mode=partition-overwrite&partition=" + urlq("dt = '${yyyy-mm-dd}'")
	var running, peak atomic.Int64
	var failDay atomic.Value
	failDay.Store("20261105")
	run := func(ctx context.Context, in backfill.Instance, limits *ferry.Limits) (*ferry.Summary, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if in.Key == failDay.Load().(string) {
			return nil, errors.New("source not ready")
		}
		f, err := schedparam.Resolve(from, in.Cycle, nil)
		if err != nil {
			return nil, err
		}
		w, err := schedparam.Resolve(to, in.Cycle, nil)
		if err != nil {
			return nil, err
		}
		r, err := ferry.OpenReader(ctx, f)
		if err != nil {
			return nil, err
		}
		wr, err := ferry.OpenWriter(ctx, w)
		if err != nil {
			r.Close()
			return nil, err
		}
		time.Sleep(20 * time.Millisecond) // let instances overlap
		return ferry.New(r, wr, &ferry.Options{Concurrency: 1, SharedLimits: limits}).Run(ctx)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	b := &backfill.Backfill{From: date(t, "20261101"), To: date(t, "20261114"), Parallel: 3, Run: run, StateFile: state, Limits: ferry.NewLimits(0, 0)}

	rep, err := b.Execute(ctx)
	require.ErrorIs(t, err, backfill.ErrFailed)
	require.Equal(t, []string{"20261105"}, rep.Failed())
	require.Len(t, rep.Results, 14)
	require.EqualValues(t, 3, peak.Load(), "three instances at a time")
	table := rep.Table()
	require.Contains(t, table, "20261105         2026-11-06 00:00:00 failed")
	require.Contains(t, table, "14 instances: 13 ok, 1 failed, 0 skipped; 1300 rows written")
	var stale int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM bf_dst WHERE v = 'stale'`).Scan(&stale))
	require.Zero(t, stale, "partition-overwrite replaced the stale day")

	failDay.Store("none")
	b.OnlyFailed = true
	rep, err = b.Execute(ctx)
	require.NoError(t, err)
	var ran []string
	for _, r := range rep.Results {
		if r.Status != backfill.StatusSkipped {
			ran = append(ran, r.Key)
		}
	}
	require.Equal(t, []string{"20261105"}, ran)
	require.Equal(t, checksum("bf_src"), checksum("bf_dst"))

	// A rerun of the whole range changes nothing.
	b.OnlyFailed = false
	before := checksum("bf_dst")
	rep, err = b.Execute(ctx)
	require.NoError(t, err)
	require.Contains(t, rep.Table(), "14 instances: 14 ok, 0 failed, 0 skipped; 1400 rows written")
	require.Equal(t, before, checksum("bf_dst"))
}

func urlq(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D", " ", "%20", "'", "%27", "+", "%2B", "#", "%23")
	return r.Replace(s)
}
