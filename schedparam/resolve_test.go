package schedparam

import (
	"testing"
	"time"
	_ "time/tzdata" // America/New_York and Asia/Shanghai without system tzdata

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at builds a cycle time in UTC.
func at(y int, m time.Month, d, hh, mi, ss int) time.Time {
	return time.Date(y, m, d, hh, mi, ss, 0, time.UTC)
}

var cycDoc = at(2025, 7, 27, 0, 5, 0) // the documented example

func TestResolve(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name   string
		cyc    time.Time
		text   string
		params map[string]string
		want   string
	}{
		// ${...}: business date formats.
		{"bizdate", cycDoc, "${yyyymmdd}", nil, "20250726"},
		{"dashes", cycDoc, "${yyyy-mm-dd}", nil, "2025-07-26"},
		{"slashes", cycDoc, "${yyyy/mm/dd}", nil, "2025/07/26"},
		{"cjk separators", cycDoc, "${yyyy年mm月dd日}", nil, "2025年07月26日"},
		{"year", cycDoc, "${yyyy}", nil, "2025"},
		{"short year", cycDoc, "${yy}", nil, "25"},
		{"month", cycDoc, "${mm}", nil, "07"},
		{"day", cycDoc, "${dd}", nil, "26"},
		{"year month", cycDoc, "${yyyymm}", nil, "202507"},
		{"spaces inside", cycDoc, "${ yyyymmdd }", nil, "20250726"},
		{"minus day", cycDoc, "${yyyymmdd-1}", nil, "20250725"},
		{"plus days", cycDoc, "${yyyymmdd+3}", nil, "20250729"},
		{"offset with blanks", cycDoc, "${yyyymmdd - 1}", nil, "20250725"},
		{"dashed minus day", cycDoc, "${yyyy-mm-dd-1}", nil, "2025-07-25"},
		{"one week", cycDoc, "${yyyymmdd-7*1}", nil, "20250719"},
		{"two weeks", cycDoc, "${yyyymmdd-7*2}", nil, "20250712"},
		{"parenthesized", cycDoc, "${yyyymmdd-(7*2+1)}", nil, "20250711"},
		{"last month", cycDoc, "${yyyymm-1}", nil, "202506"},
		{"month plus", cycDoc, "${yyyymm+6}", nil, "202601"},
		{"month only", cycDoc, "${mm-1}", nil, "06"},
		{"last year", cycDoc, "${yyyy-1}", nil, "2024"},
		{"yy next year", cycDoc, "${yy+1}", nil, "26"},
		{"last month from january", at(2025, 1, 15, 0, 0, 0), "${yyyymm-1}", nil, "202412"},
		{"last month from jan 31", at(2025, 2, 1, 0, 0, 0), "${yyyymm-1}", nil, "202412"},
		{"month end clamped", at(2025, 4, 1, 0, 0, 0), "${yyyymm-1}", nil, "202502"},
		{"month end clamped with day", at(2025, 4, 1, 0, 0, 0), "${yyyymm-1}${dd}", nil, "20250231"},
		{"leap day bizdate", at(2024, 3, 1, 0, 0, 0), "${yyyy-mm-dd}", nil, "2024-02-29"},
		{"leap day minus year", at(2024, 3, 1, 0, 0, 0), "${yyyy-1}", nil, "2023"},
		{"non leap", at(2025, 3, 1, 0, 0, 0), "${yyyymmdd}", nil, "20250228"},
		{"year end", at(2025, 1, 1, 0, 0, 0), "${yyyymmdd}", nil, "20241231"},
		{"year end plus one", at(2025, 1, 1, 0, 0, 0), "${yyyymmdd+1}", nil, "20250101"},

		// $[...]: cycle time formats.
		{"cyc date", cycDoc, "$[yyyymmdd]", nil, "20250727"},
		{"cyc full", cycDoc, "$[yyyymmddhh24miss]", nil, "20250727000500"},
		{"cyc separators", cycDoc, "$[yyyy-mm-dd hh24:mi:ss]", nil, "2025-07-27 00:05:00"},
		{"cyc clock", cycDoc, "$[hh24miss]", nil, "000500"},
		{"cyc minus day", cycDoc, "$[yyyymmdd-1]", nil, "20250726"},
		{"cyc hour earlier", cycDoc, "$[hh24miss-1/24]", nil, "230500"},
		{"doc hour", cycDoc, "$[yyyymmddhh24-1/24]", nil, "2025072623"},
		{"doc 15 minutes", cycDoc, "$[yyyymmddhh24miss-15/24/60]", nil, "20250726235000"},
		{"doc hh24", cycDoc, "$[hh24-15/24/60]", nil, "23"},
		{"doc mi", cycDoc, "$[mi-15/24/60]", nil, "50"},
		{"doc date", cycDoc, "$[yyyymmdd-15/24/60]", nil, "20250726"},
		{"one second", cycDoc, "$[ss+1/86400]", nil, "01"},
		{"two hours", cycDoc, "$[hh24mi+(1+1)/24]", nil, "0205"},
		{"day and hour", cycDoc, "$[yyyymmddhh24-1-1/24]", nil, "2025072523"},
		{"whole day as fraction", cycDoc, "$[yyyymmdd+24/24]", nil, "20250728"},
		{"cyc weeks", cycDoc, "$[yyyymmdd-7*3]", nil, "20250706"},
		{"add_months back", cycDoc, "$[add_months(yyyymmdd,-1)]", nil, "20250627"},
		{"add_months years", cycDoc, "$[add_months(yyyymmdd,12*1)]", nil, "20260727"},
		{"add_months two years back", cycDoc, "$[add_months(yyyymmdd,-12*2)]", nil, "20230727"},
		{"add_months then day", cycDoc, "$[add_months(yyyymmdd,-1)-1]", nil, "20250626"},
		{"add_months blanks", cycDoc, "$[add_months( yyyy-mm-dd , +2 ) + 1/24]", nil, "2025-09-27"},
		{"add_months keeps clock", cycDoc, "$[add_months(yyyymmddhh24miss,1)]", nil, "20250827000500"},
		{"add_months jan 31", at(2025, 1, 31, 8, 0, 0), "$[add_months(yyyymmdd,1)]", nil, "20250228"},
		{"add_months jan 31 leap", at(2024, 1, 31, 8, 0, 0), "$[add_months(yyyymmdd,1)]", nil, "20240229"},
		{"add_months feb 29 next year", at(2024, 2, 29, 8, 0, 0), "$[add_months(yyyymmdd,12)]", nil, "20250228"},
		{"add_months feb 29 four years", at(2024, 2, 29, 8, 0, 0), "$[add_months(yyyymmdd,48)]", nil, "20280229"},
		{"add_months year end", at(2025, 1, 1, 0, 0, 0), "$[add_months(yyyymm,-1)]", nil, "202412"},
		{"cyc leap day minus", at(2024, 3, 1, 0, 0, 0), "$[yyyymmdd-1]", nil, "20240229"},
		{"cyc year end hour", at(2025, 1, 1, 0, 0, 0), "$[yyyymmddhh24-1/24]", nil, "2024123123"},

		// Built-ins.
		{"$bizdate", cycDoc, "$bizdate", nil, "20250726"},
		{"${bizdate}", cycDoc, "${bizdate}", nil, "20250726"},
		{"$cyctime", cycDoc, "$cyctime", nil, "20250727000500"},
		{"${cyctime}", cycDoc, "${cyctime}", nil, "20250727000500"},
		{"$gmtdate", cycDoc, "$gmtdate", nil, "20250727"},
		{"${gmtdate}", cycDoc, "${gmtdate}", nil, "20250727"},
		{"$bizmonth same month", cycDoc, "$bizmonth", nil, "202506"},
		{"$bizmonth first of month", at(2025, 8, 1, 0, 0, 0), "${bizmonth}", nil, "202507"},
		{"$bizmonth january", at(2025, 1, 1, 0, 0, 0), "$bizmonth", nil, "202412"},
		{"$bizmonth january 2nd", at(2025, 1, 2, 0, 0, 0), "$bizmonth", nil, "202412"},
		{"year end built-ins", at(2025, 1, 1, 0, 0, 0), "$bizdate $gmtdate $[yyyy] ${yyyy}", nil, "20241231 20250101 2025 2024"},
		{"builtin then text", cycDoc, "t_$bizdate.csv", nil, "t_20250726.csv"},

		// Time zones: the cycle time's location is kept.
		{"shanghai", time.Date(2025, 7, 27, 0, 5, 0, 0, shanghai), "$cyctime $bizdate $[hh24-1/24]", nil, "20250727000500 20250726 23"},
		{"same instant in UTC", time.Date(2025, 7, 27, 0, 5, 0, 0, shanghai).UTC(), "$cyctime $bizdate", nil, "20250726160500 20250725"},

		// Custom parameters.
		{"param braced", cycDoc, "${p}", map[string]string{"p": "${yyyymmdd-1}"}, "20250725"},
		{"param bare", cycDoc, "$p", map[string]string{"p": "${yyyymmdd-1}"}, "20250725"},
		{"param cycle time", cycDoc, "$t", map[string]string{"t": "$[hh24miss]"}, "000500"},
		{"param builtin", cycDoc, "$d", map[string]string{"d": "$bizdate"}, "20250726"},
		{"param literal", cycDoc, "${region}", map[string]string{"region": "cn-hangzhou"}, "cn-hangzhou"},
		{"param chain", cycDoc, "$b", map[string]string{"a": "$bizdate", "b": "x_${a}_y"}, "x_20250726_y"},
		{"param shared", cycDoc, "$c", map[string]string{"a": "$gmtdate", "b": "$a$a", "c": "$b-$b"}, "2025072720250727-2025072720250727"},
		{"param with dollar literal", cycDoc, "${p}", map[string]string{"p": "'$5'"}, "'$5'"},
		{"param underscore", cycDoc, "$_x", map[string]string{"_x": "1"}, "1"},
		{"builtin name reserved", cycDoc, "$bizdate", map[string]string{"bizdate": "$bizdate"}, "20250726"},
		{"param shadows format", cycDoc, "${yyyy}", map[string]string{"yyyy": "custom"}, "custom"},
		{"longest identifier", cycDoc, "$bizdate_x", map[string]string{"bizdate_x": "X"}, "X"},
		{"param followed by dot", cycDoc, "$p.csv", map[string]string{"p": "a"}, "a.csv"},

		// Passthrough.
		{"no params", cycDoc, "select * from t where a = 1", nil, "select * from t where a = 1"},
		{"empty", cycDoc, "", nil, ""},
		{"dollar digit", cycDoc, "where price = '$5'", nil, "where price = '$5'"},
		{"double dollar", cycDoc, "$$ body $$", nil, "$$ body $$"},
		{"double dollar then param", cycDoc, "$$bizdate", nil, "$20250726"},
		{"trailing dollar", cycDoc, "cost $", nil, "cost $"},
		{"dollar space", cycDoc, "$ 5", nil, "$ 5"},
		{"dollar paren", cycDoc, "$(x) $1,$2", nil, "$(x) $1,$2"},
		{"underscore unknown", cycDoc, "$_x", nil, "$_x"},
		{"stray closers", cycDoc, "} ] {x}", nil, "} ] {x}"},

		// A SQL where clause.
		{"sql", cycDoc, "select * from ods where ds = '${yyyymmdd}' and hr = '$[hh24-1/24]' and note <> '$5'", nil,
			"select * from ods where ds = '20250726' and hr = '23' and note <> '$5'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.text, tt.cyc, tt.params)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			// Parsing once and executing gives the same result.
			tmpl, err := Parse(tt.text)
			require.NoError(t, err)
			got2, err := NewResolver(tt.params).Execute(tmpl, tt.cyc)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got2)
		})
	}
}

func TestDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// DST began on 2025-03-09 at 02:00 EST (clocks jumped to 03:00 EDT).
	after := time.Date(2025, 3, 10, 1, 30, 0, 0, ny)
	early := time.Date(2025, 3, 9, 3, 30, 0, 0, ny)
	tests := []struct {
		cyc        time.Time
		text, want string
	}{
		{after, "$[yyyymmddhh24mi-1]", "202503090130"},     // calendar day: wall clock kept
		{after, "$[yyyymmddhh24mi-24/24]", "202503090130"}, // 24/24 is a whole day
		{early, "$[hh24mi-2/24]", "0030"},                  // absolute: 03:30 EDT - 2h = 00:30 EST
		{early, "$[hh24mi-1]", "0330"},
		{early, "$bizdate $cyctime", "20250308 20250309033000"},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.text, tt.cyc, nil)
		require.NoError(t, err, tt.text)
		assert.Equal(t, tt.want, got, tt.text)
	}
}

func TestShanghaiLocation(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	cyc := time.Date(2025, 1, 1, 0, 30, 0, 0, sh)
	got, err := Resolve("$bizdate $[yyyymmddhh24mi-1/24] ${yyyymm-1}", cyc, nil)
	require.NoError(t, err)
	assert.Equal(t, "20241231 202412312330 202411", got)
}

