package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// The MySQL/MariaDB cases: MySQL→MySQL, MySQL→PG and PG→MySQL, each against
// the databases' own bulk pipe as shared/bench/limits.sh runs it. The source
// tables are made by shared/bench/gen.sh (orders_src in both servers, with
// equal content checksums); the groups' setup only checks them.
func init() {
	register(
		benchCase{Group: "my2my", Name: "mariadb-dump | mariadb", Pipe: true, Setup: mySetup, Run: my2myPipe},
		benchCase{Group: "my2my", Name: "ferry insert", Setup: mySetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return myFerry(ctx, env, "my2my", ferry.ModeInsert)
		}},
		benchCase{Group: "my2pg", Name: "mariadb --quick --batch | psql COPY", Pipe: true, Setup: mySetup, Run: my2pgPipe},
		benchCase{Group: "my2pg", Name: "ferry insert", Setup: mySetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return myFerry(ctx, env, "my2pg", ferry.ModeInsert)
		}},
		// The same through the text protocol, to compare with the
		// default binary one in the same run.
		benchCase{Group: "my2pg", Name: "ferry insert text protocol", Setup: mySetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return myFerry(ctx, env, "my2pg", ferry.ModeInsert, "protocol=text")
		}},
		benchCase{Group: "pg2my", Name: "psql COPY | LOAD DATA LOCAL", Pipe: true, Setup: mySetup, Run: pg2myPipe},
		benchCase{Group: "pg2my", Name: "ferry insert", Setup: mySetup, Run: func(ctx context.Context, env *benchEnv) (caseResult, error) {
			return myFerry(ctx, env, "pg2my", ferry.ModeInsert)
		}},
	)
}

