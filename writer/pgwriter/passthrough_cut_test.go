package pgwriter_test

import (
	"context"
	"os"
	osexec "os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// readCutProxy returns the test server's URL through a proxy that cuts
// each connection that has sent the client more than after bytes (a COPY
// TO stream: the catalog queries are far smaller) mid-stream, up to max
// connections, counted in cuts.
func readCutProxy(t *testing.T, after, max int64, cuts *atomic.Int64) string {
	return cutAfterProxy(t, after, max, false, cuts)
}

// cutAfterProxy is readCutProxy, or with up the same for what the client
// sends the server (a COPY FROM stream).
func cutAfterProxy(t *testing.T, after, max int64, up bool, cuts *atomic.Int64) string {
	return testenv.ProxiedURL(t, testenv.PostgresURL(), "5432", testenv.CutAfter(after, max, up, cuts))
}

// cutTables returns a source of every built-in type with about 12 MB of
// tuples, and a name for the target; both are dropped at the end.
func cutTables(t *testing.T) (src, dst string) {
	src, dst = tableName(t, "src"), tableName(t, "dst")
	t.Cleanup(func() { connect(t).Exec(context.Background(), "DROP TABLE IF EXISTS "+src+", "+dst) })
	builtinTable(t, src)
	exec(t, "INSERT INTO "+src+" (id, t) SELECT g, repeat('y', 200) FROM generate_series(10000, 60000) g")
	return src, dst
}

// TestPassthroughReadCut cuts the reader's connection in the middle of a
// split's COPY stream (a server restart, a network fault) during a
// passthrough run: the reader reports it as retryable, the split's attempt
// in the stage is discarded (insert stages too) and the split is read
// again, and the target gets every row once, also when batches of the cut
// attempt were written. When every attempt is cut, the run fails with the
// connection's error and the target keeps exactly its old rows.
func TestPassthroughReadCut(t *testing.T) {
	ctx := context.Background()
	src, dst := cutTables(t)
	for _, tc := range []struct {
		name    string
		mode    ferry.WriteMode
		workers int
		after   int64 // bytes of the stream before the cut
		cuts    int64 // connections cut
		decoded bool  // NoPassthrough
		wantErr bool
	}{
		{name: "decoded, overwrite retries the split", mode: ferry.ModeOverwrite, workers: 2, after: 1 << 20, cuts: 1, decoded: true},
		{name: "overwrite retries the split", mode: ferry.ModeOverwrite, workers: 2, after: 1 << 20, cuts: 1},
		{name: "insert retries a split cut after batches were written", mode: ferry.ModeInsert, workers: 1, after: 6 << 20, cuts: 1},
		{name: "every attempt cut: the run fails, target unchanged", mode: ferry.ModeInsert, workers: 1, after: 6 << 20, cuts: 1000, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(t, "DROP TABLE IF EXISTS "+dst)
			exec(t, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)")
			exec(t, "INSERT INTO "+dst+" (id, t) VALUES (-1, 'old'), (-2, 'old')")
			var cuts atomic.Int64
			r, err := pgreader.Open(ctx, pgreader.Config{ConnString: readCutProxy(t, tc.after, tc.cuts, &cuts), Table: src})
			if err != nil {
				t.Fatal(err)
			}
			w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: dst, Mode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			opts := &ferry.Options{Concurrency: tc.workers, BatchRows: 2000, NoPassthrough: tc.decoded,
				Retry: ferry.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}}
			sum, err := ferry.New(r, w, opts).Run(ctx)
			if want := min(tc.cuts, 3); cuts.Load() < want {
				t.Fatalf("the proxy cut %d connections, want %d (a stream shorter than the cut?)", cuts.Load(), want)
			}
			if sum.Passthrough == tc.decoded {
				t.Errorf("Passthrough %v", sum.Passthrough)
			}
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "pgreader") {
					t.Fatalf("err %v (retries %d, %d rows in the target), want the reader's connection error", err, sum.Retries, count(t, "SELECT count(*) FROM "+dst))
				}
				if n := count(t, "SELECT count(*) FROM "+dst); n != 2 {
					t.Fatalf("%d rows in the target, want its 2 old ones", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Retries == 0 {
				t.Error("no retry counted")
			}
			if n := count(t, "SELECT count(*) FROM "+dst+" WHERE id < 0"); tc.mode == ferry.ModeInsert && n != 2 {
				t.Errorf("%d old rows after the insert, want 2", n)
			}
			exec(t, "DELETE FROM "+dst+" WHERE id < 0")
			sameRows(t, src, dst)
		})
	}
}

// TestWriteCut cuts a writer connection in the middle of a split's COPY
// FROM stream (on both paths): the attempt's transaction dies with it, the
// split is copied again on a new connection, and the target gets every row
// once.
func TestWriteCut(t *testing.T) {
	ctx := context.Background()
	src, dst := cutTables(t)
	for _, tc := range []struct {
		name    string
		mode    ferry.WriteMode
		decoded bool
	}{
		{name: "overwrite", mode: ferry.ModeOverwrite},
		{name: "insert", mode: ferry.ModeInsert},
		{name: "insert, decoded", mode: ferry.ModeInsert, decoded: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(t, "DROP TABLE IF EXISTS "+dst)
			exec(t, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)")
			var cuts atomic.Int64
			r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src})
			if err != nil {
				t.Fatal(err)
			}
			w, err := pgwriter.New(pgwriter.Config{ConnString: cutAfterProxy(t, 2<<20, 1, true, &cuts), Table: dst, Mode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2, NoPassthrough: tc.decoded}).Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cuts.Load() < 1 {
				t.Fatal("the proxy cut no connection")
			}
			if sum.Passthrough == tc.decoded || sum.Retries == 0 {
				t.Errorf("Passthrough %v, %d retries", sum.Passthrough, sum.Retries)
			}
			sameRows(t, src, dst)
		})
	}
}

// TestPassthroughKilled kills the process (SIGKILL) during a staged
// passthrough run, at a split's third write and at the final commit into
// the target: the target keeps exactly its old rows, and a rerun copies
// every row once.
func TestPassthroughKilled(t *testing.T) {
	if os.Getenv("PGPASS_CHILD") == "1" {
		_, err := directRun(t, os.Getenv("PGPASS_SRC"), os.Getenv("PGPASS_DST"), ferry.ModeOverwrite, ferry.Options{Concurrency: 2, BatchRows: 2000}, nil)
		t.Fatalf("the child was not killed: %v", err)
	}
	src, dst := cutTables(t)
	for _, point := range []string{"pgwriter.write@3", "pgwriter.commit"} {
		t.Run(point, func(t *testing.T) {
			exec(t, "DROP TABLE IF EXISTS "+dst)
			exec(t, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)")
			exec(t, "INSERT INTO "+dst+" (id, t) VALUES (-1, 'old'), (-2, 'old')")
			cmd := osexec.Command(os.Args[0], "-test.run=^TestPassthroughKilled$")
			cmd.Env = append(os.Environ(), "PGPASS_CHILD=1", "PGPASS_SRC="+src, "PGPASS_DST="+dst, crashpoint.Env+"="+point)
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*osexec.ExitError)
			if !ok || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed at %s: %v\n%s", point, err, out)
			}
			if n := count(t, "SELECT count(*) FROM "+dst); n != 2 {
				t.Fatalf("%d rows after the kill, want the 2 old ones", n)
			}
			sum, err := directRun(t, src, dst, ferry.ModeOverwrite, ferry.Options{Concurrency: 2}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Passthrough {
				t.Error("the rerun did not pass the tuples through")
			}
			sameRows(t, src, dst)
		})
	}
}
