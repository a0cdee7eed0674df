package pgwriter_test

import (
	"fmt"
	"log"

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
