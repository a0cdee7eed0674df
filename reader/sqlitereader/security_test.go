package sqlitereader_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/sqlitereader"
)

// injectionPayloads are names that broke or tried to break out of an
// identifier; each becomes the name of a real table or column, so a reader
// that quotes it right reads it, and one that pastes it runs the payload.
var injectionPayloads = []string{
	`x (x int); DROP TABLE victim; CREATE TABLE IF NOT EXISTS "y"`,
	`t"; DROP TABLE victim; --`,
	`t" ; DROP TABLE victim; SELECT "`,
	"t`; DROP TABLE victim; -- ",
	`t]; DROP TABLE victim; --`,
	`'); DROP TABLE victim; --`,
	`a.b`, `""`, `名前 🚀`,
}

// Every payload through table, columns and splitPk, by Config and by URL:
// the reader reads exactly the payload-named table and column, and the victim
// table survives. A where with a second statement is refused before any SQL
// runs.
func TestInjectionReader(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inj.db")
	exec(t, path, `CREATE TABLE victim (v INTEGER)`, `INSERT INTO victim VALUES (42)`)
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for i, p := range injectionPayloads {
		exec(t, path, `CREATE TABLE `+q(p)+` (`+q(p)+` INTEGER PRIMARY KEY, `+q(p+"2")+` TEXT)`,
			`INSERT INTO `+q(p)+` VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
		// The table parameter is "schema.table" syntax: a payload that holds
		// a dot or a quote is given quoted, the way a user names such a table.
		table := p
		if strings.ContainsAny(p, `".`) {
			table = q(p)
		}
		for _, via := range []string{"config", "url"} {
			var r ferry.Reader
			var err error
			cfg := sqlitereader.Config{Path: path, Table: table, Columns: []string{p + "2", p}, SplitPK: p}
			if via == "config" {
				r, err = sqlitereader.Open(ctx, cfg)
			} else {
				v := url.Values{"table": {table}, "splitPk": {p}}
				if !strings.Contains(p, ",") && strings.TrimSpace(p) == p { // columns are trimmed
					v.Set("columns", p+"2,"+p)
				}
				r, err = ferry.OpenReader(ctx, "sqlite://"+path+"?"+v.Encode())
			}
			if err != nil {
				t.Fatalf("payload %d %q via %s: %v", i, p, via, err)
			}
			rows, bad := readAll(t, r, 3)
			r.Close()
			if len(rows) != 3 || len(bad) != 0 {
				t.Errorf("payload %d %q via %s: read %v (dirty %v), want 3 rows", i, p, via, rows, bad)
			}
		}
		// A table that does not exist is named in the error, nothing runs.
		if _, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: path, Table: q(p + "_missing")}); err == nil || !strings.Contains(err.Error(), "no table or view") {
			t.Errorf("payload %d: missing table: %v", i, err)
		}
	}
	for _, where := range []string{"1=1); DROP TABLE victim; --", "1=1; DROP TABLE victim", "v = 1 -- x"} {
		_, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: path, Table: "victim", Where: where})
		if err == nil || !strings.Contains(err.Error(), "sqlitereader: where: ") {
			t.Errorf("where %q: got %v, want it refused", where, err)
		}
	}
	db := query1(t, path, `SELECT count(*) FROM victim WHERE v = 42`)
	if db != "1" {
		t.Fatalf("victim table: %s", db)
	}
}

// A directory given as the database says so, not "disk I/O error".
func TestDirectoryIsNotADatabase(t *testing.T) {
	dir := t.TempDir()
	_, err := sqlitereader.Open(context.Background(), sqlitereader.Config{Path: dir, Table: "t"})
	if err == nil || !strings.Contains(err.Error(), dir+" is a directory, not a database file") {
		t.Errorf("got %v", err)
	}
}

// The fields carry the ferry.Meta* keys: declared type, engine, NOT NULL,
// primary key position and character length.
func TestFieldMetadata(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	exec(t, path, `CREATE TABLE m (a TEXT NOT NULL, id INTEGER, code VARCHAR(16), c CHAR(3) NOT NULL, d DECIMAL(10,2), PRIMARY KEY (id, a))`,
		`CREATE TABLE r (id INTEGER PRIMARY KEY, s NVARCHAR(40))`)
	ctx := context.Background()
	for _, tc := range []struct {
		table string
		want  map[string]string // column -> "type|engine|notnull|pk|len"
	}{
		{"m", map[string]string{"a": "TEXT|sqlite|true|2|", "id": "INTEGER|sqlite||1|", "code": "VARCHAR(16)|sqlite|||16", "c": "CHAR(3)|sqlite|true||3", "d": "DECIMAL(10,2)|sqlite|||"}},
		{"r", map[string]string{"id": "INTEGER|sqlite|true|1|", "s": "NVARCHAR(40)|sqlite|||40"}},
	} {
		r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: path, Table: "main." + tc.table})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := r.Schema(ctx)
		for _, f := range s.Fields() {
			got := strings.Join([]string{ferry.FieldMeta(f, ferry.MetaSourceType), ferry.FieldMeta(f, ferry.MetaSourceEngine),
				ferry.FieldMeta(f, ferry.MetaNotNull), ferry.FieldMeta(f, ferry.MetaPrimaryKey), ferry.FieldMeta(f, ferry.MetaCharLength)}, "|")
			if got != tc.want[f.Name] {
				t.Errorf("%s.%s: metadata %s, want %s", tc.table, f.Name, got, tc.want[f.Name])
			}
		}
		if tc.table == "m" && strings.Join(ferry.PrimaryKey(s), ",") != "id,a" {
			t.Errorf("primary key %v", ferry.PrimaryKey(s))
		}
		r.Close()
	}
}

func query1(t *testing.T, path, q string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
