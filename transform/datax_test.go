package transform_test

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/transform"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func dx(name string, col int, paras ...string) string {
	b, _ := json.Marshal(map[string]any{"name": name, "parameter": map[string]any{"columnIndex": col, "paras": paras}})
	return string(b)
}

// TestDataXStringTransforms runs dx_substr, dx_pad, dx_replace and dx_digest
// on DataX's documented examples, NULLs, empty strings, out-of-range indexes
// and strings with characters outside the BMP (emoji), which count as one
// character each (DataX counts UTF-16 code units: two per emoji).
func TestDataXStringTransforms(t *testing.T) {
	type want struct {
		out   *string // nil: NULL
		dirty string  // non-empty: the row is dirty with this reason
	}
	v := func(s string) want { return want{out: strPtr(s)} }
	null := want{}
	bad := func(reason string) want { return want{dirty: reason} }
	tests := []struct {
		spec string
		in   *string
		want want
	}{
		// dx_substr: DataX's example, clamping, start == length, past the end.
		{dx("dx_substr", 1, "2", "5"), strPtr("dataxTest"), v("taxTe")},
		{dx("dx_substr", 1, "0", "3"), strPtr("dataxTest"), v("dat")},
		{dx("dx_substr", 1, "5", "100"), strPtr("dataxTest"), v("Test")},
		{dx("dx_substr", 1, "5", "10"), strPtr("dataxTest"), v("Test")}, // transformer.md
		{dx("dx_substr", 1, "9", "1"), strPtr("dataxTest"), v("")},
		{dx("dx_substr", 1, "0", "0"), strPtr("dataxTest"), v("")},
		{dx("dx_substr", 1, "10", "1"), strPtr("dataxTest"), bad("startIndex 10 out of range: the value has 9 characters")},
		{dx("dx_substr", 1, "0", "3"), nil, null},
		{dx("dx_substr", 1, "0", "3"), strPtr(""), v("")},
		{dx("dx_substr", 1, "1", "1"), strPtr(""), bad("startIndex 1 out of range: the value has 0 characters")},
		{dx("dx_substr", 1, "1", "2"), strPtr("😀a😀b"), v("a😀")},
		{dx("dx_substr", 1, "3", "9"), strPtr("😀a😀b"), v("b")},
		{dx("dx_substr", 1, "1", "3"), strPtr("ünïcödé"), v("nïc")},
		{dx("dx_substr", 1, "5", "1"), strPtr("😀a😀b"), bad("startIndex 5 out of range: the value has 4 characters")},
		// dx_pad: both sides, multi-character pads cut to fit, values cut on
		// the right when too long (for "l" too), NULL padded as "".
		{dx("dx_pad", 1, "l", "4", "A"), strPtr("xyz"), v("Axyz")}, // transformer.md's four examples
		{dx("dx_pad", 1, "l", "4", "A"), strPtr("xyzzzzz"), v("xyzz")},
		{dx("dx_pad", 1, "r", "4", "A"), strPtr("xyz"), v("xyzA")},
		{dx("dx_pad", 1, "r", "4", "A"), strPtr("xyzzzzz"), v("xyzz")},
		{dx("dx_pad", 1, "l", "6", "0"), strPtr("42"), v("000042")},
		{dx("dx_pad", 1, "r", "6", "ab"), strPtr("x"), v("xababa")},
		{dx("dx_pad", 1, "L", "5", "ab"), strPtr("x"), v("ababx")},
		{dx("dx_pad", 1, "l", "3", "*"), strPtr("dataxTest"), v("dat")},
		{dx("dx_pad", 1, "r", "9", "*"), strPtr("dataxTest"), v("dataxTest")},
		{dx("dx_pad", 1, "r", "3", "x"), nil, v("xxx")},
		{dx("dx_pad", 1, "l", "2", "0"), strPtr(""), v("00")},
		{dx("dx_pad", 1, "l", "0", "0"), strPtr("abc"), v("")},
		{dx("dx_pad", 1, "l", "4", "😀"), strPtr("ab"), v("😀😀ab")},
		{dx("dx_pad", 1, "r", "3", "-"), strPtr("😀😀😀😀"), v("😀😀😀")},
		{dx("dx_pad", 1, "r", "4", "-"), strPtr("é😀"), v("é😀--")},
		// dx_replace: DataX's example, replacing to the end, at the end,
		// past the end, NULL, emoji.
		{dx("dx_replace", 1, "2", "4", "****"), strPtr("dataxTest"), v("da****est")},
		{dx("dx_replace", 1, "5", "10", "****"), strPtr("dataxTest"), v("datax****")}, // transformer.md
		{dx("dx_replace", 1, "5", "100", "!"), strPtr("dataxTest"), v("datax!")},
		{dx("dx_replace", 1, "5", "4", "!"), strPtr("dataxTest"), v("datax!")},
		{dx("dx_replace", 1, "9", "1", "X"), strPtr("dataxTest"), v("dataxTestX")},
		{dx("dx_replace", 1, "0", "0", ">"), strPtr("dataxTest"), v(">dataxTest")},
		{dx("dx_replace", 1, "10", "1", "X"), strPtr("dataxTest"), bad("startIndex 10 out of range: the value has 9 characters")},
		{dx("dx_replace", 1, "0", "1", "X"), nil, null},
		{dx("dx_replace", 1, "0", "1", "X"), strPtr(""), v("X")},
		{dx("dx_replace", 1, "1", "1", "-"), strPtr("a😀b"), v("a-b")},
		// dx_digest: NULL hashes "".
		{dx("dx_digest", 1, "md5", "toLowerCase"), strPtr("dataxTest"), v("2a289020f144a4b2304b87e02435ffaa")},
		{dx("dx_digest", 1, "md5", "toLowerCase"), nil, v("d41d8cd98f00b204e9800998ecf8427e")},
		{dx("dx_digest", 1, "md5", "toLowerCase"), strPtr(""), v("d41d8cd98f00b204e9800998ecf8427e")},
		{dx("dx_digest", 1, "md5", "toUpperCase"), strPtr("xyzzzzz"), v("9CDFFC4FA4E45A99DB8BBCD762ACFFA2")}, // transformer.md
		{dx("dx_digest", 1, "sha1", "toUpperCase"), strPtr("abc"), v("A9993E364706816ABA3E25717850C26C9CD0D89D")},
		{dx("dx_digest", 1, "SHA1", "touppercase"), strPtr("abc"), v("A9993E364706816ABA3E25717850C26C9CD0D89D")},
		{dx("dx_digest", 1, "md5", "toUpperCase"), strPtr("😀"), v("2A02EAC39D716A70ECF37579185927B6")},
	}
	for _, tt := range tests {
		in := "NULL"
		if tt.in != nil {
			in = fmt.Sprintf("%q", *tt.in)
		}
		t.Run(tt.spec+" on "+in, func(t *testing.T) {
			mem := checked(t)
			b := strBatch(mem, []*string{strPtr("the row before this one"), tt.in, strPtr("the row after this one")})
			defer b.Release()
			tr := mustBuild(t, mem, tt.spec)
			out, dirtyRows := run(t, tr, b)
			defer out.Release()
			if tt.want.dirty != "" {
				require.Len(t, dirtyRows, 1)
				require.EqualValues(t, 1, dirtyRows[0].Row)
				require.Equal(t, "s", dirtyRows[0].Column)
				require.Equal(t, *tt.in, dirtyRows[0].Value)
				require.ErrorContains(t, dirtyRows[0].Err, tt.want.dirty)
				require.Equal(t, []int64{0, 2}, ids(t, out))
				return
			}
			require.Empty(t, dirtyRows)
			require.Equal(t, []int64{0, 1, 2}, ids(t, out))
			got := columnStrings(t, out, 1)
			require.Equal(t, tt.want.out, got[1])
		})
	}
}

