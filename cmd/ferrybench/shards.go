package main

// The sharded case (issue 12): the 2M rows of orders_src cut into 16 tables
// over two MySQL databases (benchshard_a.orders_00..07,
// benchshard_b.orders_08..15, by id % 16), copied into one PostgreSQL table
// through sqlshard with the same workers as the one-table "ferry insert"
// case of group my2pg, and verified against orders_src.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/sqlshard"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

func init() {
	register(benchCase{Group: "my2pg", Name: "ferry insert, 16 shards in 2 databases", Setup: mySetup, Run: myShardsFerry})
}

var shardsReady bool

// myShardSetup creates the 16 shard tables once (when missing or of the
// wrong size).
func myShardSetup(ctx context.Context, env *benchEnv) error {
	if shardsReady {
		return nil
	}
	db, err := myOpen(env, "")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(table_rows), -1) FROM information_schema.tables WHERE table_schema IN ('benchshard_a', 'benchshard_b')").Scan(&n); err == nil && n > 0 {
		var exact int64
		var parts []string
		for i := range 16 {
			parts = append(parts, fmt.Sprintf("(SELECT COUNT(*) FROM %s)", shardTable(i)))
		}
		if err := db.QueryRowContext(ctx, "SELECT "+strings.Join(parts, "+")).Scan(&exact); err == nil && exact == env.Rows {
			shardsReady = true
			return nil
		}
	}
	fmt.Fprintf(os.Stderr, "  creating 16 shard tables from orders_src\n")
	for _, d := range []string{"benchshard_a", "benchshard_b"} {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+d+" CHARACTER SET utf8mb4"); err != nil {
			return err
		}
	}
	for i := range 16 {
		t := shardTable(i)
		for _, q := range []string{"DROP TABLE IF EXISTS " + t, myOrdersDDL(t),
			fmt.Sprintf("INSERT INTO %s SELECT * FROM orders_src WHERE id %% 16 = %d", t, i)} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	shardsReady = true
	return nil
}

func shardTable(i int) string {
	d := "benchshard_a"
	if i >= 8 {
		d = "benchshard_b"
	}
	return fmt.Sprintf("%s.orders_%02d", d, i)
}

func myShardsFerry(ctx context.Context, env *benchEnv) (caseResult, error) {
	if err := myShardSetup(ctx, env); err != nil {
		return caseResult{}, err
	}
	workers := env.curWorkers
	dst := fmt.Sprintf("orders_dst_ferry_shards_%d_%d", workers, os.Getpid())
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	defer pgDrop(env, dst)
	// Each shard asked for max(1, workers/16) splits: a shard is one split.
	from := addParam(env.MyURL, "table=benchshard_a.orders_[00-07],benchshard_b.orders_[08-15]&splitPk=id&timeZone=UTC")
	wcfg, err := pgwriter.ParseConfig(addParam(env.PGURL, "table="+dst+"&mode="+string(ferry.ModeInsert)))
	if err != nil {
		return caseResult{}, err
	}
	// Timed like the one-table case: from after the reader is open (16
	// readers, each reading its table's columns) to the commit; the open
	// time is printed.
	o0 := time.Now()
	r, err := sqlshard.OpenReader(ctx, from, &sqlshard.Options{MaxPerSource: max(1, workers)})
	if err != nil {
		return caseResult{}, err
	}
	fmt.Fprintf(os.Stderr, "  16 shard readers opened in %s\n", time.Since(o0).Round(time.Millisecond))
	t0 := time.Now()
	w, err := pgwriter.New(wcfg)
	if err != nil {
		r.Close()
		return caseResult{}, err
	}
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: workers}).Run(ctx)
	elapsed := time.Since(t0)
	if err != nil {
		return caseResult{}, err
	}
	n, err := pgVerifyAgainstMy(ctx, env, dst)
	if err != nil {
		return caseResult{}, err
	}
	if n != sum.RowsWritten {
		return caseResult{}, fmt.Errorf("summary says %d rows written, table has %d", sum.RowsWritten, n)
	}
	return caseResult{Rows: n, Bytes: mySourceBytes(ctx, env), Verified: "count+checksum", Elapsed: elapsed}, nil
}
