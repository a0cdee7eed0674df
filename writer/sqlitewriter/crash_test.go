package sqlitewriter_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// The crash tests run a writer in a child process (this test binary run
// again) that internal/crashpoint kills with SIGKILL at an exact point, then
// check the destination and what is left beside it, and that a rerun is
// never blocked.

const (
	crashEnvPath = "SQLITEWRITER_CRASH_PATH"
	crashEnvMode = "SQLITEWRITER_CRASH_MODE"
	crashEnvHold = "SQLITEWRITER_CRASH_HOLD"
	crashRows    = 2000 // in 4 batches of 500
)

var crashSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "day", Type: arrow.BinaryTypes.String},
	{Name: "v", Type: arrow.BinaryTypes.String},
}, nil)

// crashRun writes ids 51..50+crashRows (day 'new') into table t with mode,
// tolerating dirty rows (insert conflicts with the old ids 51..100).
func crashRun(path string, mode ferry.WriteMode) error {
	ctx := context.Background()
	cfg := sqlitewriter.Config{Path: path, Table: "t", Mode: mode, Key: []string{"id"}}
	if mode == ferry.ModePartitionOverwrite {
		cfg.Partition = "day = 'new'"
	}
	w, err := sqlitewriter.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Prepare(ctx, crashSchema); err != nil {
		return err
	}
	bw, err := w.Open(ctx)
	if err != nil {
		return err
	}
	for b := 0; b < 4; b++ {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, crashSchema)
		for i := 0; i < crashRows/4; i++ {
			id := int64(51 + b*crashRows/4 + i)
			rb.Field(0).(*array.Int64Builder).Append(id)
			rb.Field(1).(*array.StringBuilder).Append("new")
			rb.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("new %d", id))
		}
		rec := rb.NewRecordBatch()
		rb.Release()
		err := bw.Write(ctx, rec)
		rec.Release()
		if err != nil && !dirty.Is(err) {
			w.Abort(ctx, err)
			return err
		}
	}
	if err := bw.Close(ctx); err != nil {
		return err
	}
	return w.Commit(ctx)
}

// seed creates the existing destination: ids 1..100, day 'old'.
func seed(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TABLE t (id INTEGER PRIMARY KEY, day TEXT, v TEXT)`,
		`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) INSERT INTO t SELECT i, 'old', 'old ' || i FROM s`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

// dump is the destination's rows, "" when the file does not exist.
func dump(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var sum, digest string
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(id), 0), coalesce(group_concat(id || ':' || day || ':' || v, ','), '') FROM (SELECT * FROM t ORDER BY id)`).Scan(&n, &sum, &digest); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fmt.Sprintf("%d rows, sum %s, sha256 %x", n, sum, sha256.Sum256([]byte(digest)))
}