// myOrdersDDL is shared/bench/common.sh my_orders_ddl.
func myOrdersDDL(name string) string {
	return "CREATE TABLE " + name + ` (
  id          BIGINT NOT NULL PRIMARY KEY,
  customer_id INT NOT NULL,
  amount      DECIMAL(12,2),
  price       DOUBLE,
  status      VARCHAR(16) NOT NULL,
  note        TEXT,
  created_at  DATETIME(6) NOT NULL,
  updated_at  DATETIME(6) NOT NULL COMMENT 'UTC',
  ship_date   DATE,
  is_paid     TINYINT(1),
  ref         CHAR(36) NOT NULL,
  attrs       JSON,
  biz_date    VARCHAR(8) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}

// myChecksumSQL is shared/bench/common.sh MY_CHECKSUM_SQL, as one string
// in the same form as pgChecksumText's.
func myChecksumSQL(table string) string {
	return `SELECT CONCAT_WS(' ', n, sum_id, sum_cust, sum_amount, notes, note_chars, row_hash) FROM (
SELECT count(*) n, sum(id) sum_id, sum(customer_id) sum_cust,
  cast(coalesce(sum(amount),0) as decimal(20,2)) sum_amount, count(note) notes, coalesce(sum(char_length(note)),0) note_chars,
  sum(cast(conv(substr(md5(concat_ws('|', id, customer_id, coalesce(cast(amount as decimal(12,2)),'~'),
      coalesce(cast(price as char),'~'), status,
      coalesce(note,'~'), date_format(created_at,'%Y-%m-%d %H:%i:%s.%f'),
      date_format(updated_at,'%Y-%m-%d %H:%i:%s.%f'),
      coalesce(date_format(ship_date,'%Y-%m-%d'),'~'), coalesce(is_paid,'~'), ref,
      coalesce(attrs,'~'), biz_date)),1,8),16,10) AS UNSIGNED)) row_hash
FROM ` + table + `) s`
}

// myConfig is the driver configuration of env.MyURL.
func myConfig(env *benchEnv, db string) (*mysql.Config, error) {
	u, err := url.Parse(env.MyURL)
	if err != nil {
		return nil, fmt.Errorf("bad -mysql URL")
	}
	c := mysql.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net, c.Addr = "tcp", u.Host
	c.DBName = strings.TrimPrefix(u.Path, "/")
	if db != "" {
		c.DBName = db
	}
	c.Params = map[string]string{"time_zone": "'+00:00'"}
	return c, nil
}

func myOpen(env *benchEnv, db string) (*sql.DB, error) {
	c, err := myConfig(env, db)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// myCLI returns the mariadb client's connection arguments.
func myCLI(env *benchEnv) []string {
	c, _ := myConfig(env, "")
	host, port, _ := strings.Cut(c.Addr, ":")
	args := []string{"--default-character-set=utf8mb4", "--protocol=TCP", "-h", host, "-P", port, "-u", c.User}
	if c.Passwd != "" {
		args = append(args, "-p"+c.Passwd)
	}
	return args
}

func myBin(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return names[len(names)-1]
}

// mySetup checks that orders_src holds env.Rows rows in both servers: PG's
// is made by pgSetup if missing, MySQL's is then loaded from it. Each copy is
// verified against its own source's checksum.
func mySetup(ctx context.Context, env *benchEnv) error {
	if err := pgSetup(ctx, env); err != nil {
		return err
	}
	db, err := myOpen(env, "")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders_src").Scan(&n); err == nil && n == env.Rows {
		return nil
	}
	// Load it from PostgreSQL's orders_src through the pg2my pipe (as
	// gen.sh does), and check both agree.
	fmt.Fprintf(os.Stderr, "ferrybench: loading MySQL orders_src (%d rows) from PostgreSQL\n", env.Rows)
	if err := myFreshTarget(ctx, env, "", "orders_src"); err != nil {
		return fmt.Errorf("create MySQL orders_src: %w", err)
	}
	c, _ := myConfig(env, "")
	script := "psql -X -v ON_ERROR_STOP=1 " + shJoin([]string{env.PGURL, "-c", "COPY (" + pgToMySelect + ") TO STDOUT"}) +
		" | " + shJoin([]string{myBin("mariadb", "mysql")}) + " " + shJoin(myCLI(env)) + " --local-infile=1 " +
		shJoin([]string{c.DBName, "-e", "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE orders_src CHARACTER SET utf8mb4; ANALYZE TABLE orders_src"}) + " >/dev/null"
	if _, _, err := shPipe(ctx, script); err != nil {
		return fmt.Errorf("load MySQL orders_src: %w", err)
	}
	if got, err := myVerify(ctx, env, "", "orders_src", true); err != nil || got != env.Rows {
		return fmt.Errorf("MySQL orders_src after the load: %d rows (%v), want %d", got, err, env.Rows)
	}
	return nil
}

func myChecksum(ctx context.Context, env *benchEnv, dbname, table string) (string, error) {
	db, err := myOpen(env, dbname)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var s string
	err = db.QueryRowContext(ctx, myChecksumSQL(table)).Scan(&s)
	return s, err
}

func pgChecksumText(ctx context.Context, env *benchEnv, table string) (string, error) {
	conn, err := pgConnect(ctx, env)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, "SELECT concat_ws(' ', n, sum_id, sum_cust, sum_amount, notes, note_chars, row_hash) FROM ("+pgChecksumSQL(table)+") s").Scan(&s)
	return s, err
}

// myVerify compares the checksum of a MySQL target with the source's (in
// PostgreSQL when fromPG).
func myVerify(ctx context.Context, env *benchEnv, dbname, dst string, fromPG bool) (int64, error) {
	want, err := myChecksum(ctx, env, "", "orders_src")
	if fromPG {
		want, err = pgChecksumText(ctx, env, "orders_src")
	}
	if err != nil {
		return 0, err
	}
	got, err := myChecksum(ctx, env, dbname, dst)
	if err != nil {
		return 0, err
	}
	if got != want {
		return 0, fmt.Errorf("verify %s: checksum %s, want %s", dst, got, want)
	}
	var n int64
	fmt.Sscan(got, &n)
	return n, nil
}

// pgVerifyAgainstMy compares a PG target with MySQL's orders_src.
func pgVerifyAgainstMy(ctx context.Context, env *benchEnv, dst string) (int64, error) {
	want, err := myChecksum(ctx, env, "", "orders_src")
	if err != nil {
		return 0, err
	}
	got, err := pgChecksumText(ctx, env, dst)
	if err != nil {
		return 0, err
	}
	if got != want {
		return 0, fmt.Errorf("verify %s: checksum %s, want %s", dst, got, want)
	}
	var n int64
	fmt.Sscan(got, &n)
	return n, nil
}

// myFreshTarget (re)creates an empty target with the bench schema.
func myFreshTarget(ctx context.Context, env *benchEnv, dbname, name string) error {
	db, err := myOpen(env, "")
	if err != nil {
		return err
	}
	defer db.Close()
	full := name
	if dbname != "" {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+dbname+"` CHARACTER SET utf8mb4"); err != nil {
			return err
		}
		full = "`" + dbname + "`.`" + name + "`"
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+full); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, myOrdersDDL(full))
	return err
}