// TestDataXSubstrOfNonStrings: non-string columns are cut from their text
// and become utf8, as DataX's asString does.
func TestDataXSubstrOfNonStrings(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	tests := []struct {
		col   int
		paras []string
		want  []*string
	}{
		{1, []string{"0", "3"}, []*string{strPtr("123"), strPtr("-5"), nil, strPtr("0")}},
		{2, []string{"0", "4"}, []*string{strPtr("1.5"), strPtr("5"), strPtr("NaN"), nil}},
		{3, []string{"0", "9"}, []*string{strPtr("1.50"), strPtr("-5.00"), strPtr("10.25"), nil}},
		{5, []string{"0", "7"}, []*string{strPtr("2024-01"), strPtr("2024-03"), strPtr("2024-12"), nil}},
		{6, []string{"11", "99"}, []*string{strPtr("00:00:00"), strPtr("02:30:00.5"), strPtr("23:59:59.999999"), nil}},
		{7, []string{"0", "5"}, []*string{strPtr("true"), strPtr("false"), strPtr("true"), nil}},
	}
	for _, tt := range tests {
		tr := mustBuild(t, mem, dx("dx_substr", tt.col, tt.paras...))
		out, d := run(t, tr, b)
		require.Empty(t, d)
		require.Equal(t, arrow.STRING, out.Schema().Field(tt.col).Type.ID())
		require.Equal(t, tt.want, columnStrings(t, out, tt.col), "column %d", tt.col)
		out.Release()
	}
}

