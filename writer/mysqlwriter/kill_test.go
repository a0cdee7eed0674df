package mysqlwriter_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

var killSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)

// killSplits are the splits a kill test's run copies: a holds ids 1..300
// in 3 batches, b ids 301..500 in 2.
var killSplits = []struct {
	id     string
	lo, hi int64
}{{"a", 1, 301}, {"b", 301, 501}}

func killBatch(mem memory.Allocator, lo, hi int64) arrow.RecordBatch {
	rb := array.NewRecordBuilder(mem, killSchema)
	defer rb.Release()
	for i := lo; i < hi; i++ {
		rb.Field(0).(*array.Int64Builder).Append(i)
		rb.Field(1).(*array.StringBuilder).Append("new")
	}
	return rb.NewRecordBatch()
}

// copyKillSplit copies one split in batches of 100 rows.
func copyKillSplit(ctx context.Context, w *mysqlwriter.Writer, id string, lo, hi int64) error {
	sw, err := w.OpenSplit(ctx, id)
	if err != nil {
		return err
	}
	for b := lo; b < hi; b += 100 {
		rec := killBatch(memory.DefaultAllocator, b, min(b+100, hi))
		err := sw.Write(ctx, rec)
		rec.Release()
		if err != nil {
			sw.Discard(ctx)
			return err
		}
	}
	return sw.Close(ctx)
}

// killChild is the process that gets killed: it runs the run
// MYSQLWRITER_KILL_RUN (or, with MYSQLWRITER_KILL_ONESHOT, a one-process
// run through Prepare/Open) into MYSQLWRITER_KILL_URL and prints its run ID.
func killChild() error {
	ctx := context.Background()
	cfg, err := mysqlwriter.ParseConfig(os.Getenv("MYSQLWRITER_KILL_URL"))
	if err != nil {
		return err
	}
	w, err := mysqlwriter.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if os.Getenv("MYSQLWRITER_KILL_ONESHOT") == "1" {
		err = w.Prepare(ctx, killSchema)
	} else {
		err = w.PrepareStage(ctx, os.Getenv("MYSQLWRITER_KILL_RUN"), killSchema)
	}
	if err != nil {
		return err
	}
	fmt.Println("run", w.RunID())
	for _, s := range killSplits {
		if err := copyKillSplit(ctx, w, s.id, s.lo, s.hi); err != nil {
			return err
		}
	}
	return w.Commit(ctx)
}

func TestKillChild(t *testing.T) {
	if os.Getenv("MYSQLWRITER_KILL_CHILD") != "1" {
		t.Skip("the process TestKill starts and kills")
	}
	if err := killChild(); err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	fmt.Println("done")
}

// runKilled runs the child armed at point and returns the run ID it
// printed; the child must die of SIGKILL.
func runKilled(t *testing.T, urlstr, runID, point string, oneShot bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MYSQLWRITER_KILL_CHILD=1", "MYSQLWRITER_KILL_URL="+urlstr, "MYSQLWRITER_KILL_RUN="+runID, crashpoint.Env+"="+point)
	if oneShot {
		cmd.Env = append(cmd.Env, "MYSQLWRITER_KILL_ONESHOT=1")
	}
	out, err := cmd.Output()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "child did not die at %s: %v, output %q", point, err, out)
	ws := ee.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child ended with %v at %s, output %q", ee, point, out)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "run "); ok {
			return id
		}
	}
	t.Fatalf("child printed no run ID: %q", out)
	return ""
}