func mySourceBytes(ctx context.Context, env *benchEnv) int64 {
	db, err := myOpen(env, "")
	if err != nil {
		return 0
	}
	defer db.Close()
	var b int64
	db.QueryRowContext(ctx, "SELECT DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders_src'").Scan(&b)
	return b
}

// shPipe runs a shell pipeline and returns its time and its children's CPU.
func shPipe(ctx context.Context, script string) (time.Duration, time.Duration, error) {
	c0 := childCPU()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "PGTZ=UTC", "PGCLIENTENCODING=UTF8")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	t0 := time.Now()
	err := cmd.Run()
	return time.Since(t0), childCPU() - c0, err
}

func shJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

func my2myPipe(ctx context.Context, env *benchEnv) (caseResult, error) {
	dstDB := fmt.Sprintf("bench_dst_%d", os.Getpid()) // this process's own: runs may overlap
	if err := myFreshTarget(ctx, env, dstDB, "orders_src"); err != nil {
		return caseResult{}, err
	}
	defer myDrop(env, "`"+dstDB+"`", true)
	c, _ := myConfig(env, "")
	cli := shJoin(myCLI(env))
	script := shJoin([]string{myBin("mariadb-dump", "mysqldump")}) + " " + cli + " --no-create-info --single-transaction " + shJoin([]string{c.DBName, "orders_src"}) +
		" | " + shJoin([]string{myBin("mariadb", "mysql")}) + " " + cli + " " + dstDB
	el, cpu, err := shPipe(ctx, script)
	if err != nil {
		return caseResult{}, fmt.Errorf("mariadb-dump | mariadb: %w", err)
	}
	n, err := myVerify(ctx, env, dstDB, "orders_src", false)
	if err != nil {
		return caseResult{}, err
	}
	return caseResult{Rows: n, Bytes: mySourceBytes(ctx, env), Verified: "count+checksum", ChildCPU: cpu, Elapsed: el}, nil
}

func my2pgPipe(ctx context.Context, env *benchEnv) (caseResult, error) {
	dst := fmt.Sprintf("orders_dst_mypipe_%d", os.Getpid())
	if err := pgFreshTarget(ctx, env, dst); err != nil {
		return caseResult{}, err
	}
	defer pgDrop(env, dst)
	c, _ := myConfig(env, "")
	script := shJoin([]string{myBin("mariadb", "mysql")}) + " " + shJoin(myCLI(env)) + ` --init-command="SET time_zone='+00:00'" --quick --batch -N ` + shJoin([]string{c.DBName, "-e", "SELECT * FROM orders_src"}) +
		" | psql -X -q -v ON_ERROR_STOP=1 " + shJoin([]string{env.PGURL, "-c", "COPY " + dst + " FROM STDIN (NULL 'NULL')"})
	el, cpu, err := shPipe(ctx, script)
	if err != nil {
		return caseResult{}, fmt.Errorf("mariadb | psql: %w", err)
	}
	n, err := pgVerifyAgainstMy(ctx, env, dst)
	if err != nil {
		return caseResult{}, err
	}
	return caseResult{Rows: n, Bytes: mySourceBytes(ctx, env), Verified: "count+checksum", ChildCPU: cpu, Elapsed: el}, nil
}

const pgToMySelect = `SELECT id, customer_id, amount, price, status, note, created_at,
  updated_at AT TIME ZONE 'UTC', ship_date, is_paid::int, ref, attrs, biz_date FROM orders_src`

func pg2myPipe(ctx context.Context, env *benchEnv) (caseResult, error) {
	dst := fmt.Sprintf("orders_dst_pgpipe_%d", os.Getpid())
	if err := myFreshTarget(ctx, env, "", dst); err != nil {
		return caseResult{}, err
	}
	defer myDrop(env, dst, false)
	c, _ := myConfig(env, "")
	script := "psql -X -v ON_ERROR_STOP=1 " + shJoin([]string{env.PGURL, "-c", "COPY (" + pgToMySelect + ") TO STDOUT"}) +
		" | " + shJoin([]string{myBin("mariadb", "mysql")}) + " " + shJoin(myCLI(env)) + " --local-infile=1 " +
		shJoin([]string{c.DBName, "-e", "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE " + dst + " CHARACTER SET utf8mb4"})
	el, cpu, err := shPipe(ctx, script)
	if err != nil {
		return caseResult{}, fmt.Errorf("psql | mariadb: %w", err)
	}
	n, err := myVerify(ctx, env, "", dst, true)
	if err != nil {
		return caseResult{}, err
	}
	return caseResult{Rows: n, Bytes: mySourceBytes(ctx, env), Verified: "count+checksum", ChildCPU: cpu, Elapsed: el}, nil
}

