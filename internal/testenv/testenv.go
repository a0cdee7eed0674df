// Package testenv gives integration tests the DSNs of the real databases on
// the machine, and skips or fails a test when a database is unreachable.
package testenv

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"
)

// RequireDB reports whether FERRY_REQUIRE_DB=1: an unreachable database then
// fails the test instead of skipping it.
func RequireDB() bool { return os.Getenv("FERRY_REQUIRE_DB") == "1" }

// PostgresURL returns FERRY_TEST_POSTGRES_DSN, or the local server's database
// "test" as a postgres:// URL.
func PostgresURL() string {
	if s := os.Getenv("FERRY_TEST_POSTGRES_DSN"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// MySQLURL returns FERRY_TEST_MYSQL_DSN, or the local server's database
// "test" as a mysql:// URL.
func MySQLURL() string {
	if s := os.Getenv("FERRY_TEST_MYSQL_DSN"); s != "" {
		return s
	}
	return "mysql://root@127.0.0.1:3306/test"
}

// Unreachable skips t (or fails it under FERRY_REQUIRE_DB=1) because the
// database named what cannot be reached.
func Unreachable(t testing.TB, what string, err error) {
	t.Helper()
	if RequireDB() {
		t.Fatalf("%s unreachable and FERRY_REQUIRE_DB=1: %v", what, err)
	}
	t.Skipf("%s unreachable (set FERRY_REQUIRE_DB=1 to fail instead): %v", what, err)
}

// Ping opens db with driver and dsn and pings it within 5 seconds, calling
// Unreachable when it fails. The caller closes db.
func Ping(t testing.TB, driver, dsn, what string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		Unreachable(t, what, err)
	}
	return db
}
