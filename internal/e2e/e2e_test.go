// Package e2e runs the ferry binary as a user would, against the real
// PostgreSQL and MariaDB, and kills it with SIGKILL at exact points (through
// internal/crashpoint) to prove what a crash leaves and that ferry resume
// finishes the run exactly.
package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry/internal/crashpoint"
	"github.com/ferrydata/ferry/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ferryBin builds cmd/ferry once per test binary.
func ferryBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ferry-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ferry")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/ferrydata/ferry/cmd/ferry").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// result is what one ferry command did.
type result struct {
	out, errOut string
	killed      bool
	code        int
}

func runFerry(t *testing.T, crash string, args ...string) result {
	t.Helper()
	cmd := exec.Command(ferryBin(t), args...)
	cmd.Env = append(os.Environ(), crashpoint.Env+"="+crash)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{out: stdout.String(), errOut: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.killed = true
		} else {
			r.code = ee.ExitCode()
		}
	} else if err != nil {
		t.Fatalf("run ferry: %v", err)
	}
	return r
}

// engine is one database the test writes and checks with SQL.
type engine struct {
	name string
	db   sqlDB
	url  string // Ferry URL of the database, without parameters
	// ddl creates table t (id, v); sum is a checksum query over t.
	ddl func(t string) string
	sum func(t string) string
	gen func(t string, lo, hi int, tag string) string
}

// sqlDB is what the test needs of a connection: database/sql for MariaDB,
// pgx for PostgreSQL (its simple protocol runs several statements).
type sqlDB interface {
	exec(q string) error
	scan(q string, dest ...any) error
}

type stdDB struct{ *sql.DB }

func (d stdDB) exec(q string) error { _, err := d.ExecContext(context.Background(), q); return err }
func (d stdDB) scan(q string, dest ...any) error {
	return d.QueryRowContext(context.Background(), q).Scan(dest...)
}

type pgDB struct{ *pgx.Conn }

func (d pgDB) exec(q string) error { _, err := d.Exec(context.Background(), q); return err }
func (d pgDB) scan(q string, dest ...any) error {
	return d.QueryRow(context.Background(), q).Scan(dest...)
}

func postgres(t *testing.T) *engine {
	u := testenv.PostgresURL()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		testenv.Unreachable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &engine{
		name: "pg", db: pgDB{conn}, url: u,
		ddl: func(tb string) string {
			return fmt.Sprintf(`DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s (id bigint PRIMARY KEY, v text NOT NULL, n numeric(12,2))`, tb)
		},
		sum: func(tb string) string {
			return fmt.Sprintf(`SELECT count(*), count(DISTINCT id), coalesce(sum(hashtext(id::text || ':' || v || ':' || coalesce(n::text, 'null'))), 0) FROM %s`, tb)
		},
		gen: func(tb string, lo, hi int, tag string) string {
			return fmt.Sprintf(`INSERT INTO %s SELECT g, '%s ' || g || repeat('x', g %% 50), (g * 1.25)::numeric(12,2) FROM generate_series(%d, %d) g`, tb, tag, lo, hi)
		},
	}
}

func mariadb(t *testing.T) *engine {
	u := testenv.MySQLURL()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User = pu.User.Username()
	cfg.Passwd, _ = pu.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", pu.Host, strings.TrimPrefix(pu.Path, "/")
	cfg.MultiStatements = true
	db := testenv.Ping(t, "mysql", cfg.FormatDSN(), "MariaDB")
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return &engine{
		name: "my", db: stdDB{db}, url: u,
		ddl: func(tb string) string {
			return fmt.Sprintf("DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s (id bigint PRIMARY KEY, v varchar(200) NOT NULL, n decimal(12,2))", tb)
		},
		sum: func(tb string) string {
			return fmt.Sprintf("SELECT count(*), count(DISTINCT id), coalesce(sum(crc32(concat(id, ':', v, ':', coalesce(n, 'null')))), 0) FROM %s", tb)
		},
		gen: func(tb string, lo, hi int, tag string) string {
			return fmt.Sprintf(`SET SESSION max_recursive_iterations = 10000000; INSERT INTO %s WITH RECURSIVE g(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM g WHERE i < %d)
				SELECT i, concat('%s ', i, repeat('x', i %% 50)), i * 1.25 FROM g`, tb, lo, hi, tag)
		},
	}
}

func (e *engine) exec(t *testing.T, q string) {
	t.Helper()
	if err := e.db.exec(q); err != nil {
		t.Fatalf("%s: %s: %v", e.name, q, err)
	}
}

type checksum struct{ rows, distinct, hash int64 }

func (e *engine) checksum(t *testing.T, tb string) checksum {
	t.Helper()
	var c checksum
	if err := e.db.scan(e.sum(tb), &c.rows, &c.distinct, &c.hash); err != nil {
		t.Fatalf("%s: checksum of %s: %v", e.name, tb, err)
	}
	return c
}