// myFerry runs Ferry for one group with env.curWorkers workers;
// readerParams are added to the MySQL reader's URL.
func myFerry(ctx context.Context, env *benchEnv, group string, mode ferry.WriteMode, readerParams ...string) (caseResult, error) {
	workers := env.curWorkers
	// Names of this process's own: two bench runs may overlap on the servers.
	dst := fmt.Sprintf("orders_dst_ferry_%s_%d_%d", group, workers, os.Getpid())
	var r ferry.Reader
	var w ferry.Writer
	var method func() string
	var err error
	switch group {
	case "my2my", "my2pg":
		u := addParam(env.MyURL, "table=orders_src&splitPk=id&timeZone=UTC")
		for _, p := range readerParams {
			u = addParam(u, p)
		}
		rcfg, err := mysqlreader.ParseConfig(u)
		if err != nil {
			return caseResult{}, err
		}
		if group == "my2my" {
			// Without timeZone: DATETIME stays zone-less, MySQL to MySQL.
			rcfg.TimeZone = nil
		}
		t0 := time.Now()
		r, err = mysqlreader.Open(ctx, rcfg)
		if err != nil {
			return caseResult{}, err
		}
		_ = t0
	case "pg2my":
		rcfg, err := pgreader.ParseConfig(addParam(env.PGURL, "table=orders_src"))
		if err != nil {
			return caseResult{}, err
		}
		if r, err = pgreader.Open(ctx, rcfg); err != nil {
			return caseResult{}, err
		}
	}
	switch group {
	case "my2my", "pg2my":
		if err := myFreshTarget(ctx, env, "", dst); err != nil {
			r.Close()
			return caseResult{}, err
		}
		defer myDrop(env, dst, false)
		wcfg, err := mysqlwriter.ParseConfig(addParam(env.MyURL, "table="+dst+"&mode="+string(mode)))
		if err != nil {
			r.Close()
			return caseResult{}, err
		}
		mw, err := mysqlwriter.Open(ctx, wcfg)
		if err != nil {
			r.Close()
			return caseResult{}, err
		}
		w, method = mw, mw.Method
	case "my2pg":
		if err := pgFreshTarget(ctx, env, dst); err != nil {
			r.Close()
			return caseResult{}, err
		}
		defer pgDrop(env, dst)
		wcfg, err := pgwriter.ParseConfig(addParam(env.PGURL, "table="+dst+"&mode="+string(mode)))
		if err != nil {
			r.Close()
			return caseResult{}, err
		}
		if w, err = pgwriter.New(wcfg); err != nil {
			r.Close()
			return caseResult{}, err
		}
	}
	t0 := time.Now()
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: workers}).Run(ctx)
	elapsed := time.Since(t0)
	if err != nil {
		return caseResult{}, err
	}
	if method != nil {
		fmt.Fprintf(os.Stderr, "  mysqlwriter method: %s\n", method())
	}
	var n int64
	switch group {
	case "my2pg":
		n, err = pgVerifyAgainstMy(ctx, env, dst)
	default:
		n, err = myVerify(ctx, env, "", dst, group == "pg2my")
	}
	if err != nil {
		return caseResult{}, err
	}
	if n != sum.RowsWritten {
		return caseResult{}, errors.New(fmt.Sprintf("summary says %d rows written, table has %d", sum.RowsWritten, n))
	}
	return caseResult{Rows: n, Bytes: mySourceBytes(ctx, env), Verified: "count+checksum", Elapsed: elapsed}, nil
}

// myDrop drops a bench target table (or database).
func myDrop(env *benchEnv, name string, database bool) {
	db, err := myOpen(env, "")
	if err != nil {
		return
	}
	defer db.Close()
	if database {
		db.Exec("DROP DATABASE IF EXISTS " + name)
		return
	}
	db.Exec("DROP TABLE IF EXISTS " + name)
}

// pgDrop drops a bench target table.
func pgDrop(env *benchEnv, name string) {
	ctx := context.Background()
	conn, err := pgConnect(ctx, env)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP TABLE IF EXISTS "+name)
}
