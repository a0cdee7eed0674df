package parquetreader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	_ "github.com/ferrydata/ferry/reader/jsonlreader"
	_ "github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/memwriter"
	_ "github.com/ferrydata/ferry/writer/parquetwriter"
)

// Write Parquet with small row groups and read it back by URL: one split
// per row group.
func Example() {
	dir, _ := os.MkdirTemp("", "parquetreader")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "in.jsonl")
	os.WriteFile(src, []byte("{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"), 0o644)
	ctx := context.Background()
	out := filepath.Join(dir, "t.parquet")
	r, _ := ferry.OpenReader(ctx, "jsonl://"+src)
	w, err := ferry.OpenWriter(ctx, "parquet://"+out+"?rowGroupRows=2")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := ferry.New(r, w, &ferry.Options{Concurrency: 1}).Run(ctx); err != nil {
		fmt.Println(err)
		return
	}
	pr, _ := ferry.OpenReader(ctx, "parquet://"+out)
	splits, _ := pr.Splits(ctx, 1)
	fmt.Println("splits:", len(splits))
	t := memwriter.NewTable()
	sum, err := ferry.New(pr, memwriter.New(t, nil), nil).Run(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rows:", sum.RowsWritten)
	// Output:
	// splits: 2
	// rows: 3
}
