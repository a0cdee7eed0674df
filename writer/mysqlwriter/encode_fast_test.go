package mysqlwriter

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestFastEncodersMatchReference compares the table-driven encoders with
// the earlier strconv-based ones on edge values.
func TestFastEncodersMatchReference(t *testing.T) {
	const day = 86_400_000_000
	for _, us := range []int64{0, 1, -1, 999_999, 1_000_000, day - 1, day, -day, -day - 1, 1_717_200_000_123_456,
		253_402_300_799_999_999, 253_402_300_800_000_000, -62_135_596_800_000_000, -62_135_596_800_000_001,
		-62_167_219_200_000_000, -62_167_219_200_000_001, math.MaxInt64 / 10, math.MinInt64 / 10, 120_000_000, 1_500_000} {
		if got, want := appendDateTime(nil, us), appendDateTimeSlow(nil, us); !bytes.Equal(got, want) {
			t.Errorf("appendDateTime(%d) = %q, want %q", us, got, want)
		}
		if got, want := appendDuration(nil, us), appendDurationRef(nil, us); !bytes.Equal(got, want) {
			t.Errorf("appendDuration(%d) = %q, want %q", us, got, want)
		}
		days := us / day
		if got, want := appendDate(nil, days), appendDateSlow(nil, days); !bytes.Equal(got, want) {
			t.Errorf("appendDate(%d) = %q, want %q", days, got, want)
		}
	}
	for _, v := range []int64{0, 1, -1, 9, 10, 99, 100, -100, 101, 12345, -12345, 999_999_999_999, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		for _, scale := range []int32{-3, 0, 1, 2, 6, 18, 19, 20, 38} {
			if got, want := appendScaled([]byte("x"), v, scale), appendScaledRef([]byte("x"), v, scale); !bytes.Equal(got, want) {
				t.Errorf("appendScaled(%d, %d) = %q, want %q", v, scale, got, want)
			}
		}
	}
	long := []string{"", "plain", "\\", "\t\n\r\x00\x1a", "a\\Nb", "café 😀\t", "\\\\", "\xff\xfe",
		"Lorem ipsum dolor sit amet, consectetur adipiscing elit", "C:\\new\\table\\N\\x5c end\\ and more text after it",
		"0123456\t89abcdef\x1f\x01 ]]]]]]]]\\\\\\\\\\", "\x7f\x80\x9f\xa0\xdc\x5b\x5d\x1b\x19\x20\x21 plain tail....."}
	for i := range 40 {
		long = append(long, strings.Repeat("x", i)+"\n"+strings.Repeat("y", 40-i)+"\\")
	}
	for _, s := range long {
		if got, want := appendEscaped([]byte("x"), []byte(s)), appendEscapedRef([]byte("x"), []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
	}
	for _, u := range []uuid.UUID{{}, uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		if got, want := string(appendUUID(nil, u[:])), u.String(); got != want {
			t.Errorf("appendUUID = %q, want %q", got, want)
		}
	}
}

// FuzzAppendEscaped compares the table-driven escaper with a simple
// reference, and the date and time encoders with the strconv-based ones.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "a", "\\N", "tab\there", "nl\n", "cr\r", "nul\x00", "sub\x1a", "😀\\\t",
		"eight ok", "sixteen plain ok", "seven\\\x1fx", "0123456789abcdef\n", "café Zürich ß 日本語 😀 ñ \\ end\x1a",
		"\x1f\x20\x5b\x5d\x7f\x80\xdc\xff!", "aaaaaaa\\bbbbbbbb\tcccccccc"} {
		f.Add([]byte(s), int64(len(s))*123_456_789_012)
	}
	f.Fuzz(func(t *testing.T, b []byte, us int64) {
		var want []byte
		for _, c := range b {
			switch c {
			case '\\':
				want = append(want, '\\', '\\')
			case '\t':
				want = append(want, '\\', 't')
			case '\n':
				want = append(want, '\\', 'n')
			case '\r':
				want = append(want, '\\', 'r')
			case 0:
				want = append(want, '\\', '0')
			case 0x1a:
				want = append(want, '\\', 'Z')
			default:
				want = append(want, c)
			}
		}
		if got := appendEscaped(nil, b); !bytes.Equal(got, want) {
			t.Fatalf("appendEscaped(%q) = %q, want %q", b, got, want)
		}
		if needsEscape(b) != !bytes.Equal(want, b) {
			t.Fatalf("needsEscape(%q) = %v", b, needsEscape(b))
		}
		us /= 8 // keep the days in civil's range
		if got, want := appendDateTime(nil, us), appendDateTimeSlow(nil, us); !bytes.Equal(got, want) {
			t.Fatalf("appendDateTime(%d) = %q, want %q", us, got, want)
		}
		// Twice through one cache (a miss, then a hit), after a day of the same slot.
		var c dayCache
		c.appendDateTime(nil, us-64*86_400_000_000)
		for range 2 {
			if got, want := c.appendDateTime(nil, us), appendDateTimeSlow(nil, us); !bytes.Equal(got, want) {
				t.Fatalf("dayCache.appendDateTime(%d) = %q, want %q", us, got, want)
			}
			if got, want := c.appendDate(nil, us/86_400_000_000), appendDateSlow(nil, us/86_400_000_000); !bytes.Equal(got, want) {
				t.Fatalf("dayCache.appendDate(%d) = %q, want %q", us/86_400_000_000, got, want)
			}
		}
		if got, want := appendDuration(nil, us), appendDurationRef(nil, us); !bytes.Equal(got, want) {
			t.Fatalf("appendDuration(%d) = %q, want %q", us, got, want)
		}
		if got, want := appendScaled(nil, us, int32(len(b)%40)), appendScaledRef(nil, us, int32(len(b)%40)); !bytes.Equal(got, want) {
			t.Fatalf("appendScaled(%d, %d) = %q, want %q", us, len(b)%40, got, want)
		}
	})
}

