package pgcopy

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestNumericRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		text  string
		scale int
	}{
		{"0", 0}, {"0.00", 2}, {"1", 0}, {"-1", 0}, {"12345.67", 2}, {"-0.0001", 4}, {"0.5", 1},
		{"10000", 0}, {"99999999999999999999999999.9999999999", 10}, {"1.000000000000000000000000000001", 30},
		{"18446744073709551615", 0}, {"-12.50", 2}, {"100000000", 0}, {"0.00000001", 8},
	} {
		b, err := appendNumericText(nil, tc.text)
		if err != nil {
			t.Fatal(err)
		}
		n, err := parseNumeric(b[4:])
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		if got := string(n.text(nil)); got != tc.text {
			t.Errorf("text(%s) = %s", tc.text, got)
		}
		neg, small, big, err := n.unscaled(tc.scale)
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		s := ""
		if big != nil {
			s = big.String()
		} else {
			s = itoa(small)
		}
		b2 := appendNumeric(nil, neg, []byte(s), tc.scale)
		if string(b2) != string(b) {
			t.Errorf("%s: re-encoded %x, want %x", tc.text, b2, b)
		}
	}
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

// FuzzNumeric checks the fast numeric conversions against the general ones:
// a binary numeric into a decimal128 of any scale (unscaled128 against
// unscaled), and a decimal128 into a binary numeric (appendNumeric128
// against appendNumeric of its digits).
func FuzzNumeric(f *testing.F) {
	f.Add([]byte{0, 3, 0, 1, 0, 0, 0, 2, 0, 1, 9, 41, 26, 44}, uint64(1234567), uint64(0), uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0x40, 0, 0, 0}, uint64(0), ^uint64(0), uint8(38))
	f.Add([]byte{0, 1, 0xff, 0xfe, 0, 0, 0, 8, 0, 1}, ^uint64(0), uint64(1), uint8(17))
	f.Fuzz(func(t *testing.T, v []byte, lo, hi uint64, scale uint8) {
		s := int(scale % 40)
		if n, err := parseNumeric(v); err == nil {
			neg, h, l, ok, err := n.unscaled128(s)
			neg2, small, bigv, err2 := n.unscaled(s)
			if err != nil && err2 == nil {
				t.Fatalf("unscaled128: %v, unscaled: no error", err)
			}
			if err == nil && ok {
				if err2 != nil {
					t.Fatalf("unscaled128 ok, unscaled: %v", err2)
				}
				want := new(big.Int).SetUint64(small)
				if bigv != nil {
					want = bigv
				}
				got := new(big.Int).Lsh(new(big.Int).SetUint64(h), 64)
				got.Or(got, new(big.Int).SetUint64(l))
				if got.Cmp(want) != 0 || neg != neg2 && got.Sign() != 0 {
					t.Fatalf("unscaled128 %v %v, unscaled %v %v", neg, got, neg2, want)
				}
			}
		}
		x := decimal128.New(int64(hi), lo)
		neg := x.Sign() < 0
		a := x
		if neg {
			a = a.Negate()
		}
		got := appendNumeric128(nil, lo, hi, s)
		want := appendNumeric(nil, neg, []byte(a.BigInt().String()), s)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendNumeric128(%v, %d) = %x, want %x", x, s, got, want)
		}
	})
}
