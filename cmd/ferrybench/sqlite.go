package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/ferrydata/ferry/reader/sqlitereader"
	_ "github.com/ferrydata/ferry/writer/sqlitewriter"
)

// The SQLite cases, against the sqlite3 shell (Debian's sqlite3 package) on
// the same files in the same run:
//   - sqlite2sqlite: the yardstick copies orders_src into a new file row by
//     row (INSERT … SELECT … WHERE 1: the WHERE defeats SQLite's page-copy
//     transfer optimisation), in one transaction; "sqlite3 ATTACH +
//     INSERT…SELECT" is the same without WHERE 1 (the transfer
//     optimisation), shown for reference with its ratio to the yardstick.
//   - csv2sqlite: the yardstick is the shell's .import --csv into the same
//     table definition.
//
// The source database is made from the generated CSV by Ferry (so its
// columns have the declared types and NULLs sqlitereader reads back).
func init() {
	register(benchCase{Group: "sqlite2sqlite", Name: "sqlite3 INSERT…SELECT…WHERE 1 (row by row)", Pipe: true, Setup: sqliteSetup,
		Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return sqliteCLICopy(ctx, env, " WHERE 1")
		}})
	register(benchCase{Group: "sqlite2sqlite", Name: "sqlite3 ATTACH + INSERT…SELECT (page transfer)", Once: true, Setup: sqliteSetup,
		Run: func(ctx context.Context, env *benchEnv) (caseResult, error) { return sqliteCLICopy(ctx, env, "") }})
	register(benchCase{Group: "sqlite2sqlite", Name: "ferry", Setup: sqliteSetup,
		Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return sqliteFerry(ctx, env, "sqlite://"+sqliteSrc(env)+"?table=orders_src", "s2s")
		}})
	register(benchCase{Group: "csv2sqlite", Name: "sqlite3 .import --csv", Pipe: true, Setup: sqliteSetup,
		Run: sqliteCLIImport})
	register(benchCase{Group: "csv2sqlite", Name: "ferry", Setup: sqliteSetup,
		Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return sqliteFerry(ctx, env, csvURL(fileIn(env, "csv")), "c2s")
		}})
}

func sqliteSrc(env *benchEnv) string { return filepath.Join(fileDir(env), "orders.db") }

// sqliteDDL is the CREATE TABLE of the source (as sqlitewriter made it).
var sqliteDDL string

func sqliteSetup(ctx context.Context, env *benchEnv) error {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		return fmt.Errorf("no sqlite3 shell (apt-get install -y sqlite3): %w", err)
	}
	if err := filesGen(ctx, env); err != nil {
		return err
	}
	src := sqliteSrc(env)
	n, err := sqliteCount(ctx, src)
	if err != nil || n != env.Rows {
		os.Remove(src)
		fmt.Fprintf(os.Stderr, "  generating %s\n", src)
		if _, err := ferryCopy(ctx, csvURL(fileIn(env, "csv")), "sqlite://"+src+"?table=orders_src", 1); err != nil {
			return fmt.Errorf("generate %s: %w", src, err)
		}
	}
	out, err := exec.CommandContext(ctx, "sqlite3", "-batch", src, "SELECT sql FROM sqlite_master WHERE name = 'orders_src'").Output()
	if err != nil {
		return fmt.Errorf("sqlite3 %s: %w", src, err)
	}
	sqliteDDL = strings.TrimSpace(string(out))
	if sqliteDDL == "" {
		return fmt.Errorf("%s has no table orders_src", src)
	}
	return nil
}

// sqliteDDLIn is sqliteDDL creating the table in the attached schema.
func sqliteDDLIn(schema string) string {
	if strings.Contains(sqliteDDL, `"orders_src"`) {
		return strings.Replace(sqliteDDL, `"orders_src"`, schema+`."orders_src"`, 1)
	}
	return strings.Replace(sqliteDDL, "orders_src", schema+".orders_src", 1)
}

func sqliteCount(ctx context.Context, db string) (int64, error) {
	out, err := exec.CommandContext(ctx, "sqlite3", "-batch", "-readonly", db, "SELECT count(*) FROM orders_src").Output()
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// sqliteShell runs the sqlite3 shell on db with script and returns its
// wall time and CPU.
func sqliteShell(ctx context.Context, db, script string) (time.Duration, time.Duration, error) {
	cmd := exec.CommandContext(ctx, "sqlite3", "-batch", "-bail", db)
	cmd.Stdin = strings.NewReader(script)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(t0)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite3: %v\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

func sqliteCLICopy(ctx context.Context, env *benchEnv, where string) (caseResult, error) {
	dst := filepath.Join(fileDir(env), "out-cli.db")
	sqliteRemove(dst)
	defer sqliteRemove(dst)
	script := fmt.Sprintf("ATTACH '%s' AS dst;\n%s;\nBEGIN;\nINSERT INTO dst.orders_src SELECT * FROM main.orders_src%s;\nCOMMIT;\n",
		dst, sqliteDDLIn("dst"), where)
	wall, cpu, err := sqliteShell(ctx, sqliteSrc(env), script)
	if err != nil {
		return caseResult{}, err
	}
	return sqliteVerify(ctx, env, dst, caseResult{ChildCPU: cpu, Elapsed: wall})
}

func sqliteCLIImport(ctx context.Context, env *benchEnv) (caseResult, error) {
	dst := filepath.Join(fileDir(env), "out-import.db")
	sqliteRemove(dst)
	defer sqliteRemove(dst)
	script := fmt.Sprintf("%s;\n.import --csv --skip 1 '%s' orders_src\n", sqliteDDL, fileIn(env, "csv"))
	wall, cpu, err := sqliteShell(ctx, dst, script)
	if err != nil {
		return caseResult{}, err
	}
	return sqliteVerify(ctx, env, dst, caseResult{ChildCPU: cpu, Elapsed: wall})
}

func sqliteFerry(ctx context.Context, env *benchEnv, src, tag string) (caseResult, error) {
	dst := filepath.Join(fileDir(env), fmt.Sprintf("out-ferry-%s-%d.db", tag, env.curWorkers))
	sqliteRemove(dst)
	defer sqliteRemove(dst)
	t0 := time.Now()
	sum, err := ferryCopy(ctx, src, "sqlite://"+dst+"?table=orders_src", env.curWorkers)
	elapsed := time.Since(t0)
	if err != nil {
		return caseResult{}, err
	}
	res, err := sqliteVerify(ctx, env, dst, caseResult{Elapsed: elapsed})
	if err == nil && sum.RowsWritten != res.Rows {
		err = fmt.Errorf("summary says %d rows written, table has %d", sum.RowsWritten, res.Rows)
	}
	return res, err
}

func sqliteVerify(ctx context.Context, env *benchEnv, dst string, res caseResult) (caseResult, error) {
	n, err := sqliteCount(ctx, dst)
	if err != nil {
		return caseResult{}, fmt.Errorf("count %s: %w", dst, err)
	}
	if n != env.Rows {
		return caseResult{}, fmt.Errorf("%s has %d rows, want %d", dst, n, env.Rows)
	}
	if st, err := os.Stat(sqliteSrc(env)); err == nil {
		res.Bytes = st.Size()
	}
	res.Rows, res.Verified = n, "count"
	return res, nil
}

func sqliteRemove(db string) {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(db + s)
	}
}
