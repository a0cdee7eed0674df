package csvreader_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/csvreader"
)

// TestDirtyValuesAreTheRecordText: a dirty row's Value is its record's
// text (the parser keeps a one-line record where it was read, a record of
// several lines in its own buffer), also when the next lines overwrite
// the read buffer, for one-line and multi-line records, a line longer than
// the read buffer, and after a resynchronisation.
func TestDirtyValuesAreTheRecordText(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema, err := fileset.ParseColumns("id:int64,s:utf8")
	require.NoError(t, err)
	long := strings.Repeat("L", 300<<10) // longer than the parser's 256 KiB read buffer
	for _, tc := range []struct {
		name, data string
		want       []string // the dirty values, in order
		rows       int64
	}{
		{"field count", "id,s\n1,a,x\n2,b\n", []string{"1,a,x"}, 1},
		{"bad value", "id,s\nx1,a\n2,b\n", []string{"x1"}, 1},
		{"after quote", "id,s\n1,\"a\"b\n2,c\n", []string{"1,\"a\"b\n"}, 1},
		{"after quote, multi-line", "id,s\n1,\"a\nb\"c\n2,d\n", []string{"1,\"a\n", "b\"c"}, 1}, // resynchronised: b"c is a record
		{"field count, multi-line", "id,s\n1,\"a\nb\",x\n2,d\n", []string{"1,\"a\nb\",x"}, 1},
		{"long line, field count", "id,s\n1," + long + ",x\n2,d\n", []string{"1," + long + ",x"}, 1},
		{"long multi-line, field count", "id,s\n1,\"" + long + "\n" + long + "\",x\n2,d\n", []string{"1,\"" + long + "\n" + long + "\",x"}, 1},
		{"unterminated", "id,s\n1,\"a\n2,b\n", []string{"1,\"a\n"}, 1},
		{"many, buffer reused", strings.Repeat("id,s\n", 1) + strings.Repeat("1,a,x\n2,\"q\nr\",y\n", 3000), nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.csv")
			require.NoError(t, os.WriteFile(path, []byte(tc.data), 0o644))
			r, err := csvreader.Open(context.Background(), csvreader.Config{Path: path, Schema: schema, Allocator: mem, BatchRows: 2})
			require.NoError(t, err)
			b, bad := filetest.ReadAll(t, r, false)
			defer b.Release()
			want := tc.want
			if want == nil {
				for range 3000 {
					want = append(want, "1,a,x", "2,\"q\nr\",y")
				}
			}
			var got []string
			for _, e := range bad {
				got = append(got, e.Value.(string))
			}
			require.Equal(t, want, got)
			require.EqualValues(t, tc.rows, b.NumRows())
		})
	}
}
