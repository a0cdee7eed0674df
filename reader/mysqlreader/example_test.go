package mysqlreader_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ferrydata/ferry/reader/mysqlreader"
)

// Open a reader on a table, cut into key ranges read on one snapshot.
func Example() {
	ctx := context.Background()
	cfg, err := mysqlreader.ParseConfig("mysql://root@127.0.0.1:3306/test?table=orders&splitPk=id&timeZone=Asia/Shanghai")
	if err != nil {
		log.Fatal(err)
	}
	cfg.BatchRows = 50_000
	r, err := mysqlreader.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	splits, err := r.Splits(ctx, 4)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range splits {
		rr, err := r.Read(ctx, s)
		if err != nil {
			log.Fatal(err)
		}
		for rr.Next() {
			fmt.Println(s.ID, rr.RecordBatch().NumRows())
		}
		rr.Release()
	}
}

// ParseConfig checks the parameters without connecting.
func ExampleParseConfig() {
	_, err := mysqlreader.ParseConfig("mysql://u:secret@db.example/shop?table=orders&splitpk=id")
	fmt.Println(err)
	// Output:
	// mysqlreader: unknown URL parameter splitpk (did you mean splitPk?)
}