func TestResolveAll(t *testing.T) {
	params := map[string]string{
		"bizdate":   "$bizdate",
		"last_hour": "$[hh24-1/24]",
		"path":      "/data/${yyyy}/${mm}/$last_hour",
		"literal":   "cn-hangzhou",
	}
	got, err := ResolveAll(params, cycDoc)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"bizdate":   "20250726",
		"last_hour": "23",
		"path":      "/data/2025/07/23",
		"literal":   "cn-hangzhou",
	}, got)

	_, err = ResolveAll(map[string]string{"ok": "1", "bad": "${nope}"}, cycDoc)
	require.ErrorIs(t, err, ErrUnknownParameter)
	assert.EqualError(t, err, `schedparam: parameter "bad": position 0: unknown parameter "${nope}"`)
}

func TestResolverReuse(t *testing.T) {
	r := NewResolver(map[string]string{"p": "${yyyymmdd-1}"})
	tmpl, err := Parse("ds='$p' and gmt='$gmtdate'")
	require.NoError(t, err)
	assert.Equal(t, "ds='$p' and gmt='$gmtdate'", tmpl.String())
	assert.Equal(t, []string{"gmtdate", "p"}, tmpl.Names())
	for d := 1; d <= 3; d++ {
		got, err := r.Execute(tmpl, at(2025, 3, d, 0, 0, 0))
		require.NoError(t, err)
		want := map[int]string{1: "ds='20250227' and gmt='20250301'", 2: "ds='20250228' and gmt='20250302'", 3: "ds='20250301' and gmt='20250303'"}[d]
		assert.Equal(t, want, got)
	}
}

