package pgwriter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// stagedWriter opens a writer on table and prepares (or attaches to) run.
func stagedWriter(t *testing.T, table string, mode ferry.WriteMode, run string, sc *arrow.Schema, extra func(*pgwriter.Config)) *pgwriter.Writer {
	t.Helper()
	cfg := pgwriter.Config{ConnString: connString(), Table: table, Mode: mode}
	if mode == ferry.ModePartitionOverwrite {
		cfg.Partition = "biz_date = '20250726'"
	}
	if extra != nil {
		extra(&cfg)
	}
	w, err := pgwriter.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.PrepareStage(context.Background(), run, sc); err != nil {
		t.Fatalf("PrepareStage(%s): %v", run, err)
	}
	return w
}

func copySplit(t *testing.T, w *pgwriter.Writer, split string, bs ...arrow.RecordBatch) {
	t.Helper()
	ctx := context.Background()
	sw, err := w.OpenSplit(ctx, split)
	if err != nil {
		t.Fatalf("OpenSplit(%s): %v", split, err)
	}
	for _, b := range bs {
		if err := sw.Write(ctx, b); err != nil {
			t.Fatalf("split %s: Write: %v", split, err)
		}
	}
	if err := sw.Close(ctx); err != nil {
		t.Fatalf("split %s: Close: %v", split, err)
	}
}

func marks(t *testing.T, w *pgwriter.Writer) ferry.StageStatus {
	t.Helper()
	st, err := w.Status(context.Background())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return st
}

func doneSplits(st ferry.StageStatus) []string {
	var out []string
	for _, m := range st.Done {
		out = append(out, m.Split)
	}
	return out
}

// TestStagedProtocol runs the staged protocol in every mode: two writer
// instances (stand-ins for two processes) copy different splits into one
// stage, one split is copied twice, an abandoned attempt whose connection is
// killed does not count, nothing is visible before Commit, Commit twice is
// one commit and Status reports it afterwards.
func TestStagedProtocol(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, mode := range []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace, ferry.ModePartitionOverwrite} {
		t.Run(string(mode), func(t *testing.T) {
			tbl := tableName(t, "t")
			oldRows(t, tbl) // ids 1..1000, 'old'
			exec(t, "CREATE TABLE "+tbl+"_before AS SELECT * FROM "+tbl)
			t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+tbl+"_before") })
			s1 := batch(mem, seq(2001, 3001), "s1", "20250726")
			defer s1.Release()
			s2a := batch(mem, seq(3001, 4001), "s2 first", "20250726")
			defer s2a.Release()
			s2b := batch(mem, seq(3001, 4001), "s2", "20250726")
			defer s2b.Release()
			s3 := batch(mem, seq(4001, 5001), "s3", "20250726")
			defer s3.Release()
			run := ferry.NewRunID()
			a := stagedWriter(t, tbl, mode, run, s1.Schema(), func(c *pgwriter.Config) {
				c.ConnString = dsn("application_name=ferry_stage_a")
			})
			b := stagedWriter(t, tbl, mode, run, s1.Schema(), nil)
			copySplit(t, a, "s1", s1)
			copySplit(t, b, "s2", s2a)
			copySplit(t, a, "s2", s2b) // copied again, by the other process: replaces
			// an attempt at s3 abandoned with its connection killed
			dead, err := a.OpenSplit(ctx, "s3")
			if err != nil {
				t.Fatal(err)
			}
			if err := dead.Write(ctx, s3); err != nil {
				t.Fatal(err)
			}
			if n := count(t, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'ferry_stage_a' AND state = 'idle in transaction'"); n != 1 {
				t.Fatalf("killed %d backends, want the abandoned attempt's", n)
			}
			if got := doneSplits(marks(t, b)); !slices.Equal(got, []string{"s1", "s2"}) {
				t.Fatalf("done %v, want [s1 s2]", got)
			}
			// a discarded attempt does not count either
			disc, err := b.OpenSplit(ctx, "s3")
			if err != nil {
				t.Fatal(err)
			}
			if err := disc.Write(ctx, s3); err != nil {
				t.Fatal(err)
			}
			if err := disc.Discard(ctx); err != nil {
				t.Fatal(err)
			}
			copySplit(t, b, "s3", s3)
			st := marks(t, a)
			if got := doneSplits(st); !slices.Equal(got, []string{"s1", "s2", "s3"}) || st.Committed {
				t.Fatalf("status %+v, want s1..s3 done, not committed", st)
			}
			for _, m := range st.Done {
				if m.Rows != 1000 {
					t.Errorf("split %s marked with %d rows, want 1000", m.Split, m.Rows)
				}
			}
			// nothing is visible before the commit
			sameRows(t, tbl, tbl+"_before")
			// a third process that only attached commits, twice
			c := stagedWriter(t, tbl, mode, run, s1.Schema(), nil)
			if err := c.Commit(ctx); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if err := c.Commit(ctx); err != nil {
				t.Fatalf("second Commit: %v", err)
			}
			if err := a.Commit(ctx); err != nil {
				t.Fatalf("Commit in another process after the commit: %v", err)
			}
			if st := marks(t, b); !st.Committed || len(st.Done) != 3 {
				t.Errorf("status after commit %+v, want committed with 3 splits", st)
			}
			if err := b.Abort(ctx, errors.New("late")); err == nil {
				t.Error("Abort after Commit succeeded")
			}
			wantOld := int64(1000)
			switch mode {
			case ferry.ModeOverwrite:
				wantOld = 0
			case ferry.ModePartitionOverwrite:
				wantOld = 1000 // none of the old rows is of 20250726
			}
			if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'old'"); n != wantOld {
				t.Errorf("%d old rows, want %d", n, wantOld)
			}
			for _, s := range []string{"s1", "s2", "s3"} {
				if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = $1", s); n != 1000 {
					t.Errorf("%d rows of %s, want 1000", n, s)
				}
			}
			if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 's2 first'"); n != 0 {
				t.Errorf("%d rows of the replaced attempt", n)
			}
			// the rows table is gone; the record stays for Status
			if n := count(t, "SELECT count(*) FROM pg_class WHERE relname LIKE $1 AND relkind = 'r'", tbl+`\_ferry\_`+run); n != 0 {
				t.Errorf("the stage's rows table is left after the commit")
			}
		})
	}
}

// TestStagedAbort: Abort from a process that only attached drops the
// stage, Status says aborted, and the target is as it was.
func TestStagedAbort(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	oldRows(t, tbl)
	b1 := batch(mem, seq(2001, 3001), "new", "x")
	defer b1.Release()
	run := ferry.NewRunID()
	a := stagedWriter(t, tbl, ferry.ModeOverwrite, run, b1.Schema(), nil)
	copySplit(t, a, "s1", b1)
	a.Close()
	b := stagedWriter(t, tbl, ferry.ModeOverwrite, run, b1.Schema(), nil)
	if err := b.Abort(ctx, errors.New("test")); err != nil {
		t.Fatal(err)
	}
	if st := marks(t, b); !st.Aborted || st.Committed {
		t.Errorf("status %+v, want aborted", st)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'old'"); n != 1000 {
		t.Errorf("%d old rows after abort, want 1000", n)
	}
	if err := b.Commit(ctx); err == nil {
		t.Error("Commit of an aborted run succeeded")
	}
	w, _ := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl, Mode: ferry.ModeOverwrite})
	defer w.Close()
	if err := w.PrepareStage(ctx, run, b1.Schema()); err == nil || !strings.Contains(err.Error(), "aborted") {
		t.Errorf("PrepareStage of an aborted run: %v", err)
	}
}