// stdBatch: id, n int64, f float64, d decimal(10,2), s utf8, day date32,
// ts timestamp[us] (zone-less), flag bool. Row 3 is all NULL but id.
func stdBatch(mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{0, 1, 2, 3}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{123, -5, 0, 0}, []bool{true, true, false, true})
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{1.5, 5, math.NaN(), 0}, []bool{true, true, true, false})
	b.Field(3).(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(150), decimal128.FromI64(-500), decimal128.FromI64(1025), {}}, []bool{true, true, true, false})
	b.Field(4).(*array.StringBuilder).AppendValues([]string{"apple", "banana", "cherry", ""}, []bool{true, true, true, false})
	days := []string{"2024-01-01", "2024-03-10", "2024-12-31"}
	tss := []string{"2024-01-01 00:00:00", "2024-03-10 02:30:00.5", "2024-12-31 23:59:59.999999"}
	for i := range 3 {
		d, _ := time.Parse(time.DateOnly, days[i])
		b.Field(5).(*array.Date32Builder).Append(arrow.Date32FromTime(d))
		ts, _ := time.Parse("2006-01-02 15:04:05.999999", tss[i])
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
	}
	b.Field(5).AppendNull()
	b.Field(6).AppendNull()
	b.Field(7).(*array.BooleanBuilder).AppendValues([]bool{true, false, true, false}, []bool{true, true, true, false})
	return b.NewRecordBatch()
}

