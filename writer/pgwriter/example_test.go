package pgwriter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// Parse a writer URL that reloads one business day idempotently.
func ExampleParseConfig() {
	cfg, err := pgwriter.ParseConfig("postgres://etl@db/dw?table=ods.orders&mode=partition-overwrite&partition=biz_date%3D'20250726'&postSql=ANALYZE%20ods.orders")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Mode, cfg.Partition, cfg.PostSQL)
	// Output: partition-overwrite biz_date='20250726' [ANALYZE ods.orders]
}

// Copy a table into one with the same column types: the rows go through as
// binary COPY tuples, never decoded (set ferry.Options.NoPassthrough to
// decode them anyway).
func ExampleWriter_PassthroughFormat() {
	ctx := context.Background()
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: "postgres://postgres@127.0.0.1:5432/bench", Table: "orders_src"})
	if err != nil {
		log.Fatal(err)
	}
	w, err := pgwriter.New(pgwriter.Config{ConnString: "postgres://postgres@127.0.0.1:5432/bench", Table: "orders_copy", Mode: ferry.ModeOverwrite})
	if err != nil {
		log.Fatal(err)
	}
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 2}).Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("passthrough:", sum.Passthrough, "rows:", sum.RowsWritten)
}
