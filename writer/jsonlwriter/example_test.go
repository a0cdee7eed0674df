package jsonlwriter_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	_ "github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
)

// Convert CSV to JSON Lines: typed values, decimals as exact strings,
// NaN as a string, NULL as null.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "jsonlwriter")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "in.csv")
	os.WriteFile(src, []byte("id,name,price,score\n1,\"tab\there\",12.50,NaN\n2,,0.10,1.5\n"), 0o644)

	ctx := context.Background()
	r, _ := ferry.OpenReader(ctx, "csv://"+src+"?columns=id:int64,name:utf8,price:decimal(10,2),score:float64")
	out := filepath.Join(dir, "out.jsonl")
	w, _ := jsonlwriter.Open(ctx, jsonlwriter.Config{Path: out})
	if _, err := ferry.New(r, w, &ferry.Options{Concurrency: 1}).Run(ctx); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))
	// Output:
	// {"id":1,"name":"tab\there","price":"12.50","score":"NaN"}
	// {"id":2,"name":null,"price":"0.10","score":1.5}
}
