package csvreader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/csvreader"
)

// Read a CSV file with typed columns; the bad line is reported as a dirty
// row, not a failure.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "csvreader")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.csv")
	os.WriteFile(path, []byte("id,customer,amount\n1,Alice,19.99\n2,,5\n3,\"\",x\n4,\"Zoë, \"\"Z\"\"\",0.5\n"), 0o644)

	ctx := context.Background()
	schema, _ := csvreader.ParseColumns("id:int64,customer:utf8,amount:decimal(12,2)")
	r, err := csvreader.Open(ctx, csvreader.Config{Path: path, Schema: schema})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	splits, _ := r.Splits(ctx, 1)
	rr, _ := r.Read(ctx, splits[0])
	defer rr.Release()
	for rr.Next() {
		b := rr.RecordBatch()
		for i := 0; i < int(b.NumRows()); i++ {
			fmt.Println(b.Column(0).ValueStr(i), b.Column(1).ValueStr(i), b.Column(2).ValueStr(i))
		}
	}
	for _, d := range rr.(ferry.DirtyReporter).TakeDirty() {
		fmt.Println("dirty line", d.Row, "column", d.Column)
	}
	// Output:
	// 1 Alice 19.99
	// 2 (null) 5
	// 4 Zoë, "Z" 0.5
	// dirty line 4 column amount
}
