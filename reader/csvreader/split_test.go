package csvreader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/reader/csvreader"
)

// readSplits reads every split of r (in order, in reverse order, or all at
// once, one goroutine per split) and returns each split's rows as text and
// its dirty rows, in split order.
func readSplits(t testing.TB, r ferry.Reader, order string) (rows, bad []string) {
	t.Helper()
	ctx := context.Background()
	splits, err := r.Splits(ctx, 4)
	require.NoError(t, err)
	rowsOf := make([][]string, len(splits))
	badOf := make([][]string, len(splits))
	read := func(i int) error {
		rr, err := r.Read(ctx, splits[i])
		if err != nil {
			return err
		}
		defer rr.Release()
		take := func() {
			for _, e := range rr.(ferry.DirtyReporter).TakeDirty() {
				badOf[i] = append(badOf[i], fmt.Sprintf("row %d column %q value %q: %v", e.Row, e.Column, e.Value, e.Err))
			}
		}
		for rr.Next() {
			b := rr.RecordBatch()
			for k := 0; k < int(b.NumRows()); k++ {
				var sb strings.Builder
				for c := 0; c < int(b.NumCols()); c++ {
					col := b.Column(c)
					if col.IsNull(k) {
						sb.WriteString("NULL|")
					} else {
						fmt.Fprintf(&sb, "%q|", col.ValueStr(k))
					}
				}
				rowsOf[i] = append(rowsOf[i], sb.String())
			}
			take()
		}
		take()
		return rr.Err()
	}
	switch order {
	case "forward":
		for i := range splits {
			require.NoError(t, read(i), splits[i].ID)
		}
	case "reverse":
		for i := len(splits) - 1; i >= 0; i-- {
			require.NoError(t, read(i), splits[i].ID)
		}
	case "concurrent":
		errs := make([]error, len(splits))
		var wg sync.WaitGroup
		for i := range splits {
			wg.Go(func() { errs[i] = read(i) })
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, splits[i].ID)
		}
	}
	return slices.Concat(rowsOf...), slices.Concat(badOf...)
}

// checkSplits reads data in one split and in splits of every size in sizes
// (in every order): the same rows, in the same order, and the same dirty
// rows (line numbers, values and errors) each time.
func checkSplits(t testing.TB, data string, cfg csvreader.Config, sizes []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.csv")
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	cfg.Path, cfg.Allocator = path, mem
	one := cfg
	one.SplitBytes = -1
	r1, err := csvreader.Open(context.Background(), one)
	if err != nil {
		for _, size := range sizes {
			cfg.SplitBytes = size
			_, err2 := csvreader.Open(context.Background(), cfg)
			require.Error(t, err2)
		}
		return
	}
	wantRows, wantBad := readSplits(t, r1, "forward")
	require.NoError(t, r1.Close())
	for _, size := range sizes {
		for _, order := range []string{"forward", "reverse", "concurrent"} {
			cfg.SplitBytes = size
			r, err := csvreader.Open(context.Background(), cfg)
			require.NoError(t, err)
			rows, bad := readSplits(t, r, order)
			require.NoError(t, r.Close())
			require.Equal(t, wantRows, rows, "splitBytes %d, %s", size, order)
			require.Equal(t, wantBad, bad, "splitBytes %d, %s", size, order)
		}
	}
}

