package pgwriter_test

import (
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/quality"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// directRun copies src into dst through the Pipeline with one worker and
// the checked allocator, as `ferry sync` would.
func directRun(t *testing.T, src, dst string, mode ferry.WriteMode, opts ferry.Options, cfg func(*pgwriter.Config)) (*ferry.Summary, error) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	wc := pgwriter.Config{ConnString: connString(), Table: dst, Mode: mode, Allocator: mem}
	if cfg != nil {
		cfg(&wc)
	}
	w, err := pgwriter.New(wc)
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 1
	}
	return ferry.New(r, w, &opts).Run(ctx)
}

// unchanged checks that dst holds exactly its 3 old rows and no stage
// table after what ended the run.
func unchanged(t *testing.T, dst, after string) {
	t.Helper()
	if n := count(t, "SELECT count(*) FROM "+dst+" WHERE str = 'old'"); n != 3 {
		t.Errorf("%d old rows after %s, want the 3 it had", n, after)
	}
	if n := count(t, "SELECT count(*) FROM "+dst); n != 3 {
		t.Errorf("%d rows after %s, want the 3 old ones", n, after)
	}
	if n := stageTables(t, dst); n != 0 {
		t.Errorf("%d stage tables after %s", n, after)
	}
}

// failOnBatch makes the run's batches 2 rows each and fails the nth batch
// in a transformer (after earlier batches were written), retryably if
// retry.
func failOnBatch(o *ferry.Options, n int, retry bool) {
	o.BatchRows = 2
	seen := 0
	o.Transformers = []ferry.Transformer{ferry.TransformFunc(func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		if seen++; seen == n {
			err := errors.New("boom")
			if retry {
				err = ferry.Retryable(err)
			}
			return nil, err
		}
		b.Retain()
		return b, nil
	})}
}

// stageTables counts the relations of stages on table (a staged run leaves
// its marker table as a tombstone; a direct run creates none).
func stageTables(t *testing.T, table string) int64 {
	return count(t, `SELECT count(*) FROM pg_class WHERE relname LIKE $1`, table+`\_ferry\_%`)
}