// waitUnlocked waits for the server to notice the killed child's
// connections are gone (its run lock is then free).
func waitUnlocked(t *testing.T, runID string) {
	t.Helper()
	db, _ := testDB(t)
	for i := 0; i < 200; i++ {
		var used any
		require.NoError(t, db.QueryRow("SELECT IS_USED_LOCK(?)", "ferry_"+runID).Scan(&used))
		if used == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the lock of run %s is still held", runID)
}

func stageTables(t *testing.T, runID string) []string {
	return query(t, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_ferry\\_"+runID+"\\_%' ORDER BY 1")
}

// TestKill kills a real process at exact points of a run (the 3rd Write of a
// split, a split's commit, Commit's entry, inside the commit transaction,
// between the overwrite's RENAME and DROP), then checks what the
// destination holds and what is left, resumes the run from another process
// (Status, the missing splits, Commit) and collects what remains.
func TestKill(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	for _, c := range []struct {
		point   string
		mode    ferry.WriteMode
		done    []string // splits marked after the kill
		swapped bool     // the kill came after the swap
		empty   bool     // the target starts empty (insert then swaps too)
	}{
		{"mysqlwriter.write3", ferry.ModeInsert, nil, false, false},
		{"mysqlwriter.split_commit@2", ferry.ModeInsert, []string{"a"}, false, false},
		{"mysqlwriter.commit", ferry.ModeOverwrite, []string{"a", "b"}, false, false},
		{"mysqlwriter.commit_tx", ferry.ModeUpsert, []string{"a", "b"}, false, false},
		{"mysqlwriter.commit_tx", ferry.ModeInsert, []string{"a", "b"}, false, false},
		{"mysqlwriter.swap", ferry.ModeOverwrite, []string{"a", "b"}, true, false},
		{"mysqlwriter.swap", ferry.ModeInsert, []string{"a", "b"}, true, true},
		{"mysqlwriter.commit", ferry.ModeInsert, []string{"a", "b"}, false, true},
	} {
		name := c.point + "/" + string(c.mode)
		if c.empty {
			name += "/empty"
		}
		t.Run(name, func(t *testing.T) {
			dst := uniqueName("ferry_wkill")
			_, err := db.Exec("CREATE TABLE " + dst + " (id BIGINT PRIMARY KEY, v VARCHAR(10))")
			require.NoError(t, err)
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
			oldRows := "(1000, 'old'), (1001, 'old')"
			if c.mode == ferry.ModeUpsert {
				oldRows = "(1, 'old'), (2, 'old'), (1000, 'old')" // 1 and 2 are updated
			}
			if !c.empty {
				_, err = db.Exec("INSERT INTO " + dst + " VALUES " + oldRows)
				require.NoError(t, err)
			}
			old := query(t, "SELECT id, v FROM "+dst+" ORDER BY id")
			urlstr := base + "?table=" + dst + "&mode=" + string(c.mode)
			runID := ferry.NewRunID()
			runKilled(t, urlstr, runID, c.point, false)
			waitUnlocked(t, runID)

			// What the kill left: the target as it was (or, after the
			// swap, the new rows), and the run's stage.
			if c.swapped {
				require.Equal(t, []string{"500"}, query(t, "SELECT COUNT(*) FROM "+dst))
				require.Equal(t, []string{"_ferry_" + runID + "_m", "_ferry_" + runID + "_o"}, stageTables(t, runID))
				if c.empty {
					// A concurrent writer's row landed in the old table during
					// the swap: the resumed Commit copies it back.
					_, err := db.Exec("INSERT INTO _ferry_" + runID + "_o VALUES (1000, 'old'), (1001, 'old')")
					require.NoError(t, err)
				}
			} else {
				require.Equal(t, old, query(t, "SELECT id, v FROM "+dst+" ORDER BY id"))
				require.Equal(t, []string{"_ferry_" + runID + "_m", "_ferry_" + runID + "_s"}, stageTables(t, runID))
			}

			// Resume from another process.
			w := openWriter(t, ctx, urlstr)
			require.NoError(t, w.PrepareStage(ctx, runID, killSchema))
			st, err := w.Status(ctx)
			require.NoError(t, err)
			var done []string
			for _, m := range st.Done {
				done = append(done, m.Split)
			}
			require.Equal(t, c.done, done)
			require.Equal(t, c.swapped, st.Committed)
			if !st.Committed {
				for _, s := range killSplits {
					if !containsString(done, s.id) {
						require.NoError(t, copyKillSplit(ctx, w, s.id, s.lo, s.hi))
					}
				}
			}
			require.NoError(t, w.Commit(ctx))
			require.NoError(t, w.Commit(ctx), "Commit twice")
			st, err = w.Status(ctx)
			require.NoError(t, err)
			require.True(t, st.Committed)
			require.NoError(t, w.Close())

			// Exactly the run's rows, once, and the old rows the mode keeps.
			want := []string{"500", "1000|old", "1001|old"}
			switch {
			case c.empty && !c.swapped:
				want = []string{"500"}
			}
			switch c.mode {
			case ferry.ModeOverwrite:
				want = []string{"500"}
			case ferry.ModeUpsert:
				want = []string{"500", "1000|old"}
			}
			got := append(query(t, "SELECT COUNT(*) FROM "+dst+" WHERE v = 'new' AND id BETWEEN 1 AND 500"), query(t, "SELECT id, v FROM "+dst+" WHERE v <> 'new' ORDER BY id")...)
			require.Equal(t, want, got, "after the resume")
			require.Equal(t, []string{"0"}, query(t, "SELECT COUNT(*) FROM (SELECT id FROM "+dst+" GROUP BY id HAVING COUNT(*) > 1) d"))

			// Only the marker table is left; a collector takes it.
			require.Equal(t, []string{"_ferry_" + runID + "_m"}, stageTables(t, runID))
			gc := openWriter(t, ctx, urlstr)
			names, err := gc.CollectStages(ctx, 0, true)
			require.NoError(t, err)
			require.Contains(t, names, "_ferry_"+runID+"_m")
			_, err = gc.CollectStages(ctx, 0, false)
			require.NoError(t, err)
			require.Empty(t, stageTables(t, runID))
		})
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestLeftovers: a killed one-process run's stage is dropped when the next
// run on the target starts, and the rerun converges; a killed staged run's
// stage is kept for its resume until it is older than staleAge; a live
// run's stage is never collected.
func TestLeftovers(t *testing.T) {
	db, base := testDB(t)
	ctx := context.Background()
	dst := uniqueName("ferry_wleft")
	_, err := db.Exec("CREATE TABLE " + dst + " (id BIGINT PRIMARY KEY, v VARCHAR(10))")
	require.NoError(t, err)
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + dst) })
	urlstr := base + "?table=" + dst
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	all := killBatch(mem, 1, 501)
	defer all.Release()

	killed := runKilled(t, urlstr, "", "mysqlwriter.write3", true)
	waitUnlocked(t, killed)
	require.Len(t, stageTables(t, killed), 2)
	staged := ferry.NewRunID()
	runKilled(t, urlstr, staged, "mysqlwriter.write3", false)
	waitUnlocked(t, staged)

	live := openWriter(t, ctx, urlstr)
	liveRun := ferry.NewRunID()
	require.NoError(t, live.PrepareStage(ctx, liveRun, killSchema))

	_, err = run(t, ctx, urlstr, all) // the rerun
	require.NoError(t, err)
	require.Equal(t, []string{"500"}, query(t, "SELECT COUNT(*) FROM "+dst))
	require.Empty(t, stageTables(t, killed), "a dead one-process run's stage is dropped by the next run")
	require.Len(t, stageTables(t, staged), 2, "a young staged run's stage waits for its resume")
	require.Len(t, stageTables(t, liveRun), 2)

	gc := openWriter(t, ctx, urlstr+"&staleAge=1ns")
	names, err := gc.CollectStages(ctx, time.Hour, false)
	require.NoError(t, err)
	require.Empty(t, names, "younger than minAge")
	names, err = gc.CollectStages(ctx, 0, false)
	require.NoError(t, err)
	require.Equal(t, []string{"_ferry_" + staged + "_s", "_ferry_" + staged + "_m"}, names)
	require.Len(t, stageTables(t, liveRun), 2, "a live run's stage is never collected")
	require.NoError(t, live.Abort(ctx, errors.New("test")))
	require.NoError(t, live.Close())
	names, err = gc.CollectStages(ctx, 0, false)
	require.NoError(t, err)
	require.Equal(t, []string{"_ferry_" + liveRun + "_m"}, names, "an aborted run's marker")
}
