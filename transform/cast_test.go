package transform_test

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/transform"
)

func TestCast(t *testing.T) {
	mem := checked(t)
	strs := strBatch(mem, []*string{strPtr("42"), strPtr(" 7 "), strPtr("x"), nil, strPtr("1e3"), strPtr("3.5")})
	defer strs.Release()
	std := stdBatch(mem)
	defer std.Release()
	tests := []struct {
		name    string
		onStd   bool
		cfg     transform.CastConfig
		want    string
		dirty   []int64 // rows reported dirty (and absent from want)
		dirtyOf string  // the value of the first dirty row
	}{
		{"text to int32", false, transform.CastConfig{Columns: []string{"s"}, Type: "int32"}, "[42 7 (null) 1000]", []int64{2, 5}, "x"},
		{"text to int32, NULL on error", false, transform.CastConfig{Columns: []string{"s"}, Type: "int32", OnError: "null"}, "[42 7 (null) (null) 1000 (null)]", nil, ""},
		{"text to float64", false, transform.CastConfig{ColumnIndexes: []int{1}, Type: "double"}, "[42 7 (null) 1000 3.5]", []int64{2}, "x"},
		{"text to decimal", false, transform.CastConfig{Columns: []string{"s"}, Type: "decimal(5,1)"}, "[42 7 (null) 1000 3.5]", []int64{2}, "x"},
		{"text to decimal too small", false, transform.CastConfig{Columns: []string{"s"}, Type: "decimal(3,1)"}, "[42 7 (null) 3.5]", []int64{2, 4}, "x"},
		{"int64 to int8", true, transform.CastConfig{Columns: []string{"n"}, Type: "int8"}, "[123 -5 (null) 0]", nil, ""},
		{"int64 to uint8", true, transform.CastConfig{Columns: []string{"n"}, Type: "uint8"}, "[123 (null) 0]", []int64{1}, ""},
		{"float to int64", true, transform.CastConfig{Columns: []string{"f"}, Type: "int64"}, "[5 (null)]", []int64{0, 2}, ""},
		{"decimal to text", true, transform.CastConfig{Columns: []string{"d"}, Type: "string"}, `["1.50" "-5.00" "10.25" (null)]`, nil, ""},
		{"decimal to int64", true, transform.CastConfig{Columns: []string{"d"}, Type: "bigint"}, "[-5 (null)]", []int64{0, 2}, "1.50"},
		{"decimal to float", true, transform.CastConfig{Columns: []string{"d"}, Type: "float64"}, "[1.5 -5 10.25 (null)]", nil, ""},
		{"timestamp to date", true, transform.CastConfig{Columns: []string{"ts"}, Type: "date"}, "[2024-01-01 2024-03-10 2024-12-31 (null)]", nil, ""},
		{"timestamp to text", true, transform.CastConfig{Columns: []string{"ts"}, Type: "text"}, `["2024-01-01 00:00:00" "2024-03-10 02:30:00.5" "2024-12-31 23:59:59.999999" (null)]`, nil, ""},
		{"date to timestamp", true, transform.CastConfig{Columns: []string{"day"}, Type: "timestamp"}, "[2024-01-01 00:00:00 2024-03-10 00:00:00 2024-12-31 00:00:00 (null)]", nil, ""},
		{"bool to int", true, transform.CastConfig{Columns: []string{"flag"}, Type: "int16"}, "[1 0 1 (null)]", nil, ""},
		{"int to text", true, transform.CastConfig{Columns: []string{"n"}, Type: "varchar"}, `["123" "-5" (null) "0"]`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := strs
			if tt.onStd {
				b = std
			}
			tr, err := transform.Cast(tt.cfg, &transform.Options{Allocator: mem})
			require.NoError(t, err)
			out, d := run(t, tr, b)
			defer out.Release()
			col := b.Schema().FieldIndices(firstCol(tt.cfg, b))[0]
			require.Equal(t, tt.want, timestampsAsText(out.Column(col)))
			var got []int64
			for _, r := range d {
				got = append(got, r.Row)
				require.Equal(t, b.Schema().Field(col).Name, r.Column)
				require.ErrorContains(t, r.Err, "transform: cast ")
			}
			require.Equal(t, tt.dirty, got)
			if tt.dirtyOf != "" {
				require.Equal(t, tt.dirtyOf, d[0].Value)
			}
		})
	}
}

func firstCol(c transform.CastConfig, b interface{ Schema() *arrow.Schema }) string {
	if len(c.Columns) > 0 {
		return c.Columns[0]
	}
	return b.Schema().Field(c.ColumnIndexes[0]).Name
}

func TestCastErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg  transform.CastConfig
		want string
	}{
		{transform.CastConfig{Type: "int"}, "cast: no columns"},
		{transform.CastConfig{Columns: []string{"s"}, Type: "money"}, `unknown type "money"`},
		{transform.CastConfig{Columns: []string{"s"}, Type: "int", OnError: "skip"}, `onError "skip"`},
		{transform.CastConfig{Columns: []string{"s"}, Type: "decimal(40,2)"}, "1 <= p <= 38"},
	} {
		_, err := transform.Cast(tt.cfg, nil)
		require.ErrorContains(t, err, tt.want)
	}
}

// TestDecimalAsFloat: decimals enter comparisons and expressions as the
// double nearest to their value, as parsing their text gives, on both
// sides of the fast path's 2^53 limit.
func TestDecimalAsFloat(t *testing.T) {
	mem := checked(t)
	vals := []string{"0.10", "-0.10", "12345.67", "-12345.67", "90071992547409.91", "90071992547409.93", "-90071992547409.93", "999999999999999999999999999999999999.99", "0.00"}
	b := strBatch(mem, ptrs(vals))
	defer b.Release()
	toDec, err := transform.Cast(transform.CastConfig{Columns: []string{"s"}, Type: "decimal(38,2)"}, &transform.Options{Allocator: mem})
	require.NoError(t, err)
	dec, d := run(t, toDec, b)
	defer dec.Release()
	require.Empty(t, d)
	toF, err := transform.Cast(transform.CastConfig{Columns: []string{"s"}, Type: "float64"}, &transform.Options{Allocator: mem})
	require.NoError(t, err)
	f, d := run(t, toF, dec)
	defer f.Release()
	require.Empty(t, d)
	for i, v := range vals {
		want, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err)
		require.Equal(t, want, f.Column(1).(*array.Float64).Value(i), v)
	}
}

func ptrs(vals []string) []*string {
	out := make([]*string, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out
}