// TestDirect runs small syncs that skip the stage (ferry.DirectWriter) and
// the cases that must stage instead: the rows, the stage tables (none when
// direct), failures that leave the target as it was, dirty rows, checks
// and postSql inside the one transaction.
func TestDirect(t *testing.T) {
	type tc struct {
		name    string
		mode    ferry.WriteMode
		srcRows int    // rows 1..srcRows (ids), str "new"
		setup   string // SQL run after the tables exist ({src}, {dst})
		opts    func(*ferry.Options, string)
		cfg     func(*pgwriter.Config)
		direct  bool
		wantErr string // substring; the target must then hold its old rows
		want    string // the rows of dst afterwards: "old+new", "new", "empty"
		check   func(t *testing.T, dst string, sum *ferry.Summary)
	}
	cases := []tc{
		{name: "insert", mode: ferry.ModeInsert, srcRows: 10, direct: true, want: "old+new"},
		{name: "overwrite", mode: ferry.ModeOverwrite, srcRows: 10, direct: true, want: "new"},
		{name: "overwrite empty source", mode: ferry.ModeOverwrite, srcRows: 0, direct: true, want: "empty"},
		{name: "insert empty source", mode: ferry.ModeInsert, srcRows: 0, direct: true, want: "old+new"},
		{name: "overwrite referenced by a foreign key", mode: ferry.ModeOverwrite, srcRows: 10,
			setup: "CREATE TABLE {dst}_child (id bigint REFERENCES {dst} (id))", want: "new"},
		{name: "large source stages", mode: ferry.ModeOverwrite, srcRows: 20000, setup: "ANALYZE {src}", want: "new"},
		{name: "checkpoint stages", mode: ferry.ModeInsert, srcRows: 10, want: "old+new",
			opts: func(o *ferry.Options, _ string) { o.Checkpoint = t.TempDir() }},
		{name: "upsert stages", mode: ferry.ModeUpsert, srcRows: 10, want: "old+new"},
		{name: "dirty row tolerated", mode: ferry.ModeOverwrite, srcRows: 10, direct: true,
			setup: "ALTER TABLE {dst} ADD CHECK (id <> 7)", want: "new-but-7",
			opts: func(o *ferry.Options, _ string) { o.Dirty = dirty.Policy{Mode: dirty.Tolerate, MaxRows: 1} },
			check: func(t *testing.T, _ string, sum *ferry.Summary) {
				if sum.RowsDirty != 1 || sum.RowsWritten != 9 {
					t.Errorf("rows dirty %d, written %d; want 1, 9", sum.RowsDirty, sum.RowsWritten)
				}
			}},
		{name: "dirty row fails the overwrite", mode: ferry.ModeOverwrite, srcRows: 10, direct: true,
			setup: "ALTER TABLE {dst} ADD CHECK (id <> 7)", wantErr: "dirty"},
		{name: "failing check rolls back", mode: ferry.ModeOverwrite, srcRows: 10, direct: true, wantErr: "no_seven",
			opts: func(o *ferry.Options, dst string) {
				o.Checks = []ferry.Check{quality.SQL(quality.Blocking, "no_seven", "SELECT id FROM {table} WHERE id = 7")}
			}},
		{name: "check sees the new rows", mode: ferry.ModeInsert, srcRows: 10, direct: true, want: "old+new",
			opts: func(o *ferry.Options, dst string) {
				// the old rows have ids 1001..1003: a check that they are
				// there and the new ones too, inside the transaction
				o.Checks = []ferry.Check{quality.SQL(quality.Blocking, "both",
					"SELECT 1 WHERE (SELECT count(*) FROM {table}) <> 13")}
			}},
		{name: "postSql in the transaction", mode: ferry.ModeOverwrite, srcRows: 10, direct: true, want: "new",
			cfg: func(c *pgwriter.Config) { c.PostSQL = []string{"UPDATE " + c.Table + " SET str = 'post' WHERE id = 1"} },
			check: func(t *testing.T, dst string, _ *ferry.Summary) {
				if n := count(t, "SELECT count(*) FROM "+dst+" WHERE str = 'post'"); n != 1 {
					t.Errorf("postSql changed %d rows, want 1", n)
				}
			}},
		{name: "failure after rows were written rolls back", mode: ferry.ModeOverwrite, srcRows: 10, direct: true, wantErr: "boom",
			opts: func(o *ferry.Options, _ string) { failOnBatch(o, 3, false) }},
		{name: "retryable transform error retries its batch", mode: ferry.ModeInsert, srcRows: 10, direct: true, want: "old+new",
			opts: func(o *ferry.Options, _ string) { failOnBatch(o, 3, true) }},
		{name: "failing postSql rolls back", mode: ferry.ModeOverwrite, srcRows: 10, direct: true, wantErr: "postSql",
			cfg: func(c *pgwriter.Config) { c.PostSQL = []string{"SELECT 1/0"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, dst := tableName(t, "src"), tableName(t, "dst")
			exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text)")
			exec(t, "INSERT INTO "+src+" SELECT g, 'new' FROM generate_series(1, $1::int) g", c.srcRows)
			exec(t, "CREATE TABLE "+dst+" (id bigint PRIMARY KEY, str text)")
			exec(t, "INSERT INTO "+dst+" SELECT g, 'old' FROM generate_series(1001, 1003) g")
			if c.setup != "" {
				exec(t, strings.NewReplacer("{src}", src, "{dst}", dst).Replace(c.setup))
				t.Cleanup(func() { connect(t).Exec(context.Background(), "DROP TABLE IF EXISTS "+dst+"_child") })
			}
			var opts ferry.Options
			if c.opts != nil {
				c.opts(&opts, dst)
			}
			sum, err := directRun(t, src, dst, c.mode, opts, c.cfg)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, c.wantErr)
				}
				unchanged(t, dst, "the failed run")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			old, fresh := count(t, "SELECT count(*) FROM "+dst+" WHERE str = 'old'"), count(t, "SELECT count(*) FROM "+dst+" WHERE id <= $1", c.srcRows)
			want := map[string][2]int64{"old+new": {3, int64(c.srcRows)}, "new": {0, int64(c.srcRows)}, "empty": {0, 0}, "new-but-7": {0, int64(c.srcRows) - 1}}[c.want]
			if old != want[0] || fresh != want[1] {
				t.Errorf("%d old and %d new rows, want %v", old, fresh, want)
			}
			if sum.RowsWritten != want[1] && c.check == nil {
				t.Errorf("summary: %d rows written, want %d", sum.RowsWritten, want[1])
			}
			n := stageTables(t, dst)
			if c.direct && n != 0 {
				t.Errorf("%d stage tables: the run was staged, want direct", n)
			}
			if c.check != nil {
				c.check(t, dst, sum)
			}
		})
	}
}

// TestDirectStagesWhenStaged: a run that stages leaves its marker table (a
// tombstone); the same small run through Run without a checkpoint leaves
// none. This pins that the direct cases above really took the other path.
func TestDirectStagesWhenStaged(t *testing.T) {
	src, dst := tableName(t, "src"), tableName(t, "dst")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new' FROM generate_series(1, 10) g")
	exec(t, "CREATE TABLE "+dst+" (id bigint PRIMARY KEY, str text)")
	if _, err := directRun(t, src, dst, ferry.ModeOverwrite, ferry.Options{Checkpoint: t.TempDir()}, nil); err != nil {
		t.Fatal(err)
	}
	if n := stageTables(t, dst); n == 0 {
		t.Fatal("a checkpointed run left no stage tombstone: cannot tell staged runs from direct ones")
	}
}

// TestDirectKilled kills a process inside a direct run's commit (rows
// written, COMMIT not sent): the target keeps exactly its old rows, no
// stage is left, and the next run takes the target's lock at once.
func TestDirectKilled(t *testing.T) {
	if os.Getenv("PGDIRECT_CHILD") == "1" {
		_, err := directRun(t, os.Getenv("PGDIRECT_SRC"), os.Getenv("PGDIRECT_DST"), ferry.ModeOverwrite, ferry.Options{}, nil)
		t.Fatalf("the child was not killed: %v", err)
	}
	src, dst := tableName(t, "src"), tableName(t, "dst")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new' FROM generate_series(1, 10) g")
	exec(t, "CREATE TABLE "+dst+" (id bigint PRIMARY KEY, str text)")
	exec(t, "INSERT INTO "+dst+" SELECT g, 'old' FROM generate_series(1001, 1003) g")
	cmd := osexec.Command(os.Args[0], "-test.run=^TestDirectKilled$")
	cmd.Env = append(os.Environ(), "PGDIRECT_CHILD=1", "PGDIRECT_SRC="+src, "PGDIRECT_DST="+dst, crashpoint.Env+"=pgwriter.direct-commit")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*osexec.ExitError)
	if !ok || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed at pgwriter.direct-commit: %v\n%s", err, out)
	}
	unchanged(t, dst, "the kill")
	// the killed session's TRUNCATE lock is gone with it: a new run commits
	if _, err := directRun(t, src, dst, ferry.ModeOverwrite, ferry.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "SELECT count(*) FROM "+dst+" WHERE str = 'new'"); n != 10 {
		t.Errorf("%d new rows after the rerun, want 10", n)
	}
}

// TestDirectCommitLost: a direct run whose writer connection dies with its
// COMMIT unsent fails saying the outcome is unknown, and the target keeps
// its old rows (the server rolls the transaction back).
func TestDirectCommitLost(t *testing.T) {
	src, dst := tableName(t, "src"), tableName(t, "dst")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new' FROM generate_series(1, 10) g")
	exec(t, "CREATE TABLE "+dst+" (id bigint PRIMARY KEY, str text)")
	exec(t, "INSERT INTO "+dst+" SELECT g, 'old' FROM generate_series(1001, 1003) g")
	proxy := cutProxy(t, false)
	_, err := directRun(t, src, dst, ferry.ModeOverwrite, ferry.Options{}, func(c *pgwriter.Config) { c.ConnString = proxy })
	if err == nil || !strings.Contains(err.Error(), "no marker tells") {
		t.Fatalf("err = %v, want the direct run's lost COMMIT named", err)
	}
	unchanged(t, dst, "the lost COMMIT")
}

// TestDirectQuotedName: a direct overwrite into a table whose name holds a
// quote and a dot writes that table and no other.
func TestDirectQuotedName(t *testing.T) {
	src := tableName(t, "src")
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, str text)")
	exec(t, "INSERT INTO "+src+" SELECT g, 'new' FROM generate_series(1, 10) g")
	exec(t, `DROP TABLE IF EXISTS "we""ird.t"`)
	exec(t, `CREATE TABLE "we""ird.t" (id bigint PRIMARY KEY, str text)`)
	t.Cleanup(func() { connect(t).Exec(context.Background(), `DROP TABLE IF EXISTS "we""ird.t"`) })
	exec(t, `INSERT INTO "we""ird.t" VALUES (1001, 'old')`)
	if _, err := directRun(t, src, `"we""ird.t"`, ferry.ModeOverwrite, ferry.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM "we""ird.t" WHERE str = 'new'`); n != 10 {
		t.Errorf("%d new rows, want 10", n)
	}
	if n := count(t, `SELECT count(*) FROM "we""ird.t"`); n != 10 {
		t.Errorf("%d rows, want the 10 new ones", n)
	}
	if n := count(t, `SELECT count(*) FROM pg_class WHERE relname LIKE 'we"ird.t\_ferry\_%'`); n != 0 {
		t.Errorf("%d stage tables: the run was staged, want direct", n)
	}
}
