package sqlitewriter

import (
	"fmt"
	"testing"
	"time"
)

// TestAppendN: the two-digits-at-a-time formatter writes what %0*d does,
// for every width the writer uses and values that fit it or outgrow it.
func TestAppendN(t *testing.T) {
	for _, width := range []int{0, 1, 2, 3, 4, 6, 9} {
		for _, v := range []int64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1969, 2026, 9999, 10000, 123456, 592000, 999999, 1000000, 123456789, 999999999} {
			if got, want := string(appendN([]byte("x"), v, width)), "x"+fmt.Sprintf("%0*d", width, v); got != want && !(v == 0 && width == 0 && got == "x") {
				t.Errorf("appendN(%d, %d) = %q, want %q", v, width, got, want)
			}
		}
	}
}

// TestAppendTimestamp: timestamps and dates format as time.Format does,
// across eras, leap days and every unit.
func TestAppendTimestamp(t *testing.T) {
	for _, s := range []string{"1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z", "2024-02-29T12:34:56.000001Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2026-01-05T07:33:53.210125Z", "1900-03-01T01:02:03.456789Z"} {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendTimestamp(nil, nil, tm.UnixMicro(), 1e6, 6, true)
		if want := tm.Format("2006-01-02 15:04:05.000000") + "+00:00"; err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", s, got, err, want)
		}
		got, err = appendTimestamp(nil, nil, tm.UnixNano()/1e3*1e3+7, 1e9, 9, false)
		if want := tm.Format("2006-01-02 15:04:05.000000") + "007"; tm.Year() > 1677 && tm.Year() < 2262 && (err != nil || string(got) != want) {
			t.Errorf("%s ns: %q, %v; want %q", s, got, err, want)
		}
		got, err = appendDate(nil, tm.Unix()/86400-boolInt(tm.Unix() < 0 && tm.Unix()%86400 != 0))
		if want := tm.Format("2006-01-02"); err != nil || string(got) != want {
			t.Errorf("%s date: %q, %v; want %q", s, got, err, want)
		}
	}
	if _, err := appendDate(nil, -719529); err == nil { // 0000-12-31 minus a day: year -1
		t.Error("year -1: no error")
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestAppendTimestampCached: with a day cache (dayText, as the binders use
// it), a sequence of timestamps, dates and times of day formats exactly
// as without one: same days in a row, day changes, negative days, an
// out-of-range year in between, and clocks past 24 h or negative.
func TestAppendTimestampCached(t *testing.T) {
	const day = int64(86400e6)
	seq := []int64{0, 1, 2, day - 1, day, day + 5, -1, -day, -day - 1, 1767225602592000, 1767225605184000, 1767225605184001,
		253402300799999999 /* 9999-12-31 */, 253402300800000000 /* 10000-01-01: error */, 253402300799999999, -62135596800000000 /* 0001-01-01 */, 0}
	var dc dayText
	for _, tz := range []bool{false, true} {
		for _, v := range seq {
			want, werr := appendTimestamp([]byte("x"), nil, v, 1e6, 6, tz)
			got, gerr := appendTimestamp([]byte("x"), &dc, v, 1e6, 6, tz)
			if (werr == nil) != (gerr == nil) || string(got) != string(want) {
				t.Errorf("%d: cached %q, %v; want %q, %v", v, got, gerr, want, werr)
			}
			dw, derr := appendDate(nil, floorDiv(v, day))
			dg, dgerr := dc.appendDate(nil, floorDiv(v, day))
			if (derr == nil) != (dgerr == nil) || string(dg) != string(dw) {
				t.Errorf("%d date: cached %q, %v; want %q, %v", v, dg, dgerr, dw, derr)
			}
		}
	}
	for _, tc := range []struct {
		ns     int64
		digits int
		want   string
	}{
		{0, 6, "00:00:00.000000"}, {86399999999999, 6, "23:59:59.999999"}, {86399999999999, 9, "23:59:59.999999999"},
		{3723000004000, 6, "01:02:03.000004"}, {3723000000005, 9, "01:02:03.000000005"},
		{99*3600e9 + 59*60e9 + 59e9, 6, "99:59:59.000000"}, {100 * 3600e9, 6, "100:00:00.000000"},
	} {
		if got := string(appendClock(nil, tc.ns, tc.digits)); got != tc.want {
			t.Errorf("appendClock(%d, %d) = %q, want %q", tc.ns, tc.digits, got, tc.want)
		}
	}
}
