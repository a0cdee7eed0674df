package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The 10-row cases: a whole small sync, process start to exit, which is
// what round trips, connections and start-up cost. The yardstick is the
// binary COPY pipe through two psql processes; Ferry is the `ferry sync`
// command (-ferry, or built from ./cmd/ferry) with its defaults, run
// history included.
const smallRows = 10

func init() {
	register(benchCase{Group: "pg2pg10", Name: "psql COPY binary | psql COPY binary", Pipe: true, Setup: smallSetup, Run: smallPipe})
	for _, mode := range []string{"insert", "overwrite"} {
		register(benchCase{Group: "pg2pg10", Name: "ferry sync " + mode + " (CLI)", Once: true, Setup: smallSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return smallFerry(ctx, env, mode)
		}})
	}
}

// smallSetup makes small10_src (the first rows of orders_src) and the
// ferry binary.
func smallSetup(ctx context.Context, env *benchEnv) error {
	if err := pgSetup(ctx, env); err != nil {
		return err
	}
	if err := pgExec(ctx, env, "DROP TABLE IF EXISTS small10_src", fmt.Sprintf("CREATE TABLE small10_src AS SELECT * FROM orders_src ORDER BY id LIMIT %d", smallRows)); err != nil {
		return err
	}
	if env.Ferry != "" {
		return nil
	}
	if err := os.MkdirAll(env.Dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(env.Dir, "ferry")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ferry").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/ferry (run ferrybench from the module's root, or give -ferry): %v\n%s", err, out)
	}
	env.Ferry = bin
	return nil
}

func smallPipe(ctx context.Context, env *benchEnv) (caseResult, error) {
	const dst = "small10_pipe"
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	elapsed, cpu, err := psqlPipe(ctx, env, "small10_src", dst)
	if err != nil {
		return caseResult{}, err
	}
	return smallVerify(ctx, env, dst, elapsed, cpu)
}

// smallFerry runs `ferry sync` into a fresh target: empty for insert, with
// the rows already there for overwrite (which then replaces them).
func smallFerry(ctx context.Context, env *benchEnv, mode string) (caseResult, error) {
	dst := "small10_dst_" + mode
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	if mode == "overwrite" {
		if err := pgExec(ctx, env, "INSERT INTO "+dst+" SELECT * FROM small10_src"); err != nil {
			return caseResult{}, err
		}
	}
	c0 := childCPU()
	cmd := exec.CommandContext(ctx, env.Ferry, "sync", "-from", addParam(env.PGURL, "table=small10_src"), "-to", addParam(env.PGURL, "table="+dst+"&mode="+mode))
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if out, err := cmd.Output(); err != nil {
		return caseResult{}, fmt.Errorf("ferry sync: %w\n%s", err, out)
	}
	return smallVerify(ctx, env, dst, time.Since(t0), childCPU()-c0)
}

func smallVerify(ctx context.Context, env *benchEnv, dst string, elapsed, cpu time.Duration) (caseResult, error) {
	n, b, err := pgVerifyFrom(ctx, env, "small10_src", dst)
	if err != nil {
		return caseResult{}, err
	}
	if n != smallRows {
		return caseResult{}, fmt.Errorf("%s has %d rows, want %d", dst, n, smallRows)
	}
	return caseResult{Rows: n, Bytes: b, Verified: "count+checksum", ChildCPU: cpu, Elapsed: elapsed}, nil
}
