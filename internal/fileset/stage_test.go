package fileset

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
)

var lineSchema = arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)

func lineOutput(t testing.TB, path string, mode ferry.WriteMode) *Output {
	t.Helper()
	o, err := NewOutput(OutputConfig{Pkg: "t", Path: path, Ext: ".txt", Mode: mode,
		NewEncoder: func(w io.Writer, _ *arrow.Schema) (Encoder, error) { return lineEnc{w}, nil }})
	require.NoError(t, err)
	return o
}

func ints(mem memory.Allocator, vs ...int64) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vs, nil)
	a := b.NewArray()
	defer a.Release()
	return array.NewRecordBatch(lineSchema, []arrow.Array{a}, int64(len(vs)))
}

// writeSplit copies one split: rows vs, closed (marked) unless discard.
func writeSplit(t testing.TB, o *Output, id string, discard bool, vs ...int64) {
	t.Helper()
	ctx := context.Background()
	sw, err := o.OpenSplit(ctx, id)
	require.NoError(t, err)
	b := ints(memory.DefaultAllocator, vs...)
	defer b.Release()
	require.NoError(t, sw.Write(ctx, b))
	if discard {
		require.NoError(t, sw.Discard(ctx))
		return
	}
	require.NoError(t, sw.Close(ctx))
}

// readOut returns the lines of the output at path (a file or a directory of
// parts, read as the readers do), sorted; nil when there is no output.
func readOut(t testing.TB, path string) []string {
	t.Helper()
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		return nil
	}
	files, err := Expand(path, ".txt")
	require.NoError(t, err)
	var lines []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		lines = append(lines, strings.Fields(string(b))...)
	}
	slices.Sort(lines)
	return lines
}

func stages(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), StagePrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestStagedProtocol: two writer instances (stand-ins for two processes)
// on one stage copy different splits, one split is copied twice, an
// abandoned and a discarded attempt do not count, the old output stays
// until Commit, Commit switches in one step and twice is fine, Status and
// Outputs tell what happened, and the finished stage is collectable.
func TestStagedProtocol(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	require.NoError(t, os.WriteFile(target, []byte("100\n"), 0o644))
	run := ferry.NewRunID()

	w1 := lineOutput(t, target, ferry.ModeOverwrite)
	w2 := lineOutput(t, target, ferry.ModeOverwrite)
	require.NoError(t, w1.PrepareStage(ctx, run, lineSchema))
	require.NoError(t, w2.PrepareStage(ctx, run, lineSchema), "attach")
	require.NoError(t, w1.PrepareStage(ctx, run, lineSchema), "again")

	writeSplit(t, w1, "a", false, 1, 2)
	writeSplit(t, w2, "b", false, 30, 31) // a first attempt at b
	writeSplit(t, w1, "b", false, 3)      // replaces it
	writeSplit(t, w2, "d", true, 4)       // discarded
	abandoned, err := w2.OpenSplit(ctx, "c")
	require.NoError(t, err)
	b := ints(memory.DefaultAllocator, 5)
	require.NoError(t, abandoned.Write(ctx, b))
	b.Release()

	st, err := w2.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, ferry.StageStatus{Done: []ferry.SplitMark{{Split: "a", Rows: 2}, {Split: "b", Rows: 1}}}, st)
	require.Equal(t, []string{"100"}, readOut(t, target), "nothing visible before Commit")

	require.NoError(t, w2.Commit(ctx))
	require.Equal(t, []string{"1", "2", "3"}, readOut(t, target))
	require.NoError(t, w1.Commit(ctx), "Commit twice")
	require.NoError(t, w2.Commit(ctx))
	require.Equal(t, []string{"1", "2", "3"}, readOut(t, target))
	st, err = w1.Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Committed)
	require.Len(t, w2.Outputs(), 2)
	for _, f := range w2.Outputs() {
		require.FileExists(t, f)
	}
	require.ErrorContains(t, w1.Abort(ctx, nil), "already committed")
	_, err = w1.OpenSplit(ctx, "e")
	require.ErrorContains(t, err, "committed")

	// the stage keeps only its markers; a live holder keeps it from gc
	other := lineOutput(t, target, ferry.ModeOverwrite)
	require.NoError(t, other.PrepareStage(ctx, ferry.NewRunID(), lineSchema))
	defer other.Close()
	got, err := other.CollectStages(ctx, 0, false)
	require.NoError(t, err)
	require.Empty(t, got, "held by w1 and w2")
	w1.Close()
	w2.Close()
	got, err = other.CollectStages(ctx, 0, true)
	require.NoError(t, err)
	require.Len(t, got, 1, "dry run lists it")
	got, err = other.CollectStages(ctx, 0, false)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, StagePrefix+"out.txt."+run)}, got)
	require.Len(t, stages(t, dir), 1, "only other's own stage")
}

