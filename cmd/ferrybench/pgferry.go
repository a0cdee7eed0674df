package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// The Ferry PG→PG cases; each runs once per worker count of -workers.
func init() {
	register(benchCase{Group: "pg2pg", Name: "ferry insert", Setup: pgSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
		return pgFerryAll(ctx, env, ferry.ModeInsert)
	}})
	register(benchCase{Group: "pg2pg", Name: "ferry insert decoded", Setup: pgSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
		return pgFerryOpts(ctx, env, ferry.ModeInsert, env.curWorkers, "", ferry.Options{NoPassthrough: true})
	}})
	register(benchCase{Group: "pg2pg", Name: "ferry insert conns=1", Setup: pgSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
		return pgFerry(ctx, env, ferry.ModeInsert, env.curWorkers, "&conns=1")
	}})
	register(benchCase{Group: "pg2pg", Name: "ferry overwrite", Setup: pgSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
		return pgFerryAll(ctx, env, ferry.ModeOverwrite)
	}})
}

// pgFerryAll runs with the current worker count.
func pgFerryAll(ctx context.Context, env *benchEnv, mode ferry.WriteMode) (caseResult, error) {
	return pgFerry(ctx, env, mode, env.curWorkers, "")
}

func pgFerry(ctx context.Context, env *benchEnv, mode ferry.WriteMode, workers int, extra string) (caseResult, error) {
	return pgFerryOpts(ctx, env, mode, workers, extra, ferry.Options{})
}

// pgFerryOpts is pgFerry with options (NoPassthrough: the decoded path).
func pgFerryOpts(ctx context.Context, env *benchEnv, mode ferry.WriteMode, workers int, extra string, opts ferry.Options) (caseResult, error) {
	dst := fmt.Sprintf("orders_dst_ferry_%s_%d", strings.ReplaceAll(string(mode), "-", "_"), workers)
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	rcfg, err := pgreader.ParseConfig(addParam(env.PGURL, "table=orders_src"))
	if err != nil {
		return caseResult{}, err
	}
	wcfg, err := pgwriter.ParseConfig(addParam(env.PGURL, "table="+dst+"&mode="+string(mode)+extra))
	if err != nil {
		return caseResult{}, err
	}
	t0 := time.Now()
	r, err := pgreader.Open(ctx, rcfg)
	if err != nil {
		return caseResult{}, err
	}
	w, err := pgwriter.New(wcfg)
	if err != nil {
		r.Close()
		return caseResult{}, err
	}
	opts.Concurrency = workers
	sum, err := ferry.New(r, w, &opts).Run(ctx)
	elapsed := time.Since(t0)
	if err != nil {
		return caseResult{}, err
	}
	n, b, err := pgVerify(ctx, env, dst)
	if err != nil {
		return caseResult{}, err
	}
	if n != sum.RowsWritten {
		return caseResult{}, fmt.Errorf("summary says %d rows written, table has %d", sum.RowsWritten, n)
	}
	verified := "count+checksum"
	if sum.Passthrough {
		verified += ", passthrough"
	}
	return caseResult{Rows: n, Bytes: b, Verified: verified, Elapsed: elapsed}, nil
}

func addParam(u, p string) string {
	if strings.Contains(u, "?") {
		return u + "&" + p
	}
	return u + "?" + p
}
