// Command ferrybench measures Ferry against each database's own bulk pipe on
// the same machine, in the same run, and prints one table.
//
// Usage:
//
//	go run ./cmd/ferrybench [-rows 2000000] [-pg postgres://postgres@127.0.0.1:5432/bench?sslmode=disable] [-cases pg]
//
// Every case belongs to a group ("pg2pg", "my2my", ...). The group's pipe
// case (Pipe: true) is the yardstick: the "ratio" column is the case's rows/s
// divided by the pipe's. CPU is the Ferry process's user+system CPU seconds
// per million rows (getrusage deltas; the pipe cases report their child
// processes instead), peak RSS is VmHWM of this process, reset before each
// case through /proc/self/clear_refs.
//
// To add cases for another database, add a file next to main.go that calls
// register in its init function (see pg.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// benchCase is one measured way of copying the benchmark table.
type benchCase struct {
	// Group names the pair of systems ("pg2pg"); ratios are within a group.
	Group string
	// Name is the case's name in the table ("ferry 1 worker").
	Name string
	// Pipe marks the database's own bulk pipe, the group's yardstick.
	Pipe bool
	// Setup, when set, runs once per group before the group's first case
	// (create the source table, say). Cases of one group share it.
	Setup func(ctx context.Context, env *benchEnv) error
	// Run copies the table and verifies the copy; it returns the rows copied
	// and the bytes moved (for MB/s; 0 if unknown).
	Run func(ctx context.Context, env *benchEnv) (caseResult, error)
	// Once marks a case that does not depend on the worker count (a pipe):
	// other cases run once per -workers value, reading env.curWorkers.
	Once bool
}

// caseResult is what a case's Run reports.
type caseResult struct {
	Rows  int64
	Bytes int64
	// Verified says how the copy was checked ("count+checksum").
	Verified string
	// ChildCPU, when set, is the CPU of the external processes of a pipe case.
	ChildCPU time.Duration
	// Elapsed, when set, is the time of the copy alone (without creating the
	// target and verifying); otherwise the whole Run is timed.
	Elapsed time.Duration
}

// benchEnv is the configuration every case sees.
type benchEnv struct {
	Rows    int64  // rows in the source table
	PGURL   string // PostgreSQL database for the PG cases (created if missing)
	MyURL   string // MySQL/MariaDB database for the MySQL cases
	Workers []int  // worker counts for Ferry cases
	Dir     string // directory of generated files (file and SQLite cases)
	DuckDB  string // directory of the npm-installed DuckDB (file cases' yardstick)
	Ferry   string // the ferry binary of the CLI cases ("": built from ./cmd/ferry)

	// curWorkers is the worker count of the case running now: a case with
	// PerWorkers set runs once for each of Workers.
	curWorkers int
}

var cases []benchCase

// register adds cases to the run, in order. Call it from init.
func register(cs ...benchCase) { cases = append(cases, cs...) }

type row struct {
	c       benchCase
	res     caseResult
	elapsed time.Duration
	cpu     time.Duration
	hwm     int64 // KiB
	err     error
	all     []time.Duration // every run's time, sorted
}

func main() {
	env := &benchEnv{}
	var workers, only string
	var runs int
	flag.Int64Var(&env.Rows, "rows", 2_000_000, "rows in the benchmark table orders_src")
	flag.StringVar(&env.PGURL, "pg", envOr("FERRY_BENCH_PG", "postgres://postgres@127.0.0.1:5432/bench?sslmode=disable"), "PostgreSQL URL (database created if missing)")
	flag.StringVar(&env.MyURL, "mysql", envOr("FERRY_BENCH_MYSQL", "mysql://root@127.0.0.1:3306/bench"), "MySQL/MariaDB URL")
	flag.StringVar(&workers, "workers", "1,2", "comma-separated worker counts for the Ferry cases")
	flag.StringVar(&only, "cases", "", "regexp: run only cases whose \"group/name\" matches")
	flag.StringVar(&env.Dir, "dir", filepath.Join(os.TempDir(), "ferrybench"), "directory for the generated input files and outputs of the file and SQLite cases")
	flag.StringVar(&env.DuckDB, "duckdb", envOr("FERRY_BENCH_DUCKDB", filepath.Join(os.TempDir(), "ferrybench-duckdb")), "directory of @duckdb/node-api (npm-installed there when missing)")
	flag.StringVar(&env.Ferry, "ferry", "", "the ferry binary the CLI cases run (default: go build ./cmd/ferry into -dir)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.IntVar(&runs, "runs", 1, "run every case this many times (interleaved) and report the median")
	flag.Parse()
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fatalf("bad -workers %q", workers)
		}
		env.Workers = append(env.Workers, n)
	}
	var re *regexp.Regexp
	if only != "" {
		var err error
		if re, err = regexp.Compile(only); err != nil {
			fatalf("bad -cases: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatalf("%v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("%v", err)
		}
		defer pprof.StopCPUProfile()
	}
	var all [][]row
	for run := 0; run < max(1, runs) && ctx.Err() == nil; run++ {
		all = append(all, runAll(ctx, env, re))
	}
	printTable(os.Stdout, env, medians(all), len(all))
}

