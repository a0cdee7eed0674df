package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// The PostgreSQL cases: the binary COPY pipe through two psql processes (as
// shared/bench/limits.sh runs it) and Ferry PG→PG with each worker count.
func init() {
	register(benchCase{
		Group: "pg2pg", Name: "psql COPY binary | psql COPY binary", Pipe: true,
		Setup: pgSetup, Run: pgPipe,
	})
	// The Ferry cases through the Pipeline are in pgferry.go; these drive
	// pgwriter's staged protocol (PrepareStage, OpenSplit per split,
	// Commit), as the engine does for a StageWriter.
	for _, mode := range []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite} {
		register(benchCase{Group: "pg2pg", Name: "ferry staged " + string(mode), Setup: pgSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return pgStaged(ctx, env, mode, env.curWorkers, false)
		}})
	}
	// insert into a table that is not empty: the stage cannot be swapped in,
	// so Commit moves its rows (INSERT ... SELECT), a second pass
	register(benchCase{Group: "pg2pg", Name: "ferry staged insert, non-empty target", Setup: pgSetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
		return pgStaged(ctx, env, ferry.ModeInsert, env.curWorkers, true)
	}})
}

// pgStaged copies orders_src through pgreader and pgwriter's staged
// protocol with workers goroutines, one split at a time each.
func pgStaged(ctx context.Context, env *benchEnv, mode ferry.WriteMode, workers int, nonEmpty bool) (caseResult, error) {
	dst := fmt.Sprintf("orders_dst_staged_%s_%d", mode, workers)
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	if nonEmpty { // one row outside the source's ids, deleted before verifying
		if err := pgExec(ctx, env, "INSERT INTO "+dst+" SELECT * FROM orders_src WHERE id = 1", "UPDATE "+dst+" SET id = -1"); err != nil {
			return caseResult{}, err
		}
	}
	rcfg, err := pgreader.ParseConfig(addParam(env.PGURL, "table=orders_src"))
	if err != nil {
		return caseResult{}, err
	}
	wcfg, err := pgwriter.ParseConfig(addParam(env.PGURL, "table="+dst+"&mode="+string(mode)))
	if err != nil {
		return caseResult{}, err
	}
	t0 := time.Now()
	r, err := pgreader.Open(ctx, rcfg)
	if err != nil {
		return caseResult{}, err
	}
	defer r.Close()
	w, err := pgwriter.New(wcfg)
	if err != nil {
		return caseResult{}, err
	}
	defer w.Close()
	schema, err := r.Schema(ctx)
	if err != nil {
		return caseResult{}, err
	}
	splits, err := r.Splits(ctx, workers)
	if err != nil {
		return caseResult{}, err
	}
	if err := w.PrepareStage(ctx, ferry.NewRunID(), schema); err != nil {
		return caseResult{}, err
	}
	next := make(chan ferry.Split, len(splits))
	for _, sp := range splits {
		next <- sp
	}
	close(next)
	errs := make(chan error, workers)
	var rows atomic.Int64
	for i := 0; i < workers; i++ {
		go func() {
			var err error
			for sp := range next {
				if err = pgCopySplit(ctx, r, w, sp, &rows); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < workers; i++ {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		w.Abort(ctx, err)
		return caseResult{}, err
	}
	if err := w.Commit(ctx); err != nil {
		return caseResult{}, err
	}
	elapsed := time.Since(t0)
	if nonEmpty {
		if err := pgExec(ctx, env, "DELETE FROM "+dst+" WHERE id = -1"); err != nil {
			return caseResult{}, err
		}
	}
	n, b, err := pgVerify(ctx, env, dst)
	if err != nil {
		return caseResult{}, err
	}
	if n != rows.Load() {
		return caseResult{}, fmt.Errorf("wrote %d rows, table has %d", rows.Load(), n)
	}
	return caseResult{Rows: n, Bytes: b, Verified: "count+checksum", Elapsed: elapsed}, nil
}

func pgExec(ctx context.Context, env *benchEnv, stmts ...string) error {
	conn, err := pgConnect(ctx, env)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func pgCopySplit(ctx context.Context, r *pgreader.Reader, w *pgwriter.Writer, sp ferry.Split, rows *atomic.Int64) error {
	rr, err := r.Read(ctx, sp)
	if err != nil {
		return err
	}
	defer rr.Release()
	sw, err := w.OpenSplit(ctx, sp.ID)
	if err != nil {
		return err
	}
	for rr.Next() {
		b := rr.RecordBatch()
		if err := sw.Write(ctx, b); err != nil {
			sw.Discard(ctx)
			return err
		}
		rows.Add(b.NumRows())
	}
	if err := rr.Err(); err != nil {
		sw.Discard(ctx)
		return err
	}
	return sw.Close(ctx)
}

// pgOrdersDDL is shared/bench/common.sh pg_orders_ddl.
func pgOrdersDDL(name string, unlogged bool) string {
	u := ""
	if unlogged {
		u = "UNLOGGED"
	}
	return fmt.Sprintf(`CREATE %s TABLE %s (
  id          bigint PRIMARY KEY,
  customer_id integer NOT NULL,
  amount      numeric(12,2),
  price       double precision,
  status      text NOT NULL,
  note        text,
  created_at  timestamp NOT NULL,
  updated_at  timestamptz NOT NULL,
  ship_date   date,
  is_paid     boolean,
  ref         uuid NOT NULL,
  attrs       jsonb,
  biz_date    text NOT NULL
)`, u, pgx.Identifier{name}.Sanitize())
}

// pgChecksumSQL is shared/bench/common.sh PG_CHECKSUM_SQL.
func pgChecksumSQL(table string) string {
	return `SELECT count(*) AS n, sum(id) AS sum_id, sum(customer_id) AS sum_cust,
  coalesce(sum(amount),0)::numeric(20,2) AS sum_amount, count(note) AS notes, coalesce(sum(length(note)),0) AS note_chars,
  sum(('x'||substr(md5(concat_ws('|', id, customer_id, coalesce(amount::numeric(12,2)::text,'~'),
      coalesce(price::text,'~'), status,
      coalesce(note,'~'), to_char(created_at,'YYYY-MM-DD HH24:MI:SS.US'),
      to_char(updated_at AT TIME ZONE 'UTC','YYYY-MM-DD HH24:MI:SS.US'),
      coalesce(ship_date::text,'~'), coalesce(is_paid::int::text,'~'), ref::text,
      coalesce(attrs::text,'~'), biz_date)),1,8))::bit(32)::bigint) AS row_hash
FROM ` + pgx.Identifier{table}.Sanitize()
}

// pgGenSQL is the PostgreSQL half of shared/bench/gen.sh: deterministic rows
// from hashes of the id.
func pgGenSQL(n int64) []string {
	return []string{
		"DROP TABLE IF EXISTS orders_src",
		strings.Replace(pgOrdersDDL("orders_src", false), " PRIMARY KEY", "", 1),
		fmt.Sprintf(`INSERT INTO orders_src
SELECT g,
       1 + h1 %% 250000,
       CASE WHEN h2 %% 100 = 0 THEN NULL
            WHEN s = 'returned' THEN -round((h3 %% 5000000) / 100.0, 2)
            ELSE round((h3 %% 5000000) / 100.0, 2) END,
       CASE WHEN h2 %% 100 = 1 THEN NULL ELSE (h4 %% 100000000)::float8 / 997 END,
       s,
       CASE WHEN h5 %% 100 < 8 THEN NULL
            ELSE left(CASE h6 %% 50
                  WHEN 0 THEN E'col1\tcol2\t'
                  WHEN 1 THEN E'first line\nsecond line\n'
                  WHEN 2 THEN 'she said "ok", it''s fine; '
                  WHEN 3 THEN 'C:\new\table\N\x5c end\ '
                  WHEN 4 THEN 'café Zürich ß 日本語 😀 ñ '
                  WHEN 5 THEN E'mix\t"q" \\\\n\n''x''\\\\ 😀 '
                  WHEN 6 THEN E'{"json":"like"} [1,2] <b>&amp;</b> '
                  ELSE '' END
                  || substr('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.',
                            1 + (h6 %% 200)::int, 220),
                  20 + (h7 %% 181)::int) END,
       c,
       (c + (h8 %% 864000000000) * interval '1 microsecond') AT TIME ZONE 'UTC',
       CASE WHEN s IN ('new', 'cancelled', 'on_hold') THEN NULL
            ELSE (c + (1 + h8 %% 14) * interval '1 day')::date END,
       CASE WHEN h2 %% 100 = 2 THEN NULL ELSE s IN ('paid', 'shipped', 'delivered') END,
       md5(g::text)::uuid,
       CASE WHEN h5 %% 100 >= 95 THEN NULL
            ELSE jsonb_build_object(
                   'src', (ARRAY['web','app','pos','api'])[1 + (h1 %% 4)::int],
                   'items', 1 + h7 %% 9,
                   'gift', h3 %% 7 = 0,
                   'coupon', CASE WHEN h4 %% 5 = 0 THEN 'SAVE' || (h4 %% 50) END,
                   'tags', CASE WHEN h6 %% 10 = 0 THEN jsonb_build_array('vip', 'q"uote', 'ü') ELSE '[]'::jsonb END) END,
       to_char(c, 'YYYYMMDD')
FROM (
  SELECT g, h1, h2, h3, h4, h5, h6, h7, h8,
         (ARRAY['new','paid','shipped','delivered','cancelled','returned','on_hold'])[1 + (h2 %% 7)::int] AS s,
         timestamp '2024-01-01' + ((g - 1) * (2591940000000 / %[1]d) + h8 %% 60000000) * interval '1 microsecond' AS c
  FROM (
    SELECT g,
           hashint8extended(g, 1) & 9223372036854775807 AS h1,
           hashint8extended(g, 2) & 9223372036854775807 AS h2,
           hashint8extended(g, 3) & 9223372036854775807 AS h3,
           hashint8extended(g, 4) & 9223372036854775807 AS h4,
           hashint8extended(g, 5) & 9223372036854775807 AS h5,
           hashint8extended(g, 6) & 9223372036854775807 AS h6,
           hashint8extended(g, 7) & 9223372036854775807 AS h7,
           hashint8extended(g, 8) & 9223372036854775807 AS h8
    FROM generate_series(1::bigint, %[1]d::bigint) AS g
  ) h
) x`, n),
		"ALTER TABLE orders_src ADD PRIMARY KEY (id)",
	}
}

// pgConnect connects to env.PGURL, creating the database when it is missing.
func pgConnect(ctx context.Context, env *benchEnv) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, env.PGURL)
	var pe *pgconn.PgError
	if err != nil && errors.As(err, &pe) && pe.Code == "3D000" {
		u, perr := url.Parse(env.PGURL)
		if perr != nil {
			return nil, perr
		}
		db := strings.TrimPrefix(u.Path, "/")
		u.Path = "/postgres"
		admin, aerr := pgx.Connect(ctx, u.String())
		if aerr != nil {
			return nil, aerr
		}
		_, aerr = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize())
		admin.Close(ctx)
		if aerr != nil {
			return nil, aerr
		}
		conn, err = pgx.Connect(ctx, env.PGURL)
	}
	return conn, err
}

// pgSetup makes sure orders_src holds env.Rows rows.
func pgSetup(ctx context.Context, env *benchEnv) error {
	conn, err := pgConnect(ctx, env)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var n int64 = -1
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('orders_src') IS NOT NULL").Scan(&exists); err != nil {
		return err
	}
	if exists {
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM orders_src").Scan(&n); err != nil {
			return err
		}
	}
	if n == env.Rows {
		return nil
	}
	fmt.Fprintf(os.Stderr, "  generating orders_src with %d rows (had %d)\n", env.Rows, n)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, q := range pgGenSQL(env.Rows) {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("generate orders_src: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM (FREEZE, ANALYZE) orders_src")
	return err
}

