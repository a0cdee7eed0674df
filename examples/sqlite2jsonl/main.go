// Command sqlite2jsonl exports a SQLite table (or query) to a JSON Lines
// file, one object per row, through Ferry's URL registry:
//
//	go run ./examples/sqlite2jsonl -from 'sqlite:///data/shop.db?table=orders' -to 'jsonl:///tmp/orders.jsonl'
//
// Any sqlitereader URL parameter works in -from (columns, where, querySql,
// ...), any jsonlwriter parameter in -to. Rows whose values do not fit their
// declared SQLite type are skipped and listed in the report (up to -maxDirty
// of them; more fail the run).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	_ "github.com/ferrydata/ferry/reader/sqlitereader" // sqlite:// reader
	_ "github.com/ferrydata/ferry/writer/jsonlwriter"  // jsonl:// writer
)

func main() {
	from := flag.String("from", "", "source URL, for example sqlite:///data/shop.db?table=orders")
	to := flag.String("to", "", "destination URL, for example jsonl:///tmp/orders.jsonl")
	maxDirty := flag.Int64("maxDirty", 0, "dirty rows tolerated before the run fails")
	flag.Parse()
	if *from == "" || *to == "" {
		flag.Usage()
		os.Exit(2)
	}
	if _, err := run(context.Background(), *from, *to, *maxDirty, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run copies from into to with one worker (one output file) and prints the
// report to out.
func run(ctx context.Context, from, to string, maxDirty int64, out io.Writer) (*ferry.Summary, error) {
	r, err := ferry.OpenReader(ctx, from)
	if err != nil {
		return nil, err
	}
	w, err := ferry.OpenWriter(ctx, to)
	if err != nil {
		r.Close()
		return nil, err
	}
	sum, err := ferry.New(r, w, &ferry.Options{
		Concurrency: 1,
		Dirty:       dirty.TolerateRows(maxDirty),
		DirtySinks:  []dirty.Sink{&dirty.LogSink{}},
	}).Run(ctx)
	if sum != nil {
		fmt.Fprint(out, sum.Report())
	}
	return sum, err
}
