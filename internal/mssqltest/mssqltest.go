// Package mssqltest gives the SQL Server connectors' tests the server named
// by FERRY_TEST_SQLSERVER_DSN. No SQL Server runs on Ferry's development
// machines or CI, so these tests skip (with a message saying why) unless a
// user with a server sets the variable; FERRY_REQUIRE_SQLSERVER=1 makes a
// missing or unreachable server fail them instead.
package mssqltest

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/microsoft/go-mssqldb" // the "sqlserver" database/sql driver

	"github.com/ferrydata/ferry/internal/sqlident"
)

// Env is the variable holding the test server's sqlserver:// URL, for
// example sqlserver://sa:Passw0rd!@127.0.0.1:1433?database=ferrytest.
const Env = "FERRY_TEST_SQLSERVER_DSN"

// Require reports whether FERRY_REQUIRE_SQLSERVER=1.
func Require() bool { return os.Getenv("FERRY_REQUIRE_SQLSERVER") == "1" }

// URL returns the test server's URL and an open, pinged *sql.DB on it, or
// skips t (fails it under FERRY_REQUIRE_SQLSERVER=1). The DB is closed
// when t ends.
func URL(t testing.TB) (string, *sql.DB) {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if Require() {
			t.Fatalf("%s is not set and FERRY_REQUIRE_SQLSERVER=1", Env)
		}
		t.Skipf("no SQL Server: set %s=sqlserver://user:pass@host:1433?database=db to run this test against a real server (it cannot run on Ferry's machines)", Env)
	}
	db, err := sql.Open("sqlserver", u)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		if Require() {
			t.Fatalf("SQL Server at %s unreachable and FERRY_REQUIRE_SQLSERVER=1: %v", Env, err)
		}
		t.Skipf("SQL Server at %s unreachable: %v", Env, err)
	}
	t.Cleanup(func() { db.Close() })
	return u, db
}

// With returns base with the query parameters params ("a=1&b=2") added.
func With(base, params string) string {
	if strings.Contains(base, "?") {
		return base + "&" + params
	}
	return base + "?" + params
}

// Name returns a table name unique to this test run, prefixed with
// "ferry_mssql_" so that concurrent tests of other packages never collide.
func Name(what string) string {
	return fmt.Sprintf("ferry_mssql_%s_%d", what, rand.Uint64()%1e12)
}

// Drop drops table at the end of t.
func Drop(t testing.TB, db *sql.DB, table string) {
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + sqlident.SQLServer.MustQuote(table)) })
}

// Update is the -update flag of the tests that use Golden.
var Update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden compares got with testdata/name.golden, rewriting the file first
// under -update.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *Update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
