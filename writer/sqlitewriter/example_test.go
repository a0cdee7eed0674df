package sqlitewriter_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

func Example() {
	dir, _ := os.MkdirTemp("", "sqlitewriter-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "out.db")
	ctx := context.Background()

	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	b.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(150)) // 1.50
	b.Field(1).AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()

	cfg, err := sqlitewriter.ParseConfig("sqlite://" + path + "?table=orders&mode=upsert&key=id")
	if err != nil {
		log.Fatal(err)
	}
	w, err := sqlitewriter.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	if err := w.Prepare(ctx, schema); err != nil {
		log.Fatal(err)
	}
	bw, _ := w.Open(ctx)
	if err := bw.Write(ctx, rec); err != nil {
		log.Fatal(err)
	}
	bw.Close(ctx)
	if err := w.Commit(ctx); err != nil {
		log.Fatal(err)
	}

	db, _ := sql.Open("sqlite", path)
	defer db.Close()
	var ddl, amount string
	db.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 'orders'`).Scan(&ddl)
	db.QueryRow(`SELECT amount FROM orders WHERE id = 1`).Scan(&amount)
	fmt.Println(ddl)
	fmt.Println(amount)
	// Output:
	// CREATE TABLE "orders" ("id" INTEGER NOT NULL, "amount" DECIMAL TEXT(10,2), PRIMARY KEY ("id"))
	// 1.50
}
