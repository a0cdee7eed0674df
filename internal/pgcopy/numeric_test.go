package pgcopy

import (
	"testing"
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