// TestMaySpecial8 checks the eight-byte test against the byte table: every
// byte value at every position, among fillers that need no escaping and
// some that do.
func TestMaySpecial8(t *testing.T) {
	fillers := []byte{' ', 'a', '[', ']', 0x1b, 0x1f, 0x7f, 0x80, 0xdc, 0xff, '\\', 0, '\n'}
	special := func(c byte) bool { return c < 0x20 || c == '\\' }
	for c := range 256 {
		for k := range 8 {
			for _, f := range fillers {
				var b [8]byte
				for j := range b {
					b[j] = f
				}
				b[k] = byte(c)
				x := binary.LittleEndian.Uint64(b[:])
				if got, want := maySpecial8(x), special(byte(c)) || special(f); got != want {
					t.Fatalf("maySpecial8(% x) = %v, want %v", b, got, want)
				}
				if !special(byte(c)) || special(f) {
					continue
				}
				// The escaper finds it among plain bytes on either side.
				in := append(append(bytes.Repeat([]byte{f}, 5), b[:]...), bytes.Repeat([]byte{f}, 9)...)
				if got, want := appendEscaped(nil, in), appendEscapedRef(nil, in); !bytes.Equal(got, want) {
					t.Fatalf("appendEscaped(%q) = %q, want %q", in, got, want)
				}
			}
		}
	}
}

// TestDayCache formats days that share a slot one after the other, days
// again, and days outside the fast range, through one cache.
func TestDayCache(t *testing.T) {
	const day = 86_400_000_000
	var c dayCache
	for _, days := range []int64{19875, 19875 + 64, 19875, 19876, -1, -65, 0, 64, 2932896, 2932897, -719529, -719528, 19875 + 64} {
		for _, tod := range []int64{0, 1, day - 1, 43_200_000_000} {
			us := days*day + tod
			if got, want := c.appendDateTime([]byte("x"), us), append([]byte("x"), appendDateTimeSlow(nil, us)...); !bytes.Equal(got, want) {
				t.Fatalf("appendDateTime(%d) = %q, want %q", us, got, want)
			}
		}
		if got, want := c.appendDate(nil, days), appendDateSlow(nil, days); !bytes.Equal(got, want) {
			t.Fatalf("appendDate(%d) = %q, want %q", days, got, want)
		}
	}
}