// pgFreshTarget (re)creates an empty logged target with the bench schema.
func pgFreshTarget(ctx context.Context, env *benchEnv, name string) error {
	conn, err := pgConnect(ctx, env)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, pgOrdersDDL(name, false))
	return err
}

// pgVerify compares count and content checksum of dst with orders_src and
// returns dst's size in bytes (for MB/s).
func pgVerify(ctx context.Context, env *benchEnv, dst string) (rows, bytes int64, err error) {
	return pgVerifyFrom(ctx, env, "orders_src", dst)
}

// pgVerifyFrom compares count and content checksum of dst with src and
// returns src's size in bytes.
func pgVerifyFrom(ctx context.Context, env *benchEnv, src, dst string) (rows, bytes int64, err error) {
	conn, err := pgConnect(ctx, env)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	sum := func(t string) (string, int64, error) {
		r, err := conn.Query(ctx, pgChecksumSQL(t))
		if err != nil {
			return "", 0, err
		}
		defer r.Close()
		if !r.Next() {
			return "", 0, r.Err()
		}
		vals, err := r.Values()
		if err != nil {
			return "", 0, err
		}
		return fmt.Sprint(vals...), vals[0].(int64), nil
	}
	want, n, err := sum(src)
	if err != nil {
		return 0, 0, err
	}
	got, _, err := sum(dst)
	if err != nil {
		return 0, 0, err
	}
	if got != want {
		return 0, 0, fmt.Errorf("verify %s: checksum %s, want %s", dst, got, want)
	}
	if err := conn.QueryRow(ctx, "SELECT pg_table_size($1::regclass)", src).Scan(&bytes); err != nil {
		return 0, 0, err
	}
	return n, bytes, nil
}

