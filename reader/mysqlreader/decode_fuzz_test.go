package mysqlreader

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzDecoders feeds the hand-written text decoders arbitrary bytes: none
// may panic, and every value one accepts must agree with a reference
// parser (strconv, math/big, time).
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "127", "-128", "255", "256", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
		"18446744073709551616", "99999999999999999999", "+1", "", "-", "1.5", "-1.50", ".5", "5.", "1..2", "12345678901234567890123456789012345.123",
		"2024-02-29", "0000-00-00", "9999-12-31", "1000-01-01", "2024-13-01", "24-01-01",
		"-838:59:59", "838:59:59.999999", "00:00:00", "23:59:59.999999", "100:00:00.5", "1:2:3", "-:00:00", "12:00:00.1234567",
		"2024-07-01 08:00:00.000001", "9999-12-31 23:59:59.999999", "2024-07-01T08:00:00", "2024-07-01 08:00:00.",
		"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430cz", "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := string(b)
		for _, bits := range []int{8, 16, 32, 64} {
			if v, err := parseInt(b, bits); err == nil {
				ref, rerr := strconv.ParseInt(s, 10, bits)
				if rerr != nil || ref != v || strings.HasPrefix(s, "+") {
					t.Fatalf("parseInt(%q, %d) = %d, strconv says %d, %v", s, bits, v, ref, rerr)
				}
			}
			if v, err := parseUint(b, bits); err == nil {
				ref, rerr := strconv.ParseUint(s, 10, bits)
				if rerr != nil || ref != v {
					t.Fatalf("parseUint(%q, %d) = %d, strconv says %d, %v", s, bits, v, ref, rerr)
				}
			}
		}
		for _, scale := range []int32{0, 2, 10} {
			if v, err := parseDec128(b, scale); err == nil {
				r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
				if !ok || strings.Count(s, ".") > 1 {
					t.Fatalf("parseDec128(%q) accepted a non-number", s)
				}
				want := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
				if !want.IsInt() || want.Num().Cmp(v.BigInt()) != 0 {
					// 38 digits overflow a decimal128: only values that fit are compared.
					if want.IsInt() && want.Num().BitLen() < 127 {
						t.Fatalf("parseDec128(%q, %d) = %s, want %s", s, scale, v.BigInt(), want.Num())
					}
				}
			}
			parseDec256(b, scale)
		}
		if y, m, d, err := parseDate(b); err == nil {
			if _, terr := time.Parse("2006-01-02", s); terr != nil && m <= 12 && d <= 28 {
				t.Fatalf("parseDate(%q) = %d-%d-%d, time.Parse says %v", s, y, m, d, terr)
			}
			if got := daysFromCivil(y, m, d); m <= 12 && d <= 28 && got != time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix()/86400 {
				t.Fatalf("daysFromCivil(%d, %d, %d) = %d", y, m, d, got)
			}
		}
		if us, err := parseTime(b); err == nil {
			neg := strings.HasPrefix(s, "-")
			if (us < 0) != neg && us != 0 {
				t.Fatalf("parseTime(%q) = %d: wrong sign", s, us)
			}
		}
		parseDateTime(b, nil)
		parseDateTime(b, time.FixedZone("x", 3600))
		checkDateTimeParsers(t, b)
		var u [16]byte
		if err := parseUUID(b, &u); err == nil && len(b) != 36 {
			t.Fatalf("parseUUID(%q) accepted %d bytes", s, len(b))
		}
	})
}
