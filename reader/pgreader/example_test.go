package pgreader_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// Copy one table into another with four workers on one consistent snapshot.
func Example() {
	ctx := context.Background()
	rc, err := pgreader.ParseConfig("postgres://postgres@127.0.0.1:5432/bench?sslmode=disable&table=orders_src")
	if err != nil {
		log.Fatal(err)
	}
	r, err := pgreader.Open(ctx, rc)
	if err != nil {
		log.Fatal(err)
	}
	wc, err := pgwriter.ParseConfig("postgres://postgres@127.0.0.1:5432/bench?sslmode=disable&table=orders_copy&mode=overwrite")
	if err != nil {
		log.Fatal(err)
	}
	w, err := pgwriter.New(wc)
	if err != nil {
		log.Fatal(err)
	}
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 4}).Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Report())
}

// Parse a reader URL into a Config.
func ExampleParseConfig() {
	cfg, err := pgreader.ParseConfig("postgres://etl@db.example.com/shop?table=public.orders&where=status%3D'paid'&splitPk=id&sslmode=require")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Table, cfg.SplitPK, cfg.Where)
	// Output: public.orders id status='paid'
}