// TestDXFilter runs every dx_filter operator on integers, floats, decimals,
// strings, dates and timestamps, with NULLs. A match drops the row.
func TestDXFilter(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	// n = 123, -5, NULL, 0; f = 1.5, 5, NaN, NULL; d = 1.50, -5.00, 10.25, NULL;
	// s = apple, banana, cherry, NULL; day = 2024-01-01, 2024-03-10, 2024-12-31, NULL;
	// ts = 2024-01-01 00:00, 2024-03-10 02:30:00.5, 2024-12-31 23:59:59.999999, NULL.
	tests := []struct {
		col       int
		op, value string
		keep      []int64
	}{
		{1, ">", "0", []int64{1, 2, 3}},
		{1, "<", "0", []int64{0, 2, 3}},
		{1, ">=", "0", []int64{1, 2}},
		{1, "<=", "0", []int64{0, 2}},
		{1, "=", "0", []int64{0, 1, 2}},
		{1, "==", "-5", []int64{0, 2, 3}},
		{1, "!=", "0", []int64{3}},
		{1, "=", "null", []int64{0, 1, 3}},
		{1, "=", "NULL", []int64{0, 1, 3}},
		{1, "!=", "null", []int64{2}},
		{1, ">", "-5.5", []int64{2}},
		{1, "like", "1.*", []int64{1, 2, 3}},
		{1, "not like", "1.*", []int64{0}},
		{1, "like", "-?\\d", []int64{0, 2}},
		{2, ">", "1.5", []int64{0, 2, 3}},
		{2, ">=", "1.5", []int64{2, 3}},
		{2, "<", "5", []int64{1, 2, 3}},
		{2, "<=", "5", []int64{2, 3}},
		{2, "=", "5", []int64{0, 2, 3}},
		{2, "!=", "5", []int64{1}}, // NaN != 5, NULL != 5
		{2, "like", "NaN", []int64{0, 1, 3}},
		{3, "<", "0", []int64{0, 2, 3}},
		{3, ">=", "10.25", []int64{0, 1, 3}},
		{3, "=", "1.5", []int64{1, 2, 3}},
		{3, "like", "1\\..*", []int64{1, 2, 3}},
		{4, ">", "banana", []int64{0, 1, 3}},
		{4, ">=", "banana", []int64{0, 3}},
		{4, "<", "banana", []int64{1, 2, 3}},
		{4, "<=", "banana", []int64{2, 3}},
		{4, "=", "apple", []int64{1, 2, 3}},
		{4, "!=", "apple", []int64{0}},
		{4, "like", "b.*a", []int64{0, 2, 3}},
		{4, "like", "an", []int64{0, 1, 2, 3}}, // a full match, not a substring
		{4, "not like", "[a-b].*", []int64{0, 1}},
		{4, "=", "null", []int64{0, 1, 2}},
		{5, ">", "2024-03-10", []int64{0, 1, 3}},
		{5, "<", "1710028800000", []int64{1, 2, 3}}, // epoch ms of 2024-03-10, DataX's form
		{5, "=", "1710028800000", []int64{0, 2, 3}},
		{5, "!=", "2024-03-10", []int64{1}},
		{5, "<=", "2024-03-10", []int64{2, 3}},
		{5, ">=", "2024-03-10", []int64{0, 3}},
		{5, "like", "2024-0.*", []int64{2, 3}},
		{6, ">=", "2024-03-10 02:30:00.5", []int64{0, 3}},
		{6, ">", "2024-03-10 02:30:00.5", []int64{0, 1, 3}},
		{6, "=", "1710037800500", []int64{0, 2, 3}},
		{6, "<", "2024-12-31 23:59:59.999999", []int64{2, 3}},
		{6, "=", "2024-12-31T23:59:59.999999Z", []int64{0, 1, 3}},
		{6, "like", "2024-03-10 02:30:00\\.5", []int64{0, 2, 3}},
		{7, "=", "true", []int64{1, 3}},
		{7, "!=", "true", []int64{0, 2}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s", b.Schema().Field(tt.col).Name, tt.op, tt.value), func(t *testing.T) {
			tr := mustBuild(t, mem, dx("dx_filter", tt.col, tt.op, tt.value))
			out, d := run(t, tr, b)
			defer out.Release()
			require.Empty(t, d)
			require.Equal(t, tt.keep, ids(t, out))
		})
	}
}

// TestDXFilterUTF16Order: strings compare as Java compares them, by UTF-16
// code units: an emoji (a surrogate pair, 0xD83D...) sorts before U+FF5E.
func TestDXFilterUTF16Order(t *testing.T) {
	mem := checked(t)
	b := strBatch(mem, []*string{strPtr("😀"), strPtr("～"), strPtr("a")})
	defer b.Release()
	out, _ := run(t, mustBuild(t, mem, dx("dx_filter", 1, "<", "～")), b)
	defer out.Release()
	require.Equal(t, []int64{1}, ids(t, out))
}

func TestDataXBuildErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{`{"name":"dx_nope","parameter":{}}`, `transform: unknown transform "dx_nope" (known: `},
		{`{"name":"dx_substr","parameter":{"columnIndex":1,"paras":["1"]}}`, "dx_substr: parameter: paras has 1 values, want 2"},
		{`{"name":"dx_substr","parameter":{"paras":["1","2"]}}`, "dx_substr: parameter: missing columnIndex"},
		{`{"name":"dx_substr","parameter":{"columnIndex":1,"paras":["a","2"]}}`, `dx_substr: paras[0] = "a": want an integer`},
		{`{"name":"dx_substr","parameter":{"columnIndex":1,"paras":["-1","2"]}}`, "must not be negative"},
		{`{"name":"dx_substr","parameter":{"columnIndex":1,"paras":["1","2"],"extra":1}}`, `unknown field "extra"`},
		{`{"name":"dx_pad","parameter":{"columnIndex":1,"paras":["x","2","0"]}}`, `dx_pad: side "x": want l or r`},
		{`{"name":"dx_pad","parameter":{"columnIndex":1,"paras":["l","2",""]}}`, "dx_pad: empty pad string"},
		{`{"name":"dx_pad","parameter":{"columnIndex":1,"paras":["l","-2","0"]}}`, "must not be negative"},
		{`{"name":"dx_replace","parameter":{"columnIndex":1,"paras":["1","-2","x"]}}`, "must not be negative"},
		{`{"name":"dx_digest","parameter":{"columnIndex":1,"paras":["sha256","toUpperCase"]}}`, `algorithm "sha256": want md5 or sha1`},
		{`{"name":"dx_digest","parameter":{"columnIndex":1,"paras":["md5","upper"]}}`, `case "upper"`},
		{`{"name":"dx_filter","parameter":{"columnIndex":1,"paras":["~","x"]}}`, `unknown operator "~"`},
		{`{"name":"dx_filter","parameter":{"columnIndex":1,"paras":["=",""]}}`, "empty value"},
		{`{"name":"dx_filter","parameter":{"columnIndex":1,"paras":["like","(?=x)"]}}`, "not an RE2 regular expression"},
	}
	for _, tt := range tests {
		var s transform.Spec
		require.NoError(t, json.Unmarshal([]byte(tt.spec), &s))
		_, err := transform.Build(s)
		require.ErrorContains(t, err, tt.want, tt.spec)
	}
}

// TestDataXSchemaErrors: errors found when the pipeline starts name the column.
func TestDataXSchemaErrors(t *testing.T) {
	mem := checked(t)
	b := stdBatch(mem)
	defer b.Release()
	tests := []struct{ spec, want string }{
		{dx("dx_substr", 8, "0", "1"), "dx_substr: columnIndex 8 out of range: the source has 8 columns (id, n, f, d, s, day, ts, flag)"},
		{dx("dx_filter", 1, ">", "abc"), `dx_filter: column "n" (int64) > "abc": not a number`},
		{dx("dx_filter", 5, ">", "yesterday"), `dx_filter: column "day" (date32) > "yesterday": want epoch milliseconds, a date`},
		{dx("dx_filter", 2, "=", "x"), `column "f" (float64) = "x": not a number`},
	}
	for _, tt := range tests {
		_, err := mustBuild(t, mem, tt.spec).OutputSchema(b.Schema())
		require.ErrorContains(t, err, tt.want)
	}
}

