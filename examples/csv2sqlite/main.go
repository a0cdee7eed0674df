// Command csv2sqlite loads a CSV file with a header into a SQLite table,
// keeping NULL apart from the empty string, and prints the run's report.
//
//	go run ./examples/csv2sqlite                      # a demo file
//	go run ./examples/csv2sqlite -csv orders.csv -db orders.db -table orders \
//	    -columns 'id:int64,customer:utf8,amount:decimal(12,2),ordered_at:timestamp[us]' -null '\N'
//
// Without -columns the column types are inferred from the first 1000
// records. With the default -null "", an empty unquoted field is NULL and a
// quoted "" is an empty string; with -null '\N' an empty field is an empty
// string. Bad lines (wrong field count, bad values) are dirty rows: the run
// tolerates -maxdirty of them and lists them.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

const demoCSV = `id,customer,note,amount,ordered_at
1,Alice,"first order, with a comma",19.99,2024-06-01 09:30:00.123456
2,Bob,,5.00,2024-06-01 10:00:00
3,"Zoë ""the"" customer","",0.50,2024-06-02 23:59:59.999999
4,Carol,"two
lines",,2024-06-03 00:00:00
5,Dave,bad amount,not-a-number,2024-06-03 01:00:00
`

func main() {
	csvPath := flag.String("csv", "", "CSV file, glob or directory (default: a demo file)")
	dbPath := flag.String("db", "", "SQLite database (default: a temporary file)")
	table := flag.String("table", "orders", "destination table")
	columns := flag.String("columns", "", "column types, e.g. id:int64,amount:decimal(12,2) (default: inferred)")
	null := flag.String("null", "", `text of NULL when unquoted (default "": empty field is NULL)`)
	maxDirty := flag.Int64("maxdirty", 10, "dirty rows tolerated")
	flag.Parse()
	if err := run(*csvPath, *dbPath, *table, *columns, *null, *maxDirty); err != nil {
		log.Fatal(err)
	}
}

func run(csvPath, dbPath, table, columns, null string, maxDirty int64) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "csv2sqlite")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if csvPath == "" {
		csvPath = filepath.Join(tmp, "orders.csv")
		if err := os.WriteFile(csvPath, []byte(demoCSV), 0o644); err != nil {
			return err
		}
		if columns == "" {
			columns = "id:int64,customer:utf8,note:utf8,amount:decimal(12,2),ordered_at:timestamp[us]"
		}
	}
	if dbPath == "" {
		dbPath = filepath.Join(tmp, "orders.db")
	}

	cfg := csvreader.Config{Path: csvPath, NullString: null}
	if columns != "" {
		if cfg.Schema, err = csvreader.ParseColumns(columns); err != nil {
			return err
		}
	}
	r, err := csvreader.Open(ctx, cfg)
	if err != nil {
		return err
	}
	w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: dbPath, Table: table, Mode: ferry.ModeOverwrite})
	if err != nil {
		return err
	}
	var bad []dirty.Record
	sum, err := ferry.New(r, w, &ferry.Options{
		Dirty: dirty.TolerateRows(maxDirty),
		DirtySinks: []dirty.Sink{dirty.SinkFunc(func(_ context.Context, rec dirty.Record) error {
			bad = append(bad, rec)
			return nil
		})},
	}).Run(ctx)
	if sum != nil {
		fmt.Print(sum.Report())
	}
	for _, rec := range bad {
		fmt.Printf("dirty: %s line %d column %q value %v: %s\n", rec.Split, rec.Row, rec.Column, rec.Value, rec.Reason)
	}
	if err != nil {
		return err
	}

	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT id, customer, note IS NULL, quote(note), quote(amount) FROM "%s" ORDER BY id`, table))
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Println("id | customer | note is NULL | note | amount")
	for rows.Next() {
		var id int64
		var customer, note, amount string
		var isNull bool
		if err := rows.Scan(&id, &customer, &isNull, &note, &amount); err != nil {
			return err
		}
		fmt.Printf("%d | %s | %v | %s | %s\n", id, customer, isNull, note, amount)
	}
	return rows.Err()
}
