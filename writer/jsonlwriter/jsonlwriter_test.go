package jsonlwriter_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
	"github.com/ferrydata/ferry/internal/fileset/filetest"
	"github.com/ferrydata/ferry/reader/jsonlreader"
	"github.com/ferrydata/ferry/writer/jsonlwriter"
)

// TestOutputForm pins the JSON form of the maximum row of every standard
// type, and checks every line of the standard rows is valid JSON.
func TestOutputForm(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	data := connectortest.Batch(mem, connectortest.Schema(nil), 6)
	defer data.Release()
	path := filepath.Join(t.TempDir(), "out.jsonl")
	ctx := context.Background()
	w, err := jsonlwriter.Open(ctx, jsonlwriter.Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, w.Prepare(ctx, data.Schema()))
	bw, err := w.Open(ctx)
	require.NoError(t, err)
	require.NoError(t, bw.Write(ctx, data))
	require.NoError(t, bw.Close(ctx))
	require.NoError(t, w.Commit(ctx))
	require.NoError(t, w.Close())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	require.Len(t, lines, 6)
	for _, l := range lines {
		require.True(t, json.Valid([]byte(l)), l)
	}
	require.Equal(t, `{"id":2,"str":"tab\there","i16":32767,"i32":2147483647,"i64":9223372036854775807,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,`+
		`"dec":"9999999999999999999999999999.9999999999","dec256":"99999999999999999999999999999999999.999999999999999999999999999999",`+
		`"f32":3.4028235e+38,"f64":"+Inf","bin":"AP8JClxOAA==","flag":true,"day":"9999-12-31","tod":"23:59:59.999999",`+
		`"ts":"9999-12-31T23:59:59.999999","tstz":"9999-12-31T23:59:59.999999Z","uid":"ffffffff-ffff-ffff-ffff-ffffffffffff",`+
		`"doc":{"a": [1, 2, {"b": null}], "s": "x\"y\\z 😀"},"ints":[-9223372036854775808,9223372036854775807,0],"strs":["a,b","q\"uote","back\\slash","{brace}","tab\t"],`+
		`"span":{"months":1200,"days":31,"nanoseconds":86399999999000},"vec":[3.4028235e+38,-3.4028235e+38,3.25]}`, lines[1])
	require.Contains(t, lines[2], `"str":null`)
	require.Contains(t, lines[3], `"f64":"NaN"`)
}

func TestParseConfig(t *testing.T) {
	cfg, err := jsonlwriter.ParseConfig("jsonl:///o/x.jsonl?mode=overwrite&omitNulls=true&maxFileRows=3&maxFileBytes=9")
	require.NoError(t, err)
	require.Equal(t, jsonlwriter.Config{Path: "/o/x.jsonl", Mode: ferry.ModeOverwrite, OmitNulls: true, MaxFileRows: 3, MaxFileBytes: 9}, cfg)
	for _, bad := range []string{"jsonl:///x?nope=1", "jsonl://", "jsonl:///x?mode=upsert"} {
		_, err := jsonlwriter.ParseConfig(bad)
		if bad == "jsonl:///x?mode=upsert" {
			require.NoError(t, err) // parsed; rejected by Open
			_, err = jsonlwriter.Open(context.Background(), cfg2(bad))
		}
		require.ErrorContains(t, err, "jsonlwriter", bad)
	}
}

func cfg2(u string) jsonlwriter.Config {
	c, _ := jsonlwriter.ParseConfig(u)
	return c
}

// TestNestedTypes: struct, map, list of struct, float16,
// fixed_size_binary, null and extension types are written as native JSON
// and read back to the same Arrow types when the schema is given.
func TestNestedTypes(t *testing.T) {
	text := filetest.NestedRoundTrip(t, "n.jsonl",
		func(path string) (ferry.Writer, error) {
			return jsonlwriter.Open(context.Background(), jsonlwriter.Config{Path: path})
		},
		func(path string, schema *arrow.Schema, mem memory.Allocator) (ferry.Reader, error) {
			return jsonlreader.Open(context.Background(), jsonlreader.Config{Path: path, Schema: schema, Allocator: mem})
		})
	lines := strings.Split(text, "\n")
	require.Equal(t, `{"id":1,"s":{"a":1,"b":"x\"y,z\n"},"m":[{"key":"a","value":1},{"key":"b","value":null}],"ls":[{"x":1,"y":"p"},{"x":2,"y":null}],"h":1.5,"fb":"AQID","n":null,"e":1}`, lines[0])
	require.Equal(t, `{"id":2,"s":null,"m":null,"ls":null,"h":null,"fb":null,"n":null,"e":null}`, lines[1])
}
