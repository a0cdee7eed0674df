package parquetwriter_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// Convert a CSV file to Parquet with the Pipeline, then read the schema
// back: types and time zones survive.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "parquetwriter")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "events.csv")
	os.WriteFile(src, []byte("id,at,doc\n1,2024-06-01T10:00:00.000001Z,\"{\"\"a\"\":1}\"\n2,,\n"), 0o644)

	ctx := context.Background()
	r, err := ferry.OpenReader(ctx, "csv://"+src+"?columns=id:int64,at:timestamp[us,UTC],doc:json")
	if err != nil {
		fmt.Println(err)
		return
	}
	out := filepath.Join(dir, "events.parquet")
	w, err := parquetwriter.Open(ctx, parquetwriter.Config{Path: out, Compression: "zstd"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 1}).Run(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rows written:", sum.RowsWritten)

	pr, _ := parquetreader.Open(ctx, parquetreader.Config{Path: out})
	defer pr.Close()
	schema, _ := pr.Schema(ctx)
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	// Output:
	// rows written: 2
	// id int64
	// at timestamp[us, tz=UTC]
	// doc extension<arrow.json[storage_type=utf8]>
}

var _ = csvreader.ParseColumns