// withParams returns the engine's URL with the query parameters kv.
func (e *engine) withParams(kv ...string) string {
	u, _ := url.Parse(e.url)
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// The rows of a test: the source holds ids 1..srcRows; the destination's
// old rows are ids -99..0 and 1..50 with other values (the upsert overlap).
const srcRows = 20000

// prepare makes src, the destination with its old rows, and the expected
// destination (an expectation table filled in SQL) for mode.
func (e *engine) prepare(t *testing.T, src, dst, want, mode string) {
	t.Helper()
	e.exec(t, e.ddl(src))
	e.exec(t, e.gen(src, 1, srcRows, "new"))
	e.exec(t, e.ddl(dst))
	e.exec(t, e.gen(dst, -99, 50, "old"))
	e.exec(t, e.ddl(want))
	switch mode {
	case "insert":
		// The old rows stay and the new ones are added: the overlap ids
		// would collide, so the insert test's old rows are -99..0 only.
		e.exec(t, fmt.Sprintf("DELETE FROM %s WHERE id > 0", dst))
		e.exec(t, e.gen(want, -99, 0, "old"))
		e.exec(t, e.gen(want, 1, srcRows, "new"))
	case "overwrite":
		e.exec(t, e.gen(want, 1, srcRows, "new"))
	case "upsert":
		e.exec(t, e.gen(want, -99, 0, "old"))
		e.exec(t, e.gen(want, 1, srcRows, "new"))
	}
}

// Kill points: inside a split (a batch written), between splits (a split
// marked), right before the final commit, inside the writer's commit
// transaction, and after the commit but before ferry recorded it.
func killPoints(e *engine, mode string) []string {
	points := []string{"ferry.batch.written@3", "ferry.split.closed@2", "ferry.commit.before", "ferry.commit.after"}
	switch {
	case e.name == "pg":
		points = append(points, "pgwriter.commit-inside")
	case mode == "overwrite":
		points = append(points, "mysqlwriter.swap") // between the two renames of the swap
	default:
		points = append(points, "mysqlwriter.commit_tx")
	}
	return points
}

func TestKillAndResume(t *testing.T) {
	for _, mk := range []func(*testing.T) *engine{postgres, mariadb} {
		e := mk(t)
		for _, mode := range []string{"insert", "overwrite", "upsert"} {
			for _, point := range killPoints(e, mode) {
				name := fmt.Sprintf("%s/%s/%s", e.name, mode, point)
				t.Run(name, func(t *testing.T) {
					killAndResume(t, e, mode, point)
				})
			}
		}
	}
}

func killAndResume(t *testing.T, e *engine, mode, point string) {
	src, dst, want := "e2e_kill_src", "e2e_kill_dst", "e2e_kill_want"
	e.prepare(t, src, dst, want, mode)
	before := e.checksum(t, dst)
	expected := e.checksum(t, want)
	dir := t.TempDir()

	from := e.withParams("table", src, "splitPk", "id", "splits", "6", "batchRows", "1000")
	if e.name == "my" {
		from = e.withParams("table", src, "splitPk", "id", "batchRows", "1000")
	}
	to := e.withParams("table", dst, "mode", mode, "key", "id")
	if mode == "insert" || mode == "overwrite" {
		to = e.withParams("table", dst, "mode", mode)
	}
	r := runFerry(t, point, "sync", "--from", from, "--to", to, "--concurrency", "3", "--checkpoint", dir, "--progress", "never")
	if !r.killed {
		t.Fatalf("ferry sync was not killed at %s (exit %d)\nstdout:\n%s\nstderr:\n%s", point, r.code, r.out, r.errOut)
	}
	after := e.checksum(t, dst)
	if point == "ferry.commit.after" || strings.HasPrefix(point, "pgwriter.") || strings.HasPrefix(point, "mysqlwriter.") {
		// The commit may have happened before the kill.
		if after != before && after != expected {
			t.Fatalf("after a kill at %s the destination is neither old nor new: %+v (old %+v, new %+v)", point, after, before, expected)
		}
	} else if after != before {
		t.Fatalf("a kill at %s changed the destination: %+v, want its old rows %+v", point, after, before)
	}

	r = runFerry(t, "", "resume", "--progress", "never", dir)
	if r.killed || r.code != 0 {
		t.Fatalf("ferry resume failed (exit %d)\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	got := e.checksum(t, dst)
	if got != expected {
		t.Fatalf("after resume the destination is %+v, want %+v\n%s", got, expected, r.out)
	}
	if got.rows != got.distinct {
		t.Fatalf("duplicates after resume: %d rows, %d ids", got.rows, got.distinct)
	}
	if !strings.Contains(r.out, "committed              true") {
		t.Fatalf("resume report does not say committed:\n%s", r.out)
	}
	t.Logf("%s: %s", point, firstLine(r.out, "skipped"))
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func sleepMs(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }
