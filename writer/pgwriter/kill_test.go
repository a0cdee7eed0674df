package pgwriter_test

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"slices"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// killSplits are the run the kill tests copy: 3 splits of 3 batches of
// 1000 rows (ids 2001..11000).
func killSplits(mem memory.Allocator) map[string][]arrow.RecordBatch {
	out := map[string][]arrow.RecordBatch{}
	id := int64(2001)
	for s := 1; s <= 3; s++ {
		name := fmt.Sprintf("s%d", s)
		for b := 0; b < 3; b++ {
			out[name] = append(out[name], batch(mem, seq(id, id+1000), "new "+name, "20250726"))
			id += 1000
		}
	}
	return out
}

// runKillChild is the child process: it copies the run and commits, and is
// killed by its crash point on the way.
func runKillChild(t *testing.T) {
	ctx := context.Background()
	tbl, run, mode := os.Getenv("PGKILL_TABLE"), os.Getenv("PGKILL_RUN"), ferry.WriteMode(os.Getenv("PGKILL_MODE"))
	splits := killSplits(memory.DefaultAllocator)
	w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.PrepareStage(ctx, run, splits["s1"][0].Schema()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		copySplit(t, w, s, splits[s]...)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	t.Fatal("the child was not killed")
}

// TestKill kills a real process (this test binary, re-executed) at exact
// points of a staged run, in insert (into a non-empty table: rows moved),
// overwrite (stage swapped in) and upsert: the destination holds exactly
// its old rows afterwards, the stage is left with the splits that were
// done, and a new process resumes the run (copying only the missing
// splits) to the exact result, or CollectStages drops the stage.
func TestKill(t *testing.T) {
	if os.Getenv("PGKILL_CHILD") == "1" {
		runKillChild(t)
		return
	}
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	splits := killSplits(mem)
	defer func() {
		for _, bs := range splits {
			for _, b := range bs {
				b.Release()
			}
		}
	}()
	for _, mode := range []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert} {
		for _, tc := range []struct {
			point string
			done  []string // splits marked when the process died
		}{
			{"pgwriter.write@3", nil},                              // the 3rd Write: inside split s1
			{"pgwriter.write@5", []string{"s1"}},                   // inside split s2
			{"pgwriter.split-commit@2", []string{"s1"}},            // s2's rows sent, its marker and COMMIT not
			{"pgwriter.commit", []string{"s1", "s2", "s3"}},        // Commit's entry
			{"pgwriter.commit-inside", []string{"s1", "s2", "s3"}}, // rows moved or swapped, COMMIT not sent
		} {
			t.Run(string(mode)+"/"+tc.point, func(t *testing.T) {
				tbl := tableName(t, "t")
				oldRows(t, tbl)
				exec(t, "CREATE TABLE "+tbl+"_before AS SELECT * FROM "+tbl)
				t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+tbl+"_before") })
				run := ferry.NewRunID()
				cmd := osexec.Command(os.Args[0], "-test.run=^TestKill$")
				cmd.Env = append(os.Environ(), "PGKILL_CHILD=1", "PGKILL_TABLE="+tbl, "PGKILL_RUN="+run, "PGKILL_MODE="+string(mode), crashpoint.Env+"="+tc.point)
				out, err := cmd.CombinedOutput()
				ee, ok := err.(*osexec.ExitError)
				if !ok || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("child was not killed at %s: %v\n%s", tc.point, err, out)
				}
				// the destination is exactly as it was
				sameRows(t, tbl, tbl+"_before")
				// the stage is left, with the splits that were done
				if n := count(t, "SELECT count(*) FROM pg_class WHERE relname IN ($1, $2)", tbl+"_ferry_"+run, tbl+"_ferry_"+run+"_m"); n != 2 {
					t.Errorf("%d of the stage's 2 tables left, want both", n)
				}
				w := stagedWriter(t, tbl, mode, run, splits["s1"][0].Schema(), nil)
				st := marks(t, w)
				if got := doneSplits(st); !slices.Equal(got, tc.done) || st.Committed {
					t.Fatalf("status after the kill %+v, want done %v, not committed", st, tc.done)
				}
				if mode == ferry.ModeUpsert {
					// no resume: the collector drops the killed run's stage
					gc, _ := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: tbl})
					defer gc.Close()
					w.Close() // the resumer gives up: its lock goes
					got, err := gc.CollectStages(ctx, 0, false)
					if err != nil || len(got) != 1 {
						t.Fatalf("CollectStages = %v, %v; want the killed run's stage", got, err)
					}
					if n := count(t, "SELECT count(*) FROM pg_class WHERE relname LIKE $1", tbl+`\_ferry\_%`); n != 0 {
						t.Errorf("%d stage tables left after the collection", n)
					}
					sameRows(t, tbl, tbl+"_before")
					return
				}
				// resume in a new process: copy what is not done, commit
				for _, s := range []string{"s1", "s2", "s3"} {
					if !slices.Contains(tc.done, s) {
						copySplit(t, w, s, splits[s]...)
					}
				}
				if err := w.Commit(ctx); err != nil {
					t.Fatalf("Commit of the resumed run: %v", err)
				}
				wantOld := int64(1000)
				if mode == ferry.ModeOverwrite {
					wantOld = 0
				}
				if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str LIKE 'old%'"); n != wantOld {
					t.Errorf("%d old rows after the resume, want %d", n, wantOld)
				}
				for _, s := range []string{"s1", "s2", "s3"} {
					if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = $1", "new "+s); n != 3000 {
						t.Errorf("%d rows of %s after the resume, want 3000 (exactly once)", n, s)
					}
				}
				if n := count(t, "SELECT count(*) FROM pg_class WHERE relname = $1", tbl+"_ferry_"+run); n != 0 {
					t.Errorf("the rows table of the stage is left after the commit")
				}
			})
		}
	}
}
