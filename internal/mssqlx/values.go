package mssqlx

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// GUIDSwap converts a uniqueidentifier between SQL Server's byte order (the
// first three groups little-endian, as the driver sends and returns them)
// and RFC 4122's (big-endian, as arrow.uuid holds them). It is its own
// inverse: 00112233-4455-6677-8899-aabbccddeeff is 33 22 11 00 55 44 77 66
// 88 99 aa bb cc dd ee ff on the wire.
func GUIDSwap(b [16]byte) [16]byte {
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b
}

// The ranges of SQL Server's date and time types.
var (
	MinDate          = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxDateExclusive = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	MinDateTime      = time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)
	MinSmallDateTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	// MaxSmallDateTime is the last smalldatetime, 2079-06-06 23:59.
	MaxSmallDateTime = time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC)
)

// ErrRange is wrapped by errors about values a SQL Server type cannot hold.
var ErrRange = errors.New("out of range")

// DateTimeTicks returns the 1/300-second tick of a datetime that a
// fraction of a second of ns nanoseconds rounds to, the way SQL Server
// rounds a datetime2 into a datetime: to the nearest tick, a half tick up.
// The result is 0..300 (300 carries into the next second).
func DateTimeTicks(ns int) int {
	return (ns*3 + 5_000_000) / 10_000_000
}

// RoundDateTime returns t (its wall clock, zone-less) rounded to SQL
// Server's datetime: to the nearest 1/300 s, as the server itself rounds;
// the fraction of the result is the tick's exact nanosecond, truncated
// (1 tick = 3333333 ns), which the driver encodes back to the same tick.
// A value outside 1753-01-01 .. 9999-12-31 23:59:59.997 after rounding is
// an error wrapping ErrRange.
func RoundDateTime(t time.Time) (time.Time, error) {
	t = wall(t)
	ticks := DateTimeTicks(t.Nanosecond())
	r := t.Truncate(time.Second).Add(time.Duration(ticks) * time.Second / 300)
	if r.Before(MinDateTime) || !r.Before(MaxDateExclusive) {
		return time.Time{}, fmt.Errorf("%s is outside datetime's 1753-01-01 .. 9999-12-31 23:59:59.997: %w", t.Format(time.RFC3339Nano), ErrRange)
	}
	return r, nil
}

// RoundSmallDateTime returns t rounded to smalldatetime's minute the way SQL
// Server rounds: 29.998 seconds or less down, 29.999 or more up. A result
// outside 1900-01-01 .. 2079-06-06 23:59 wraps ErrRange.
func RoundSmallDateTime(t time.Time) (time.Time, error) {
	t = wall(t)
	r := t.Truncate(time.Minute)
	if t.Sub(r) >= 29999*time.Millisecond {
		r = r.Add(time.Minute)
	}
	if r.Before(MinSmallDateTime) || r.After(MaxSmallDateTime) {
		return time.Time{}, fmt.Errorf("%s is outside smalldatetime's 1900-01-01 .. 2079-06-06 23:59: %w", t.Format(time.RFC3339Nano), ErrRange)
	}
	return r, nil
}

// CheckDate2 reports a time outside date/datetime2's 0001-01-01 .. 9999-12-31.
func CheckDate2(t time.Time) error {
	t = wall(t)
	if t.Before(MinDate) || !t.Before(MaxDateExclusive) {
		return fmt.Errorf("%s is outside 0001-01-01 .. 9999-12-31: %w", t.Format(time.RFC3339Nano), ErrRange)
	}
	return nil
}

// TimeScaleLoss reports whether ns nanoseconds of a time/datetime2/
// datetimeoffset have digits below the column's scale (0..7), which the
// server would round away.
func TimeScaleLoss(ns int, scale int) bool {
	unit := 1
	for i := scale; i < 9; i++ {
		unit *= 10
	}
	return ns%unit != 0
}

func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Money ranges, in units of 1/10000.
var (
	maxMoney      = decimal128.FromI64(922337203685477_5807)
	minMoney      = decimal128.FromI64(-922337203685477_5808)
	maxSmallMoney = decimal128.FromI64(214748_3647)
	minSmallMoney = decimal128.FromI64(-214748_3648)
)

