package sqlitewriter_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	mrand "math/rand/v2"

	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	_ "github.com/ferrydata/ferry/reader/mysqlreader"
	_ "github.com/ferrydata/ferry/reader/sqlitereader"
)

// createdDDL syncs from into a new SQLite file with create=true and returns
// the DDL of the table the writer created.
func createdDDL(t *testing.T, from string) string {
	t.Helper()
	ctx := context.Background()
	dest := filepath.Join(t.TempDir(), "created.db")
	r, err := ferry.OpenReader(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ferry.OpenWriter(ctx, "sqlite://"+dest+"?table=t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ferry.New(r, w, nil).Run(ctx); err != nil {
		t.Fatal(err)
	}
	return query(t, dest, "SELECT sql FROM sqlite_schema WHERE name = 't'")
}

// SQLite → SQLite with create=true: the declared types, NOT NULL and the
// primary key survive; NUMERIC affinity becomes DECIMAL TEXT (exact).
func TestCreateKeepsSQLiteDeclaredTypes(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src.db")
	db, _ := sql.Open("sqlite", src)
	for _, s := range []string{
		`CREATE TABLE s (id INTEGER NOT NULL, code VARCHAR(16) NOT NULL, amount DECIMAL(10,2), at DATETIME, PRIMARY KEY (code, id))`,
		`INSERT INTO s VALUES (1, 'a', '1.50', '2024-01-01 00:00:00')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	got := createdDDL(t, "sqlite://"+src+"?table=s")
	want := `CREATE TABLE "t" ("id" INTEGER NOT NULL, "code" VARCHAR(16) NOT NULL, "amount" DECIMAL TEXT(10,2), "at" DATETIME, PRIMARY KEY ("code", "id"))`
	if got != want {
		t.Errorf("created\n %s\nwant\n %s", got, want)
	}
}

// MariaDB → SQLite with create=true: varchar(16) → VARCHAR(16), char(2) →
// CHAR(2), decimals, NOT NULL and the primary key.
func TestCreateKeepsMySQLDeclaredTypes(t *testing.T) {
	base := testenv.MySQLURL()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c := mysql.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net, c.Addr, c.DBName = "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
	db := testenv.Ping(t, "mysql", c.FormatDSN(), "MariaDB")
	defer db.Close()
	name := fmt.Sprintf("sqlitew_create_%d", testRand())
	if _, err := db.Exec("CREATE TABLE " + name + " (id BIGINT NOT NULL PRIMARY KEY, code VARCHAR(16) NOT NULL, cc CHAR(2), amount DECIMAL(10,2), note TEXT)"); err != nil {
		t.Fatal(err)
	}
	defer db.Exec("DROP TABLE IF EXISTS " + name)
	if _, err := db.Exec("INSERT INTO " + name + " VALUES (1, 'x', 'de', 1.50, 'n')"); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	got := createdDDL(t, base+sep+"table="+name)
	want := `CREATE TABLE "t" ("id" INTEGER NOT NULL, "code" VARCHAR(16) NOT NULL, "cc" CHAR(2), "amount" DECIMAL TEXT(10,2), "note" TEXT, PRIMARY KEY ("id"))`
	if got != want {
		t.Errorf("created\n %s\nwant\n %s", got, want)
	}
}

func testRand() uint64 { return mrand.Uint64() % 1e12 }