// TestAbortFromAnotherInstance: Abort by an attached instance drops the
// stage's data, keeps the target and refuses a later attach.
func TestAbortFromAnotherInstance(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	require.NoError(t, os.WriteFile(target, []byte("100\n"), 0o644))
	run := ferry.NewRunID()
	w1 := lineOutput(t, target, ferry.ModeOverwrite)
	defer w1.Close()
	require.NoError(t, w1.PrepareStage(ctx, run, lineSchema))
	writeSplit(t, w1, "a", false, 1)
	w2 := lineOutput(t, target, ferry.ModeOverwrite)
	defer w2.Close()
	require.NoError(t, w2.PrepareStage(ctx, run, lineSchema))
	require.NoError(t, w2.Abort(ctx, nil))
	st, err := w1.Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Aborted)
	require.ErrorContains(t, w1.Commit(ctx), "aborted")
	require.Equal(t, []string{"100"}, readOut(t, target))
	es, _ := os.ReadDir(filepath.Join(dir, StagePrefix+"out.txt."+run))
	for _, e := range es {
		require.False(t, strings.HasPrefix(e.Name(), dataPrefix), "data file %s left", e.Name())
	}
	w3 := lineOutput(t, target, ferry.ModeOverwrite)
	require.ErrorContains(t, w3.PrepareStage(ctx, run, lineSchema), "aborted")
	w4 := lineOutput(t, target, ferry.ModeInsert)
	require.ErrorContains(t, w4.PrepareStage(ctx, run, lineSchema), "another configuration")
}

// TestStaleStagesCleanedAtStart: a new run removes the unheld stages of
// killed runs older than StaleAge, never one a live process holds nor a
// young one.
func TestStaleStagesCleanedAtStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	killed := lineOutput(t, target, ferry.ModeOverwrite)
	require.NoError(t, killed.PrepareStage(ctx, "r1", lineSchema))
	writeSplit(t, killed, "a", false, 1)
	killed.Close() // as a kill would: stage left, lock released
	live := lineOutput(t, target, ferry.ModeOverwrite)
	require.NoError(t, live.PrepareStage(ctx, "r2", lineSchema))
	defer live.Close()
	require.Len(t, stages(t, dir), 2, "young stages are kept")

	o, err := NewOutput(OutputConfig{Pkg: "t", Path: target, Ext: ".txt", Mode: ferry.ModeOverwrite, StaleAge: time.Nanosecond,
		NewEncoder: func(w io.Writer, _ *arrow.Schema) (Encoder, error) { return lineEnc{w}, nil }})
	require.NoError(t, err)
	require.NoError(t, o.PrepareStage(ctx, "r3", lineSchema))
	defer o.Close()
	require.ElementsMatch(t, []string{StagePrefix + "out.txt.r2", StagePrefix + "out.txt.r3"}, stages(t, dir), "r1 collected, r2 held")
}

// TestInsertRefusesAndEmptyOutput: insert never replaces a file (at
// Prepare, and at Commit when the file appeared meanwhile); a run without
// rows writes one empty file.
func TestInsertRefusesAndEmptyOutput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	o := lineOutput(t, target, ferry.ModeInsert)
	require.NoError(t, o.PrepareStage(ctx, "r1", lineSchema))
	writeSplit(t, o, "a", false, 1)
	require.NoError(t, os.WriteFile(target, []byte("mine\n"), 0o644))
	require.ErrorContains(t, o.Commit(ctx), "already exists")
	require.Equal(t, []string{"mine"}, readOut(t, target))
	require.NoError(t, o.Abort(ctx, nil))
	o.Close()
	require.ErrorContains(t, lineOutput(t, target, ferry.ModeInsert).PrepareStage(ctx, "r2", lineSchema), "already exists")

	empty := filepath.Join(dir, "empty.txt")
	e := lineOutput(t, empty, ferry.ModeInsert)
	require.NoError(t, e.Prepare(ctx, lineSchema))
	require.NoError(t, e.Commit(ctx))
	require.NoError(t, e.Close())
	st, err := os.Stat(empty)
	require.NoError(t, err)
	require.Zero(t, st.Size())
	require.Empty(t, stages(t, dir)[1:], "Prepare's stages are removed at Close")
}