// Rescale returns n (of scale from) at scale to, or an error when digits
// would be lost (SQL Server would round them) or the result does not fit
// precision prec. Nothing is rounded silently.
func Rescale(n decimal128.Num, from, to, prec int32) (decimal128.Num, error) {
	out := n
	if from != to {
		var err error
		out, err = n.Rescale(from, to)
		if err != nil {
			return n, fmt.Errorf("%s has more than %d decimal places: %w", n.ToString(from), to, ErrRange)
		}
	}
	if !out.FitsInPrecision(prec) {
		return n, fmt.Errorf("%s does not fit decimal(%d,%d): %w", n.ToString(from), prec, to, ErrRange)
	}
	return out, nil
}

// CheckMoney reports a value (at scale 4) outside money's range, or
// smallmoney's when small.
func CheckMoney(n decimal128.Num, small bool) error {
	lo, hi, name := minMoney, maxMoney, "money"
	if small {
		lo, hi, name = minSmallMoney, maxSmallMoney, "smallmoney"
	}
	if n.Less(lo) || n.Greater(hi) {
		return fmt.Errorf("%s is outside %s's range: %w", n.ToString(4), name, ErrRange)
	}
	return nil
}

// ParseDecimal parses the decimal text the driver returns for decimal,
// numeric, money and smallmoney ("-123.4500", "0.0001", "42") into a
// decimal128 of scale scale and precision prec. Fewer fraction digits are
// padded; more, a bad character or too many digits is an error.
func ParseDecimal(b []byte, prec, scale int32) (decimal128.Num, error) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var u uint64
	var bi *big.Int
	digits, frac := 0, -1
	add := func(d byte) {
		if bi == nil && u < (1<<63)/10 {
			u = u*10 + uint64(d)
			return
		}
		if bi == nil {
			bi = new(big.Int).SetUint64(u)
		}
		bi.Mul(bi, big.NewInt(10))
		bi.Add(bi, big.NewInt(int64(d)))
	}
	if i == len(b) {
		return decimal128.Num{}, fmt.Errorf("bad decimal %q", b)
	}
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			add(c - '0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return decimal128.Num{}, fmt.Errorf("bad decimal %q", b)
		}
	}
	if frac < 0 {
		frac = 0
	}
	if int32(frac) > scale {
		return decimal128.Num{}, fmt.Errorf("decimal %q has more than %d decimal places", b, scale)
	}
	for ; int32(frac) < scale; frac++ {
		add(0)
		digits++
	}
	// Leading zeros do not count against the precision, but 39 or more
	// digits could overflow decimal128 before the precision check.
	if bi != nil && bi.BitLen() > 127 {
		return decimal128.Num{}, fmt.Errorf("decimal %q does not fit decimal(%d,%d)", b, prec, scale)
	}
	var n decimal128.Num
	if bi != nil {
		n = decimal128.FromBigInt(bi)
	} else {
		n = decimal128.FromU64(u)
	}
	if neg {
		n = n.Negate()
	}
	if !n.FitsInPrecision(prec) {
		return decimal128.Num{}, fmt.Errorf("decimal %q does not fit decimal(%d,%d)", b, prec, scale)
	}
	return n, nil
}

// FormatDecimal returns n at scale as decimal text ("-1.2500"), like
// n.ToString(scale) but without math/big for values that fit an int64.
func FormatDecimal(n decimal128.Num, scale int32) string {
	hi, lo := n.HighBits(), n.LowBits()
	if !((hi == 0 && lo < 1<<63) || (hi == -1 && lo >= 1<<63)) || scale > 18 {
		return n.ToString(scale)
	}
	v := int64(lo)
	neg := v < 0
	var u uint64
	if neg {
		u = uint64(-v)
	} else {
		u = uint64(v)
	}
	var buf [48]byte
	i := len(buf)
	for d := int32(0); d < scale || u > 0 || d == scale; d++ {
		if d == scale && scale > 0 {
			i--
			buf[i] = '.'
		}
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if d >= scale && u == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