// TestSplitsAtRecordStarts: files cut into byte ranges of every size from 1
// byte up read exactly as one split, whatever falls on a range's first
// byte: a quoted line break, a doubled quote, a CRLF, the BOM, the header,
// the file's last byte, a bad record the parser resynchronises after, or
// an oversized record.
func TestSplitsAtRecordStarts(t *testing.T) {
	schema, err := fileset.ParseColumns("id:int64,s:utf8,n:decimal(12,2)")
	require.NoError(t, err)
	sizes := []int64{1, 2, 3, 4, 5, 7, 11, 16, 64, 1 << 20}
	for name, data := range map[string]string{
		"empty":                "",
		"header only":          "id,s,n\n",
		"header only, no EOL":  "id,s,n",
		"one row":              "id,s,n\n1,a,2\n",
		"no final line break":  "id,s,n\n1,a,2\n2,b,3",
		"quoted line breaks":   "id,s,n\n1,\"a\nb\n\nc\",2\n2,\"\n\",3\n3,\"x,\"\"y\"\"\n\",4\n",
		"crlf":                 "id,s,n\r\n1,\"a\r\nb\",2\r\n2,b,3\r\n\r\n3,c,4\r\n",
		"bom":                  "\xEF\xBB\xBFid,s,n\n1,a,2\n2,b,3\n",
		"ragged":               "id,s,n\n1,a\n2,b,3,4\n3,c,4\n\n4,d,5\n",
		"bad values":           "id,s,n\nx,a,2\n2,b,y\n3,\xff,4\n4,d,5\n",
		"unterminated quote":   "id,s,n\n1,\"a,2\n2,b,3\n3,c,4\n",
		"after closing quote":  "id,s,n\n1,\"a\"b,2\n2,\"b\nc\",3\n3,c,4\n",
		"stray quote":          "id,s,n\n1,ab\"c,2\n2,\"x\"\"\",3\n",
		"cr after quote":       "id,s,n\n1,\"a\"\rx,2\n2,b,3\n",
		"oversized record":     "id,s,n\n1,abcdefghijklmnopqrstuvwxyz,2\n3,\"a\nbbbbbbbbbbbbbbbbbb\n\",4\n5,c,6\n6,d,7\n",
		"blank lines":          "id,s,n\n\n\n1,a,2\n\n2,b,3\n\n",
		"columns out of order": "n,id,s\n2,1,a\n3,2,\"b\nc\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			checkSplits(t, data, csvreader.Config{Schema: schema, BatchRows: 2}, sizes)
			checkSplits(t, data, csvreader.Config{Schema: schema, BatchRows: 3, MaxRecordBytes: 20}, sizes)
			checkSplits(t, data, csvreader.Config{Schema: schema, NoHeader: true, BatchRows: 2}, sizes)
			checkSplits(t, data, csvreader.Config{BatchRows: 2}, sizes) // inferred
		})
	}
}

// TestSplitsLarge: many records with quoted line breaks, cut into ranges
// far smaller and somewhat smaller than a record, read in any order.
func TestSplitsLarge(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("id,s,n\n")
	for i := 1; i <= 2000; i++ {
		switch i % 7 {
		case 0:
			fmt.Fprintf(&sb, "%d,\"multi\nline \"\"%d\"\"\r\n\",%d.5\n", i, i, i)
		case 3:
			fmt.Fprintf(&sb, "%d,,\n", i)
		case 5:
			fmt.Fprintf(&sb, "%d,x\n", i) // ragged: dirty
		default:
			fmt.Fprintf(&sb, "%d,plain %d,%d\r\n", i, i, i)
		}
	}
	schema, err := fileset.ParseColumns("id:int64,s:utf8,n:decimal(12,2)")
	require.NoError(t, err)
	checkSplits(t, sb.String(), csvreader.Config{Schema: schema, BatchRows: 100}, []int64{13, 97, 1000, 4096, 40000})
}

// FuzzSplitsExact: arbitrary bytes cut into ranges of an arbitrary size,
// read in every order, give exactly the rows and dirty rows of one split.
func FuzzSplitsExact(f *testing.F) {
	for _, s := range []string{
		"id,s,n\n1,a,2\n",
		"id,s,n\n1,\"q\"\"uote\nnl\",3\n2,,\n",
		"id,s,n\n1,\"unterminated\n2,x,3\n",
		"id,s,n\n1,\"a\"b,3\n\n\n4,\xff,5\r\n",
		"\xEF\xBB\xBFid,s,n\n-9223372036854775808,\\N,1e400\n",
		"id,s,n\n1,abcdefghijklmnopqrstuvwxyz,2\n3,\"a\nbbbbbbbbbbbbbbbbbb\n\",4\n5,c,6\n",
	} {
		f.Add([]byte(s), uint8(3), false)
		f.Add([]byte(s), uint8(1), true)
	}
	schema, err := fileset.ParseColumns("id:int64,s:utf8,n:decimal(12,2)")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint8, limit bool) {
		cfg := csvreader.Config{Schema: schema, BatchRows: 3}
		if limit {
			cfg.MaxRecordBytes = 12
		}
		checkSplits(t, string(data), cfg, []int64{int64(size%64) + 1})
	})
}