func TestBizDate(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	got := BizDate(time.Date(2024, 3, 1, 0, 5, 0, 0, sh))
	assert.Equal(t, time.Date(2024, 2, 29, 0, 0, 0, 0, sh), got)
	assert.Equal(t, sh, got.Location())
}

func TestZeroAndNilResolver(t *testing.T) {
	var nilR *Resolver
	for _, r := range []*Resolver{nilR, {}} {
		got, err := r.Resolve("$bizdate $_x", cycDoc)
		require.NoError(t, err)
		assert.Equal(t, "20250726 $_x", got)
		all, err := r.ResolveAll(cycDoc)
		require.NoError(t, err)
		assert.Empty(t, all)
		got, err = r.Execute(nil, cycDoc)
		require.NoError(t, err)
		assert.Empty(t, got)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := NewResolver(map[string]string{"a": "$bizdate", "b": "${a}_$[hh24]"})
	tmpl, err := Parse("$b/$a")
	require.NoError(t, err)
	done := make(chan string, 8)
	for i := range 8 {
		go func() {
			v, _ := r.Execute(tmpl, at(2025, 7, 27, i, 0, 0))
			done <- v
		}()
	}
	seen := map[string]bool{}
	for range 8 {
		seen[<-done] = true
	}
	assert.Len(t, seen, 8)
	assert.True(t, seen["20250726_03/20250726"])
}