// killChild is the child process of TestKillDuringOverwrite: it copies
// splits s1 and s2 of run $FILESET_RUN into $FILESET_TARGET (skipping those
// Status shows done, as a resuming driver does) with two writer instances
// and commits, unless $FILESET_ABORT is set.
func killChild(t *testing.T) {
	ctx := context.Background()
	forceNoExchange = os.Getenv("FILESET_NOEXCHANGE") == "1"
	target, run := os.Getenv("FILESET_TARGET"), os.Getenv("FILESET_RUN")
	w1 := lineOutput(t, target, ferry.ModeOverwrite)
	w2 := lineOutput(t, target, ferry.ModeOverwrite)
	require.NoError(t, w1.PrepareStage(ctx, run, lineSchema))
	require.NoError(t, w2.PrepareStage(ctx, run, lineSchema))
	if os.Getenv("FILESET_ABORT") == "1" {
		require.NoError(t, w2.Abort(ctx, nil))
		return
	}
	st, err := w1.Status(ctx)
	require.NoError(t, err)
	done := map[string]bool{}
	for _, m := range st.Done {
		done[m.Split] = true
	}
	if !st.Committed {
		if !done["s1"] {
			writeSplit(t, w1, "s1", false, 1, 2)
		}
		if !done["s2"] {
			writeSplit(t, w2, "s2", false, 3)
		}
	}
	require.NoError(t, w2.Commit(ctx))
}

func runChild(t *testing.T, target, run, point string, env ...string) (killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringOverwrite$")
	cmd.Env = append(os.Environ(), "FILESET_CHILD=1", "FILESET_TARGET="+target, "FILESET_RUN="+run)
	cmd.Env = append(cmd.Env, env...)
	if point != "" {
		cmd.Env = append(cmd.Env, crashpoint.Env+"="+point)
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return false
	}
	ee, ok := err.(*exec.ExitError)
	require.True(t, ok, "child: %v\n%s", err, out)
	ws := ee.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child failed: %v\n%s", err, out)
	return true
}

// TestKillDuringOverwrite kills a real process (this test binary
// re-executed) at each crash point of a 2-split overwrite of an earlier
// single-file output, and checks that the target holds the old output or
// the whole new one, never neither (but in the documented window of the
// two-rename fallback) nor half; that a rerun of the same run converges to
// the new output, leaving only the stage's markers; and that an Abort
// after the kill puts the old output back.
func TestKillDuringOverwrite(t *testing.T) {
	if os.Getenv("FILESET_CHILD") == "1" {
		killChild(t)
		return
	}
	old, want := []string{"100", "101"}, []string{"1", "2", "3"}
	cases := []struct {
		point      string
		noExchange bool
		after      string // "old", "new" or "none"
	}{
		{"fileset.split.before-mark@1", false, "old"},
		{"fileset.split.before-mark@2", false, "old"},
		{"fileset.split.after-mark@2", false, "old"},
		{"fileset.commit.before-plan", false, "old"},
		{"fileset.commit.switch", false, "old"},
		{"fileset.commit.after-switch", false, "new"},
		{"fileset.commit.switch", true, "old"},
		{"fileset.commit.between-renames", true, "none"},
		{"fileset.commit.after-switch", true, "new"},
	}
	for _, tc := range cases {
		for _, abort := range []bool{false, true} {
			name := fmt.Sprintf("%s/noexchange=%v/abort=%v", tc.point, tc.noExchange, abort)
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				target := filepath.Join(dir, "out.txt")
				require.NoError(t, os.WriteFile(target, []byte("100\n101\n"), 0o644))
				run := "r" + strconv.FormatInt(time.Now().UnixNano(), 36)
				var env []string
				if tc.noExchange {
					env = append(env, "FILESET_NOEXCHANGE=1")
				}
				require.True(t, runChild(t, target, run, tc.point, env...), "not killed at %s", tc.point)
				switch got := readOut(t, target); tc.after {
				case "old":
					require.Equal(t, old, got)
				case "new":
					require.Equal(t, want, got)
				case "none":
					require.Nil(t, got)
					require.DirExists(t, filepath.Join(dir, StagePrefix+"out.txt."+run), "the old output waits in the stage")
				}
				if abort {
					if tc.after == "new" {
						return // committed: nothing to abort
					}
					require.False(t, runChild(t, target, run, "", append(env, "FILESET_ABORT=1")...))
					require.Equal(t, old, readOut(t, target), "abort puts the old output back")
					return
				}
				require.False(t, runChild(t, target, run, "", env...), "rerun")
				require.Equal(t, want, readOut(t, target))
				es, err := os.ReadDir(filepath.Join(dir, StagePrefix+"out.txt."+run))
				require.NoError(t, err)
				for _, e := range es {
					n := e.Name()
					require.True(t, n == stageInfo || n == stageLock || n == stagePlan || n == stageDone || strings.HasPrefix(n, markPrefix), "left in the stage: %s", n)
				}
				entries, _ := os.ReadDir(dir)
				require.Len(t, entries, 2, "the output and the stage only")
			})
		}
	}
}