func TestDXGroovy(t *testing.T) {
	tests := []struct{ code, want string }{
		{`record.setColumn(1, record.getColumn(1).asString().toUpperCase()); return record;`,
			`the equivalent of this code is: {"name":"compute","parameter":{"columnIndex":1,"expr":"upper(col(1))"}}`},
		{"record.setColumn(2, new StringColumn(record.getColumn(0).asString().trim().substring(1, 4)));\nreturn record",
			`{"name":"compute","parameter":{"columnIndex":2,"expr":"substr(trim(col(0)), 1, 3)"}}`},
		{`record.setColumn(0, new StringColumn(record.getColumn(0).asString().replace("a", "b").toLowerCase())); record.setColumn(1, record.getColumn(3).asString()); return record`,
			`{"name":"compute","parameter":{"columnIndex":0,"expr":"lower(replace(col(0), \"a\", \"b\"))"}}, {"name":"compute","parameter":{"columnIndex":1,"expr":"col(3)"}}`},
		// transformer.md's substr and replace examples
		{"Column column = record.getColumn(1);\n String oriValue = column.asString();\n String newValue = oriValue.substring(0, 3);\n record.setColumn(1, new StringColumn(newValue));\n return record;",
			`{"name":"compute","parameter":{"columnIndex":1,"expr":"substr(col(1), 0, 3)"}}`},
		{"Column column = record.getColumn(1);\n String oriValue = column.asString();\n String newValue = \"****\" + oriValue.substring(3, oriValue.length());\n record.setColumn(1, new StringColumn(newValue));\n return record;",
			`{"name":"compute","parameter":{"columnIndex":1,"expr":"\"****\" + substr(col(1), 3)"}}`},
		// not simple: a condition, and transformer.md's pad loop
		{`if (record.getColumn(0).asLong() > 3) return null; return record;`, `Groovy code needs DataX's JVM, which Ferry does not have`},
		{"Column column = record.getColumn(1);\n String oriValue = column.asString();\n int NeedLength = 8 - oriValue.length();\n while (NeedLength > 0) { NeedLength = 0 }\n record.setColumn(1, new StringColumn(oriValue));\n return record;", "; code: "},
	}
	for _, tt := range tests {
		b, _ := json.Marshal(map[string]any{"code": tt.code})
		_, err := transform.Build(transform.Spec{Name: "dx_groovy", Parameter: b})
		require.ErrorContains(t, err, tt.want)
	}
}

// TestDXGroovySuggestionRuns: the compute spec dx_groovy's error suggests
// for DataX's documented replace example builds and does what the Groovy
// code does.
func TestDXGroovySuggestionRuns(t *testing.T) {
	code := "Column column = record.getColumn(1);\n String oriValue = column.asString();\n String newValue = \"****\" + oriValue.substring(3, oriValue.length());\n record.setColumn(1, new StringColumn(newValue));\n return record;"
	p, _ := json.Marshal(map[string]any{"code": code})
	_, err := transform.Build(transform.Spec{Name: "dx_groovy", Parameter: p})
	require.Error(t, err)
	spec := err.Error()[strings.Index(err.Error(), "is: ")+4:]
	mem := checked(t)
	b := strBatch(mem, []*string{strPtr("dataxTest")})
	defer b.Release()
	out, d := run(t, mustBuild(t, mem, spec), b)
	defer out.Release()
	require.Empty(t, d)
	require.Equal(t, []*string{strPtr("****axTest")}, columnStrings(t, out, 1))
}

// TestDXFilterLikeFastPath: like patterns of the form .*X.* (searched for
// X without anchors) match exactly what the full match matches, newlines
// and anchors included.
func TestDXFilterLikeFastPath(t *testing.T) {
	values := []string{"", "ipsum", "lorem ipsum dolor", "a\nipsum", "ipsum\n", "xx", "IPSUM", "ab\nc", "😀ipsum😀", "abc"}
	for _, pat := range []string{".*ipsum.*", "ipsum.*", ".*ipsum", ".*", ".*.*", ".*(a|b).*", ".*^a.*", ".*c$.*", "(?i).*ipsum.*", ".*\\bipsum\\b.*", "(?s).*ipsum.*", ".*i.s.m.*", ".*(?:ip|x)+.*"} {
		mem := checked(t)
		vals := make([]*string, len(values))
		for i := range values {
			vals[i] = &values[i]
		}
		b := strBatch(mem, vals)
		out, _ := run(t, mustBuild(t, mem, dx("dx_filter", 1, "like", pat)), b)
		re := regexp.MustCompile(`^(?:` + pat + `)$`)
		var want []int64
		for i, v := range values {
			if !re.MatchString(v) {
				want = append(want, int64(i))
			}
		}
		require.Equal(t, want, ids(t, out), pat)
		out.Release()
		b.Release()
	}
}