func pgPipe(ctx context.Context, env *benchEnv) (caseResult, error) {
	const dst = "orders_dst_pipe"
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	elapsed, cpu, err := psqlPipe(ctx, env, "orders_src", dst)
	if err != nil {
		return caseResult{}, err
	}
	n, b, err := pgVerify(ctx, env, dst)
	if err != nil {
		return caseResult{}, err
	}
	return caseResult{Rows: n, Bytes: b, Verified: "count+checksum", ChildCPU: cpu, Elapsed: elapsed}, nil
}

// psqlPipe copies src into dst through the binary COPY pipe of two psql
// processes and returns its time and the processes' CPU.
func psqlPipe(ctx context.Context, env *benchEnv, src, dst string) (elapsed, cpu time.Duration, err error) {
	c0 := childCPU()
	out := exec.CommandContext(ctx, "psql", "-X", "-v", "ON_ERROR_STOP=1", env.PGURL, "-c", "COPY "+src+" TO STDOUT (FORMAT binary)")
	in := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", env.PGURL, "-c", "COPY "+dst+" FROM STDIN (FORMAT binary)")
	// an OS pipe between the two, as the shell's `psql ... | psql ...`
	// makes: no copy through this process
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	out.Stdout, in.Stdin = pw, pr
	out.Stderr, in.Stderr = os.Stderr, os.Stderr
	in.Stdout = io.Discard
	t0 := time.Now()
	err = in.Start()
	if err == nil {
		err = out.Start()
	}
	pr.Close()
	pw.Close()
	if err != nil {
		if in.Process != nil {
			in.Process.Kill()
			in.Wait()
		}
		return 0, 0, err
	}
	errOut := out.Wait()
	if err := errors.Join(errOut, in.Wait()); err != nil {
		return 0, 0, fmt.Errorf("psql pipe: %w", err)
	}
	return time.Since(t0), childCPU() - c0, nil
}
