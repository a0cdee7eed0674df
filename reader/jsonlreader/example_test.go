package jsonlreader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/jsonlreader"
)

// Read JSON Lines with inferred types; a line that is not JSON is a dirty row.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "jsonlreader")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.jsonl")
	os.WriteFile(path, []byte(`{"id":1,"kind":"click","tags":["a"]}`+"\n"+`oops`+"\n"+`{"id":2,"kind":"view","score":0.5}`+"\n"), 0o644)

	ctx := context.Background()
	r, err := jsonlreader.Open(ctx, jsonlreader.Config{Path: path})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	schema, _ := r.Schema(ctx)
	fmt.Println(schema.Field(2).Name, schema.Field(2).Type, "|", schema.Field(3).Name, schema.Field(3).Type)
	splits, _ := r.Splits(ctx, 1)
	rr, _ := r.Read(ctx, splits[0])
	defer rr.Release()
	for rr.Next() {
		fmt.Println("rows:", rr.RecordBatch().NumRows())
	}
	for _, d := range rr.(ferry.DirtyReporter).TakeDirty() {
		fmt.Println("dirty line", d.Row)
	}
	// Output:
	// tags extension<arrow.json[storage_type=utf8]> | score float64
	// rows: 2
	// dirty line 2
}
