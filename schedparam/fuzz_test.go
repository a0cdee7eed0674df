package schedparam

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzResolve checks that Resolve never panics or hangs, that every error is
// a prefixed *Error (or a wrapped sentinel), that parsing once agrees with
// Resolve, and that text without '$' passes through unchanged.
func FuzzResolve(f *testing.F) {
	seeds := []struct {
		text, param string
		unix        int64
		zone        int
	}{
		{"select * from t where ds='${yyyymmdd}'", "${yyyymmdd-1}", 1753574700, 8},
		{"$[yyyymmddhh24miss-15/24/60] $[add_months(yyyymmdd,-1)-1]", "$[hh24miss]", 1753574700, 0},
		{"${yyyymm-1} ${yyyy-1} ${yyyy-mm-dd-7*2}", "$bizdate", 1709251200, -5},
		{"$bizdate $cyctime $gmtdate $bizmonth ${p} $p", "x${p}", 1735689600, 8},
		{"'$5' $$ $ $_x $(y) ${", "", 0, 0},
		{"$[add_months(yyyymmdd,12*2)] ${yyyymmdd-}", "${q}", 253402300799, 14},
		{"$p$p$p$p", "$q$q$q$q", -62135596800, -12},
		{"${yyyymmdd-(((1)))} $[ss+1/86400] $[yyyymmdd-1/7]", "$[", 1753574700, 3},
	}
	for _, s := range seeds {
		f.Add(s.text, s.param, s.unix, s.zone)
	}
	f.Fuzz(func(t *testing.T, text, param string, unix int64, zone int) {
		loc := time.FixedZone("Z", (zone%15)*3600)
		cyc := time.Unix(unix, 0).In(loc)
		params := map[string]string{"p": param, "q": text}
		got, err := Resolve(text, cyc, params)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "schedparam: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not an *Error: %v", err)
			}
			if pe.Param == "" && (pe.Pos < 0 || pe.Pos >= len(text) || text[pe.Pos] != '$') {
				t.Fatalf("bad position %d in %q: %v", pe.Pos, text, err)
			}
		} else if !strings.Contains(text, "$") && got != text {
			t.Fatalf("text without parameters changed: %q -> %q", text, got)
		}
		tmpl, perr := Parse(text)
		if perr != nil {
			if err == nil {
				t.Fatalf("Parse failed but Resolve succeeded: %v", perr)
			}
			return
		}
		got2, err2 := NewResolver(params).Execute(tmpl, cyc)
		if got2 != got || (err == nil) != (err2 == nil) {
			t.Fatalf("Execute disagrees with Resolve: %q %v vs %q %v", got2, err2, got, err)
		}
	})
}