// TestCollectStages: stages of killed runs are found by run ID and age and
// dropped by CollectStages (and at the start of a run once stale), but
// never a stage whose run is live (its lock held).
func TestCollectStages(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	oldRows(t, tbl)
	b1 := batch(mem, seq(2001, 2101), "new", "x")
	defer b1.Release()
	live := stagedWriter(t, tbl, ferry.ModeInsert, "collect_live", b1.Schema(), func(c *pgwriter.Config) { c.StaleAfter = -1 })
	copySplit(t, live, "s1", b1)
	killed := stagedWriter(t, tbl, ferry.ModeInsert, "collect_killed", b1.Schema(), func(c *pgwriter.Config) { c.StaleAfter = -1 })
	copySplit(t, killed, "s1", b1)
	killed.Close() // the process dies: its lock goes with its connection

	// spelled another way than the runs spelled it: the same table
	gc, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: "public." + tbl})
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	if got, err := gc.CollectStages(ctx, time.Hour, false); err != nil || len(got) != 0 {
		t.Fatalf("CollectStages(1h) = %v, %v; want nothing (the stages are younger)", got, err)
	}
	got, err := gc.CollectStages(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`"public"."` + tbl + `_ferry_collect_killed"`}
	if !slices.Equal(got, want) {
		t.Fatalf("dry run %v, want %v", got, want)
	}
	if n := count(t, "SELECT count(*) FROM pg_class WHERE relname = $1", tbl+"_ferry_collect_killed"); n != 1 {
		t.Fatal("a dry run dropped the stage")
	}
	if got, err := gc.CollectStages(ctx, 0, false); err != nil || !slices.Equal(got, want) {
		t.Fatalf("CollectStages = %v, %v; want %v", got, err, want)
	}
	if n := count(t, "SELECT count(*) FROM pg_class WHERE relname LIKE $1", tbl+`\_ferry\_collect\_killed%`); n != 0 {
		t.Errorf("%d tables of the killed run left", n)
	}
	// the live run is untouched and commits
	if err := live.Commit(ctx); err != nil {
		t.Fatalf("the live run's Commit after a collection: %v", err)
	}
	if n := count(t, "SELECT count(*) FROM "+tbl); n != 1100 {
		t.Errorf("%d rows, want 1100", n)
	}
	// a new run drops stale stages of other runs when it starts
	killed2 := stagedWriter(t, tbl, ferry.ModeInsert, "collect_killed2", b1.Schema(), func(c *pgwriter.Config) { c.StaleAfter = -1 })
	killed2.Close()
	time.Sleep(20 * time.Millisecond)
	stagedWriter(t, tbl, ferry.ModeInsert, "collect_next", b1.Schema(), func(c *pgwriter.Config) { c.StaleAfter = time.Millisecond })
	if n := count(t, "SELECT count(*) FROM pg_class WHERE relname LIKE $1", tbl+`\_ferry\_collect\_killed2%`); n != 0 {
		t.Errorf("the stale stage was not dropped at the start of the next run")
	}
}

// TestPrepareChecks: what would fail every row or the Commit fails at
// Prepare, with a clear error.
func TestPrepareChecks(t *testing.T) {
	ctx := context.Background()
	b := batch(memory.DefaultAllocator, []int64{1}, "x", "y") // id, str, biz_date
	defer b.Release()
	for _, tc := range []struct {
		name, ddl string
		mode      ferry.WriteMode
		want      string
	}{
		{"not null without default", "(id bigint PRIMARY KEY, str text, biz_date text, extra int NOT NULL)", ferry.ModeInsert, `"extra" are NOT NULL without a default`},
		{"not null with default is fine", "(id bigint PRIMARY KEY, str text, biz_date text, extra int NOT NULL DEFAULT 0, ident bigint GENERATED ALWAYS AS IDENTITY)", ferry.ModeInsert, ""},
		{"upsert without unique key", "(id bigint, str text, biz_date text)", ferry.ModeUpsert, "needs key columns"},
		{"upsert key not unique", "(id bigint, str text, biz_date text, UNIQUE (id, str))", ferry.ModeUpsert, "needs key columns"},
		{"missing table", "", ferry.ModeInsert, "create=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := tableName(t, "t")
			if tc.ddl != "" {
				exec(t, "CREATE TABLE "+tbl+" "+tc.ddl)
			}
			for _, staged := range []bool{false, true} {
				w := newWriter(t, tbl, tc.mode, nil)
				var err error
				if staged {
					err = w.PrepareStage(ctx, ferry.NewRunID(), b.Schema())
				} else {
					err = w.Prepare(ctx, b.Schema())
				}
				w.Close()
				if tc.want == "" && err != nil {
					t.Errorf("staged=%v: %v", staged, err)
				}
				if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
					t.Errorf("staged=%v: %v, want an error containing %q", staged, err, tc.want)
				}
			}
		})
	}
	// with key= naming the non-unique column set explicitly
	tbl := tableName(t, "k")
	exec(t, "CREATE TABLE "+tbl+" (id bigint, str text, biz_date text, UNIQUE (id, str))")
	w, _ := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl, Mode: ferry.ModeUpsert, Key: []string{"id"}})
	defer w.Close()
	if err := w.Prepare(ctx, b.Schema()); err == nil || !strings.Contains(err.Error(), "no unique index") {
		t.Errorf("upsert on key id without a unique index on it: %v", err)
	}
	w2, _ := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl, Mode: ferry.ModeUpsert, Key: []string{"str", "id"}})
	defer w2.Close()
	if err := w2.Prepare(ctx, b.Schema()); err != nil {
		t.Errorf("upsert on the unique (id, str): %v", err)
	}
}
