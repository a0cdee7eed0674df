package mysqlreader

import (
	"fmt"
	"testing"
	"time"
)

// The digit-by-digit parsers the two-digit ones replaced: the references
// of TestDateTimeParsers and FuzzDecoders.

func parseDateRef(b []byte) (y, m, d int, err error) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, fmt.Errorf("%q is not a date", b)
	}
	y, ok1 := num(b[:4])
	m, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, 0, fmt.Errorf("%q is not a date", b)
	}
	if y == 0 || m == 0 || d == 0 {
		return 0, 0, 0, errZeroDate
	}
	return y, m, d, nil
}

func parseFracRef(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if b[0] != '.' || len(b) > 7 {
		return 0, false
	}
	v, ok := num(b[1:])
	if !ok {
		return 0, false
	}
	return int64(v) * int64(pow10[7-len(b)]), true
}

func parseDateTimeRef(b []byte, loc *time.Location) (int64, error) {
	if len(b) < 19 || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return 0, fmt.Errorf("%q is not a datetime", b)
	}
	y, m, d, err := parseDateRef(b[:10])
	if err != nil {
		return 0, err
	}
	h, ok1 := num(b[11:13])
	mi, ok2 := num(b[14:16])
	s, ok3 := num(b[17:19])
	f, ok4 := parseFracRef(b[19:])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, fmt.Errorf("%q is not a datetime", b)
	}
	if loc != nil && loc != time.UTC {
		return time.Date(y, time.Month(m), d, h, mi, s, int(f)*1000, loc).UnixMicro(), nil
	}
	return (daysFromCivil(y, m, d)*86400+int64(h)*3600+int64(mi)*60+int64(s))*1_000_000 + f, nil
}

// checkDateTimeParsers fails t when a parser and its reference differ on b.
func checkDateTimeParsers(t *testing.T, b []byte) {
	t.Helper()
	y, m, d, err := parseDate(b)
	ry, rm, rd, rerr := parseDateRef(b)
	if y != ry || m != rm || d != rd || fmt.Sprint(err) != fmt.Sprint(rerr) {
		t.Fatalf("parseDate(%q) = %d-%d-%d, %v; the reference %d-%d-%d, %v", b, y, m, d, err, ry, rm, rd, rerr)
	}
	f, ok := parseFrac(b)
	rf, rok := parseFracRef(b)
	if f != rf || ok != rok {
		t.Fatalf("parseFrac(%q) = %d, %v; the reference %d, %v", b, f, ok, rf, rok)
	}
	for _, loc := range []*time.Location{nil, time.FixedZone("x", -5*3600)} {
		v, err := parseDateTime(b, loc)
		rv, rerr := parseDateTimeRef(b, loc)
		if v != rv || fmt.Sprint(err) != fmt.Sprint(rerr) {
			t.Fatalf("parseDateTime(%q, %v) = %d, %v; the reference %d, %v", b, loc, v, err, rv, rerr)
		}
	}
}

// TestDateTimeParsers holds the two-digit date and time parsers to the
// digit-by-digit ones on valid values, extremes, zero dates and malformed
// text (every digit position replaced by each byte that is not a digit).
func TestDateTimeParsers(t *testing.T) {
	valid := []string{
		"2024-07-01", "0000-00-00", "1000-01-01", "9999-12-31", "2024-00-15", "2024-02-31",
		"2024-07-01 08:00:00", "2024-07-01 08:00:00.000001", "9999-12-31 23:59:59.999999", "1000-01-01 00:00:00",
		"0000-00-00 00:00:00", "2024-07-01 08:00:00.5", "2024-07-01 08:00:00.12", "2024-07-01 08:00:00.12345",
		"1970-01-01 00:00:00.000000", "1969-12-31 23:59:59.999999", ".5", ".123456", "", ".",
	}
	for _, s := range valid {
		checkDateTimeParsers(t, []byte(s))
		for i := range len(s) {
			for _, c := range []byte{'/', ':', '0' - 1, '9' + 1, 'a', ' ', 0, 0xff, '-', '.'} {
				b := []byte(s)
				b[i] = c
				checkDateTimeParsers(t, b)
				checkDateTimeParsers(t, b[:i])
			}
		}
	}
	if _, err := parseDateTime([]byte("2024-07-01 08:00:0x.000001"), nil); err == nil {
		t.Fatal("a letter in the seconds passed")
	}
	if us, err := parseDateTime([]byte("2024-07-01 08:00:00.000001"), nil); err != nil ||
		us != time.Date(2024, 7, 1, 8, 0, 0, 1000, time.UTC).UnixMicro() {
		t.Fatalf("parseDateTime = %d, %v", us, err)
	}
}
