package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/sqlitereader"
	"github.com/ferrydata/ferry/writer/parquetwriter"
)

// exportParquet copies the synced table into one Parquet file (one worker:
// the Parquet writer writes a file per worker).
func exportParquet(ctx context.Context, res *result, out io.Writer) error {
	r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: res.Dest, Table: "orders"})
	if err != nil {
		return err
	}
	w, err := parquetwriter.Open(ctx, parquetwriter.Config{Path: res.Parquet, Mode: ferry.ModeOverwrite})
	if err != nil {
		return err
	}
	res.Export, err = ferry.New(r, w, &ferry.Options{Concurrency: 1}).Run(ctx)
	if res.Export != nil {
		fmt.Fprintf(out, "== %s -> %s\n%s\n", filepath.Base(res.Dest), filepath.Base(res.Parquet), res.Export.Report())
	}
	return err
}
