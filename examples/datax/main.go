// Command datax runs DataX and DataWorks job files with Ferry on the
// embedded default (SQLite): no server is needed.
//
//	go run ./examples/datax
//
// It makes a small shop database (dev and prod copies) in a temporary
// directory and runs, through the job package:
//
//   - stream.json: DataX's first example, streamreader → streamwriter;
//   - sqlite2txt.json: a DataX job with -D variables ($dir, $minAmount) and
//     scheduling parameters (${bizdate}, ${yyyy-mm-dd}) from SQLite into a
//     CSV file (txtfilewriter);
//   - ../dataworks/orders.json: a DataWorks script-mode job whose data
//     sources are named in ../dataworks/catalog.json, run in dev and in
//     prod (each environment reads and writes its own databases).
//
// The same jobs run from the command line:
//
//	ferry run examples/datax/stream.json
//	ferry run --bizdate 20250726 -p "-Ddir=/tmp/shop -DminAmount=10" examples/datax/sqlite2txt.json
//	FERRY_EXAMPLE_DIR=/tmp/shop ferry run --bizdate 20250726 --catalog examples/dataworks/catalog.json --env prod examples/dataworks/orders.json
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ferrydata/ferry/job"
)

func main() {
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	dir, err := os.MkdirTemp("", "ferry-datax-example-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	if err := run(context.Background(), exampleDir(), dir, os.Stdout); err != nil {
		log.Fatal(err)
	}
	if *keep {
		fmt.Println("files kept in", dir)
	}
}

// exampleDir is the directory of this file's job files.
func exampleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "examples/datax"
	}
	return filepath.Dir(file)
}

// The business date of the example runs.
var cyc = time.Date(2025, 7, 27, 0, 0, 0, 0, time.UTC)

func run(ctx context.Context, jobs, dir string, out io.Writer) error {
	if err := makeShop(dir); err != nil {
		return err
	}
	fmt.Fprintln(out, "== DataX: streamreader → streamwriter")
	if err := runJob(ctx, filepath.Join(jobs, "stream.json"), &job.Options{CycTime: cyc}, out); err != nil {
		return err
	}

	fmt.Fprintln(out, "\n== DataX: SQLite → CSV with -D variables and scheduling parameters")
	vars := map[string]string{"dir": dir, "minAmount": "10"}
	if err := runJob(ctx, filepath.Join(jobs, "sqlite2txt.json"), &job.Options{CycTime: cyc, Vars: vars}, out); err != nil {
		return err
	}
	csv, err := os.ReadFile(filepath.Join(dir, "out", "orders_20250726.csv"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s:\n%s", filepath.Join("out", "orders_20250726.csv"), csv)

	cat, err := job.LoadCatalog(filepath.Join(jobs, "..", "dataworks", "catalog.json"))
	if err != nil {
		return err
	}
	env := func(k string) (string, bool) {
		if k == "FERRY_EXAMPLE_DIR" {
			return dir, true
		}
		return os.LookupEnv(k)
	}
	for _, e := range []string{job.EnvDev, job.EnvProd} {
		fmt.Fprintf(out, "\n== DataWorks: orders.json with the catalog, env %s\n", e)
		o := &job.Options{CycTime: cyc, Catalog: cat, Env: e, LookupEnv: env}
		if err := runJob(ctx, filepath.Join(jobs, "..", "dataworks", "orders.json"), o, out); err != nil {
			return err
		}
	}
	return nil
}

func runJob(ctx context.Context, path string, o *job.Options, out io.Writer) error {
	p, err := job.ParseFile(path, o)
	if err != nil {
		return err
	}
	for _, w := range p.Warnings {
		fmt.Fprintln(out, "warning:", w)
	}
	sum, err := p.Run(ctx, &job.RunOptions{Stdout: out})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d rows read, %d written, %d dirty\n", sum.RowsRead, sum.RowsWritten, sum.RowsDirty)
	return nil
}

// makeShop creates shop_dev.db and shop_prod.db (orders) and the data
// warehouse files dw_dev.db and dw_prod.db (orders_copy, load_log).
func makeShop(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		return err
	}
	for env, n := range map[string]int{"dev": 4, "prod": 8} {
		if err := execAll(filepath.Join(dir, "shop_"+env+".db"),
			"CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount REAL, day TEXT)",
			fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
			 INSERT INTO orders SELECT i, '%s-customer-' || i, i * 7.5, CASE WHEN i %% 2 = 0 THEN '2025-07-26' ELSE '2025-07-25' END FROM n`, n, env),
		); err != nil {
			return err
		}
		if err := execAll(filepath.Join(dir, "dw_"+env+".db"),
			"CREATE TABLE orders_copy (id INTEGER PRIMARY KEY, customer TEXT, amount REAL, day TEXT)",
			"CREATE TABLE load_log (ds TEXT, n INTEGER)",
		); err != nil {
			return err
		}
	}
	return nil
}

func execAll(path string, stmts ...string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}
