package sqlitewriter_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The yardsticks of issue 19, run by the sqlite3 command-line shell (Debian's
// sqlite3 package) on the same files in the same run:
//
//	go test -run '^$' -bench 'SQLiteToSQLite|CLI' -benchtime 1x ./writer/sqlitewriter -rows 1000000
//
// (CSV→SQLite and its yardstick, .import, are in examples/csv2sqlite.)

const ordersDDL = `CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount DECIMAL TEXT(12,2), price REAL, note TEXT, created_at DATETIME, ship_day DATE, paid BOOLEAN)`

func sqlite3CLI(b *testing.B) string {
	p, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("no sqlite3 shell (apt-get install sqlite3)")
	}
	return p
}

// runCLI runs the sqlite3 shell on script and returns its wall and CPU
// seconds.
func runCLI(b *testing.B, cli, db, script string) (wall, cpu float64) {
	b.Helper()
	cmd := exec.Command(cli, "-batch", db)
	cmd.Stdin = strings.NewReader(script)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	wall = time.Since(t0).Seconds()
	if err != nil {
		b.Fatalf("sqlite3: %v\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return wall, cpu
}

// BenchmarkCLIInsertSelect is the SQLite→SQLite yardstick: the shell copies
// the table into a new file row by row (WHERE 1 defeats the page-copy
// transfer optimisation), in one transaction, then checkpoints.
func BenchmarkCLIInsertSelect(b *testing.B) {
	cli := sqlite3CLI(b)
	n := *benchRows
	dir := b.TempDir()
	src := filepath.Join(dir, "src.db")
	makeOrders(b, src, n)
	var wall, cpu float64
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("cli%d.db", i))
		w, c := runCLI(b, cli, src, fmt.Sprintf(`ATTACH '%s' AS dst;
PRAGMA dst.synchronous=OFF;
%s;
INSERT INTO dst.orders SELECT * FROM main.orders WHERE 1;
`, dst, strings.Replace(ordersDDL, "orders", "dst.orders", 1)))
		wall, cpu = wall+w, cpu+c
		os.Remove(dst)
	}
	b.ReportMetric(float64(n)*float64(b.N)/wall, "rows/s")
	b.ReportMetric(cpu/float64(b.N)/(float64(n)/1e6), "cpu-s/Mrows")
}

// peakRSSMB is the process's peak resident set so far, in MB.
func peakRSSMB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
