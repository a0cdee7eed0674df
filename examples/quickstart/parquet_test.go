package main

import (
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// checkParquet checks that the Parquet export holds want rows.
func checkParquet(t *testing.T, res *result, want int64) {
	t.Helper()
	if res.Export == nil || res.Export.RowsWritten != want {
		t.Fatalf("export summary %+v, want %d rows written", res.Export, want)
	}
	f, err := file.OpenParquetFile(res.Parquet, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.NumRows(); got != want {
		t.Errorf("%s has %d rows, want %d", res.Parquet, got, want)
	}
	if got := f.MetaData().Schema.NumColumns(); got != 9 {
		t.Errorf("%s has %d columns, want 9", res.Parquet, got)
	}
}
