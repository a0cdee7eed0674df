package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydata/ferry"
	_ "github.com/ferrydata/ferry/reader/pgreader"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
)

// TestStepsInThreeProcesses: one OS process plans a run (and keeps its
// exported snapshot open), two others copy disjoint halves of its splits
// through the public CopySplit step, and a fourth finishes it. The
// destination must equal the source exactly, and nothing may be visible
// before the finish.
func TestStepsInThreeProcesses(t *testing.T) {
	if role := os.Getenv("E2E_ROLE"); role != "" {
		stepChild(t, role)
		return
	}
	e := postgres(t)
	src, dst, want := "e2e_steps_src", "e2e_steps_dst", "e2e_steps_want"
	e.prepare(t, src, dst, want, "overwrite")
	before := e.checksum(t, dst)
	expected := e.checksum(t, want)
	dir := t.TempDir()
	from := e.withParams("table", src, "splitPk", "id", "splits", "8", "batchRows", "1000")
	to := e.withParams("table", dst, "mode", "overwrite")

	child := func(role string, extra ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStepsInThreeProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "E2E_ROLE="+role, "E2E_DIR="+dir, "E2E_FROM="+from, "E2E_TO="+to, "E2E_ARGS="+strings.Join(extra, ","))
		return cmd
	}

	// The planner stays alive (holding the snapshot) until its stdin closes.
	planner := child("plan")
	stdin, err := planner.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var plannerOut strings.Builder
	planner.Stdout, planner.Stderr = &plannerOut, &plannerOut
	if err := planner.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		planner.Wait()
	}()
	planFile := filepath.Join(dir, "plan.json")
	waitFor(t, planFile, &plannerOut)
	var pl ferry.Plan
	readJSON(t, planFile, &pl)
	if len(pl.Splits) < 4 {
		t.Fatalf("plan has %d splits, want several", len(pl.Splits))
	}
	ids := pl.SplitIDs()
	var even, odd []string
	for i, id := range ids {
		if i%2 == 0 {
			even = append(even, id)
		} else {
			odd = append(odd, id)
		}
	}
	a, b := child("copy", "a"), child("copy", "b")
	a.Env = append(a.Env, "E2E_SPLITS="+strings.Join(even, "\x1f"))
	b.Env = append(b.Env, "E2E_SPLITS="+strings.Join(odd, "\x1f"))
	var aOut, bOut strings.Builder
	a.Stdout, a.Stderr, b.Stdout, b.Stderr = &aOut, &aOut, &bOut, &bOut
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(); err != nil {
		t.Fatalf("copier a: %v\n%s", err, aOut.String())
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("copier b: %v\n%s", err, bOut.String())
	}
	if got := e.checksum(t, dst); got != before {
		t.Fatalf("the destination changed before the finish: %+v, want %+v", got, before)
	}
	out, err := child("finish").CombinedOutput()
	if err != nil {
		t.Fatalf("finisher: %v\n%s", err, out)
	}
	if got := e.checksum(t, dst); got != expected {
		t.Fatalf("after the finish the destination is %+v, want %+v\n%s", got, expected, out)
	}
	t.Logf("finisher: %s", strings.TrimSpace(string(out)))
}

func stepChild(t *testing.T, role string) {
	ctx := context.Background()
	dir := os.Getenv("E2E_DIR")
	r, err := ferry.OpenReader(ctx, os.Getenv("E2E_FROM"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ferry.OpenWriter(ctx, os.Getenv("E2E_TO"))
	if err != nil {
		t.Fatal(err)
	}
	p := ferry.New(r, w, &ferry.Options{Concurrency: 2})
	defer p.Close()
	planFile := filepath.Join(dir, "plan.json")
	switch role {
	case "plan":
		pl, err := p.Plan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		writeJSON(t, planFile, pl)
		io.Copy(io.Discard, os.Stdin) // keep the snapshot until the parent is done
	case "copy":
		var pl ferry.Plan
		readJSON(t, planFile, &pl)
		var results []ferry.SplitSummary
		for _, id := range strings.Split(os.Getenv("E2E_SPLITS"), "\x1f") {
			res, err := p.CopySplit(ctx, &pl, id)
			if err != nil {
				t.Fatalf("copy %s: %v", id, err)
			}
			results = append(results, res)
		}
		writeJSON(t, filepath.Join(dir, "results-"+os.Getenv("E2E_ARGS")+".json"), results)
	case "finish":
		var pl ferry.Plan
		readJSON(t, planFile, &pl)
		var results []ferry.SplitSummary
		for _, part := range []string{"a", "b"} {
			var rs []ferry.SplitSummary
			readJSON(t, filepath.Join(dir, "results-"+part+".json"), &rs)
			results = append(results, rs...)
		}
		sum, err := p.Finish(ctx, &pl, results)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed=%v splits=%d rows_written=%d notes=%q\n", sum.Committed, sum.SplitsDone, sum.RowsWritten, sum.Notes)
	default:
		t.Fatalf("unknown role %q", role)
	}
}

func writeJSON(t *testing.T, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, name string, v any) {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// waitFor waits until name exists, failing if it takes more than a minute.
func waitFor(t *testing.T, name string, log fmt.Stringer) {
	t.Helper()
	for i := 0; i < 600; i++ {
		if _, err := os.Stat(name); err == nil {
			return
		}
		sleepMs(100)
	}
	t.Fatalf("%s never appeared\n%s", name, log.String())
}
