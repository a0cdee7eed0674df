package sqlsource

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExpandTables(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  string
	}{
		{"orders", "orders", ""},
		{"order_[00-03]", "order_00 order_01 order_02 order_03", ""},
		{"order_[0-3]", "order_0 order_1 order_2 order_3", ""},
		{"db.t[8-11]_x", "db.t8_x db.t9_x db.t10_x db.t11_x", ""},
		{"t[098-100]", "t098 t099 t100", ""},
		{"a, b_[1-2], a", "a b_1 b_2", ""},
		{"o_[5-3]", "", "start must not exceed end"},
		{"o_[a-b]", "", "a range is written"},
		{"o_[0-99999]", "", "more than 4096"},
		{" , ", "", "names no table"},
	} {
		got, err := ExpandTables(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, strings.Join(got, " "), tc.in)
	}
}

func FuzzExpandTables(f *testing.F) {
	for _, s := range []string{"order_[00-15]", "db.t[0-31]_x", "a,b", "x[", "[1-2]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExpandTables(s)
		if err == nil && (len(got) == 0 || len(got) > MaxExpandedTables) {
			t.Fatalf("%q expanded to %d tables", s, len(got))
		}
	})
}
