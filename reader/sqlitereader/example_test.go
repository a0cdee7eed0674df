package sqlitereader_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/sqlitereader"
)

func Example() {
	dir, _ := os.MkdirTemp("", "sqlitereader-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "shop.db")
	db, _ := sql.Open("sqlite", path)
	db.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, amount DECIMAL(10,2), placed DATETIME)`)
	db.Exec(`INSERT INTO orders VALUES (1, '9.99', '2024-06-01 12:00:00.000001'), (2, 'oops', NULL)`)
	db.Close()

	ctx := context.Background()
	cfg, err := sqlitereader.ParseConfig("sqlite://" + path + "?table=orders")
	if err != nil {
		log.Fatal(err)
	}
	r, err := sqlitereader.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	schema, _ := r.Schema(ctx)
	for _, f := range schema.Fields() {
		decl, _ := f.Metadata.GetValue(sqlitereader.MetaSourceType)
		fmt.Printf("%s %s (declared %s)\n", f.Name, f.Type, decl)
	}
	splits, _ := r.Splits(ctx, 1)
	rr, err := r.Read(ctx, splits[0])
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	for rr.Next() {
		b := rr.RecordBatch()
		for i := 0; i < int(b.NumRows()); i++ {
			fmt.Println(b.Column(0).ValueStr(i), b.Column(1).ValueStr(i), b.Column(2).ValueStr(i))
		}
	}
	for _, d := range rr.(ferry.DirtyReporter).TakeDirty() {
		fmt.Printf("dirty: rowid %d column %s value %v\n", d.Row, d.Column, d.Value)
	}
	// Output:
	// id int64 (declared INTEGER)
	// amount decimal(10, 2) (declared DECIMAL(10,2))
	// placed timestamp[us] (declared DATETIME)
	// 1 9.99 2024-06-01T12:00:00.000001
	// dirty: rowid 2 column amount value oops
}
