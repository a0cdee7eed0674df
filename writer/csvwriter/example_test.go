package csvwriter_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	_ "github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/writer/csvwriter"
)

// Convert JSON Lines to CSV with \N for NULL: the empty string and the
// text \N stay distinct from NULL.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "csvwriter")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "in.jsonl")
	os.WriteFile(src, []byte(`{"id":1,"s":"a, \"b\""}`+"\n"+`{"id":2,"s":null}`+"\n"+`{"id":3,"s":""}`+"\n"+`{"id":4,"s":"\\N"}`+"\n"), 0o644)

	ctx := context.Background()
	r, _ := ferry.OpenReader(ctx, "jsonl://"+src+"?columns=id:int64,s:utf8")
	out := filepath.Join(dir, "out.csv")
	w, _ := csvwriter.Open(ctx, csvwriter.Config{Path: out, NullString: `\N`})
	if _, err := ferry.New(r, w, &ferry.Options{Concurrency: 1}).Run(ctx); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))
	// Output:
	// id,s
	// 1,"a, ""b"""
	// 2,\N
	// 3,
	// 4,"\N"
}