// leftovers lists the directory's files other than the destination.
func leftovers(t *testing.T, dir, dest string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != filepath.Base(dest) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestCrashChild is the child: it runs crashRun, or with crashEnvHold
// prepares a new file and waits for stdin to close.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnvPath)
	if path == "" {
		t.Skip("only run as the child of the crash tests")
	}
	if os.Getenv(crashEnvHold) != "" {
		w, err := sqlitewriter.Open(context.Background(), sqlitewriter.Config{Path: path, Table: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Prepare(context.Background(), crashSchema); err != nil {
			t.Fatal(err)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		return
	}
	if err := crashRun(path, ferry.WriteMode(os.Getenv(crashEnvMode))); err != nil {
		t.Fatal(err)
	}
}

func killedAt(t *testing.T, path string, mode ferry.WriteMode, point string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvPath+"="+path, crashEnvMode+"="+string(mode), crashpoint.Env+"="+point)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("child at %s did not die: %v\n%s", point, err, out)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child at %s ended with %v, not SIGKILL\n%s", point, ee, out)
	}
}

// Each mode, an existing and a new destination, killed at every point: before
// the COMMIT the destination is exactly as it was (no file at all for a new
// one), after it exactly what a clean run gives; a rerun is never blocked and
// gives the clean run's result; no temp file outlives the rerun.
func TestKilledRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts about 45 processes")
	}
	modes := []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace, ferry.ModePartitionOverwrite}
	for _, existing := range []bool{true, false} {
		for _, mode := range modes {
			name := fmt.Sprintf("%s/new", mode)
			if existing {
				name = fmt.Sprintf("%s/existing", mode)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				// The clean run's result, from the same start.
				ref := filepath.Join(t.TempDir(), "ref.db")
				if existing {
					seed(t, ref)
				}
				before := dump(t, ref)
				if err := crashRun(ref, mode); err != nil {
					t.Fatal(err)
				}
				want := dump(t, ref)
				points := []string{"sqlitewriter.prepared", "sqlitewriter.write@2", "sqlitewriter.commit", "sqlitewriter.committed"}
				if !existing {
					points = append(points, "sqlitewriter.linked")
				}
				for _, point := range points {
					dir := t.TempDir()
					path := filepath.Join(dir, "dest.db")
					if existing {
						seed(t, path)
					}
					killedAt(t, path, mode, point)
					got := dump(t, path)
					durable := point == "sqlitewriter.linked" || existing && point == "sqlitewriter.committed"
					switch {
					case durable && got != want:
						t.Errorf("killed at %s (after the commit point): destination %s, want %s", point, got, want)
					case !durable && got != before:
						t.Errorf("killed at %s: destination %s, want it as before (%s)", point, got, before)
					}
					left := leftovers(t, dir, path)
					if !existing && (len(left) != 1 || !strings.HasPrefix(left[0], ".dest.db.ferry-") || !strings.HasSuffix(left[0], ".tmp")) {
						// A run killed into a new file leaves its one,
						// recognisable temp file, and nothing else.
						t.Errorf("killed at %s: left %v, want one .dest.db.ferry-<runID>.tmp", point, left)
					}
					if durable {
						// Nothing to redo: the leftovers go with ferry gc.
						w, err := sqlitewriter.Open(context.Background(), sqlitewriter.Config{Path: path, Table: "t"})
						if err != nil {
							t.Fatal(err)
						}
						if _, err := w.CollectStages(context.Background(), 0, false); err != nil {
							t.Fatal(err)
						}
						w.Close()
					} else if err := crashRun(path, mode); err != nil {
						t.Errorf("rerun after a kill at %s: %v", point, err)
					} else if got := dump(t, path); got != want {
						t.Errorf("rerun after a kill at %s: destination %s, want %s", point, got, want)
					}
					for _, l := range leftovers(t, dir, path) {
						if strings.Contains(l, ".ferry-") {
							t.Errorf("killed at %s: %s is still there after the rerun/gc", point, l)
						}
					}
				}
			})
		}
	}
}

// A temp file that a live run (another process) holds is never collected;
// once that process is killed it is.
func TestCollectStagesSparesLiveRuns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvPath+"="+path, crashEnvHold+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q", line)
	}
	ctx := context.Background()
	w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: path, Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got, err := w.CollectStages(ctx, 0, false); err != nil || len(got) != 0 {
		t.Fatalf("collected %v (%v) while the run lives", got, err)
	}
	held := leftovers(t, dir, path)
	if len(held) != 1 || !strings.HasPrefix(held[0], ".live.db.ferry-") || !strings.HasSuffix(held[0], ".tmp") {
		t.Fatalf("the live run's temp file: %v", held)
	}
	// A second run into the same new file is not blocked by the live one,
	// and does not touch its file.
	if err := crashRunNoCrash(t, path); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(leftovers(t, dir, path), held[0]) {
		t.Fatal("a second run removed the live run's temp file")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if got, err := w.CollectStages(ctx, time.Hour, true); err != nil || len(got) != 0 {
		t.Errorf("minAge 1h collected %v (%v)", got, err)
	}
	if got, err := w.CollectStages(ctx, 0, true); err != nil || len(got) != 1 {
		t.Errorf("dry run listed %v (%v), want the dead run's file", got, err)
	}
	if got, err := w.CollectStages(ctx, 0, false); err != nil || len(got) != 1 || filepath.Base(got[0]) != held[0] {
		t.Errorf("collected %v (%v), want %s", got, err, held[0])
	}
	if left := leftovers(t, dir, path); len(left) != 0 {
		t.Errorf("left %v", left)
	}
}

func crashRunNoCrash(t *testing.T, path string) error {
	t.Helper()
	return crashRun(path, ferry.ModeInsert)
}