// medians picks, for each case, the run with the median time.
func medians(all [][]row) []row {
	out := make([]row, len(all[0]))
	for i := range out {
		var rs []row
		for _, r := range all {
			if i < len(r) {
				rs = append(rs, r[i])
			}
		}
		slices.SortFunc(rs, func(a, b row) int {
			if (a.err == nil) != (b.err == nil) {
				if a.err != nil {
					return 1
				}
				return -1
			}
			return int(a.elapsed - b.elapsed)
		})
		out[i] = rs[(len(rs)-1)/2]
		for _, r := range rs {
			if r.err == nil {
				out[i].all = append(out[i].all, r.elapsed)
			}
		}
	}
	return out
}

var setupDone = map[string]error{}

func runAll(ctx context.Context, env *benchEnv, re *regexp.Regexp) []row {
	var rows []row
	for _, c := range cases {
		if re != nil && !re.MatchString(c.Group+"/"+c.Name) {
			continue
		}
		if c.Setup != nil {
			if _, done := setupDone[c.Group]; !done {
				fmt.Fprintf(os.Stderr, "[%s] setup %s\n", time.Now().Format("15:04:05"), c.Group)
				setupDone[c.Group] = c.Setup(ctx, env)
			}
			if err := setupDone[c.Group]; err != nil {
				rows = append(rows, row{c: c, err: fmt.Errorf("setup: %w", err)})
				continue
			}
		}
		ws := env.Workers
		if c.Once || c.Pipe {
			ws = []int{1}
		}
		for _, n := range ws {
			cc := c
			if !c.Once && !c.Pipe {
				cc.Name = fmt.Sprintf("%s, %d worker(s)", c.Name, n)
			}
			env.curWorkers = n
			fmt.Fprintf(os.Stderr, "[%s] run %s/%s\n", time.Now().Format("15:04:05"), cc.Group, cc.Name)
			rows = append(rows, measure(ctx, env, cc))
			if ctx.Err() != nil {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return rows
}

func measure(ctx context.Context, env *benchEnv, c benchCase) row {
	debug.FreeOSMemory() // return the previous case's heap so its peak is not counted here
	resetHWM()
	cpu0 := selfCPU()
	t0 := time.Now()
	res, err := c.Run(ctx, env)
	r := row{c: c, res: res, elapsed: time.Since(t0), cpu: selfCPU() - cpu0, hwm: vmHWM(), err: err}
	if res.ChildCPU > 0 {
		r.cpu = res.ChildCPU
	}
	if res.Elapsed > 0 {
		r.elapsed = res.Elapsed
	}
	return r
}

func printTable(f *os.File, env *benchEnv, rows []row, runs int) {
	pipe := map[string]float64{}
	for _, r := range rows {
		if r.c.Pipe && r.err == nil && r.elapsed > 0 {
			pipe[r.c.Group] = float64(r.res.Rows) / r.elapsed.Seconds()
		}
	}
	w := tabwriter.NewWriter(f, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\trows\tseconds\trows/s\tMB/s\tratio\tCPU s/Mrow\tpeak RSS MB\tverified\tall runs (s)\t")
	for _, r := range rows {
		name := r.c.Group + "/" + r.c.Name
		if r.err != nil {
			fmt.Fprintf(w, "%s\tFAILED: %v\t\t\t\t\t\t\t\t\t\n", name, r.err)
			continue
		}
		secs := r.elapsed.Seconds()
		rps := float64(r.res.Rows) / secs
		mbs := "-"
		if r.res.Bytes > 0 {
			mbs = fmt.Sprintf("%.1f", float64(r.res.Bytes)/secs/1e6)
		}
		ratio := "-"
		if p := pipe[r.c.Group]; p > 0 {
			ratio = fmt.Sprintf("%.2f", rps/p)
		}
		cpu := "-"
		if r.res.Rows > 0 {
			cpu = fmt.Sprintf("%.2f", r.cpu.Seconds()/(float64(r.res.Rows)/1e6))
			if r.c.Pipe {
				cpu += "*"
			}
		}
		rss := "-"
		if !r.c.Pipe && r.res.ChildCPU == 0 && r.hwm > 0 {
			rss = fmt.Sprintf("%.0f", float64(r.hwm)/1024)
		}
		prec := 1 // short cases (a few rows) in milliseconds' precision
		if secs < 1 {
			prec = 4
		}
		var runs []string
		for _, d := range r.all {
			runs = append(runs, fmt.Sprintf("%.*f", prec, d.Seconds()))
		}
		fmt.Fprintf(w, "%s\t%d\t%.*f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, r.res.Rows, prec+1, secs, rps, mbs, ratio, cpu, rss, r.res.Verified, strings.Join(runs, " "))
	}
	w.Flush()
	fmt.Fprintf(f, "(median of %d run(s); source rows %d; * = CPU of the pipe's child processes; machine shared with other work, numbers are indicative)\n", runs, env.Rows)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetHWM resets the peak RSS of this process (Linux ≥ 4.0).
func resetHWM() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// vmHWM returns the peak RSS in KiB since the last reset.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "ferrybench: "+format+"\n", a...)
	os.Exit(2)
}
