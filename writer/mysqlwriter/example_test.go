package mysqlwriter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/mysqlreader"
	"github.com/ferrydata/ferry/writer/mysqlwriter"
)

// Copy a MySQL table into another server, replacing the target's rows
// atomically.
func Example() {
	ctx := context.Background()
	r, err := ferry.OpenReader(ctx, "mysql://root@127.0.0.1:3306/shop?table=orders&splitPk=id")
	if err != nil {
		log.Fatal(err)
	}
	w, err := ferry.OpenWriter(ctx, "mysql://root@127.0.0.1:3306/warehouse?table=orders&mode=overwrite")
	if err != nil {
		log.Fatal(err)
	}
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Report())
	fmt.Println("method:", w.(*mysqlwriter.Writer).Method())
}

var _ = mysqlreader.Open

// ParseConfig checks the parameters without connecting.
func ExampleParseConfig() {
	_, err := mysqlwriter.ParseConfig("mysql://u:secret@db.example/shop?table=orders&mode=partition-overwrite")
	fmt.Println(err)
	// Output:
	// mysqlwriter: mode partition-overwrite needs partition (an SQL condition)
}
