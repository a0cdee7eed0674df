package sqlitereader_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/reader/sqlitereader"
	"github.com/ferrydata/ferry/writer/sqlitewriter"
)

// sqliteColumns are the standard columns SQLite holds exactly (see README.md
// for the others).
var sqliteColumns = []string{"i16", "i32", "i64", "u8", "u16", "u32", "dec", "dec256", "f32", "f64", "bin", "flag", "day", "tod", "ts", "tstz", "uid", "doc", "ints", "strs", "span", "vec"}

// store writes data into table t of a new database file with sqlitewriter
// and returns the file's path.
func store(t *testing.T, ctx context.Context, data arrow.RecordBatch, key []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.db")
	w, err := sqlitewriter.Open(ctx, sqlitewriter.Config{Path: path, Table: "t", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Prepare(ctx, data.Schema()); err != nil {
		t.Fatal(err)
	}
	bw, err := w.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Write(ctx, data); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []string // id as INTEGER PRIMARY KEY (the rowid) or a plain column
	}{{"RowidKey", []string{"id"}}, {"NoKey", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			connectortest.RunReaderTests(t, connectortest.ReaderHarness{
				New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
					path := store(t, ctx, data, tc.key)
					r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: path, Table: "t", BatchRows: batchRows, Allocator: mem})
					if err != nil {
						t.Fatal(err)
					}
					return r
				},
				Columns: sqliteColumns,
			})
		})
	}
	t.Run("SplitPK", func(t *testing.T) {
		connectortest.RunReaderTests(t, connectortest.ReaderHarness{
			New: func(t *testing.T, ctx context.Context, mem memory.Allocator, data arrow.RecordBatch, batchRows int) ferry.Reader {
				path := store(t, ctx, data, nil)
				r, err := sqlitereader.Open(ctx, sqlitereader.Config{Path: path, Table: "t", SplitPK: "id", BatchRows: batchRows, Allocator: mem})
				if err != nil {
					t.Fatal(err)
				}
				return r
			},
			Columns: sqliteColumns,
		})
	})
}
