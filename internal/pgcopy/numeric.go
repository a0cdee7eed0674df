package pgcopy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

const (
	numPos  = 0x0000
	numNeg  = 0x4000
	numNaN  = 0xC000
	numPInf = 0xD000
	numNInf = 0xF000
)

var pow10u64 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < 20; i++ {
		p[i] = p[i-1] * 10
	}
	return
}()

type numeric struct {
	ndigits, weight int
	sign            uint16
	dscale          int
	digits          []byte // 2 bytes per base-10000 digit
}

func parseNumeric(v []byte) (numeric, error) {
	if len(v) < 8 {
		return numeric{}, errors.New("numeric: short value")
	}
	n := numeric{
		ndigits: int(int16(binary.BigEndian.Uint16(v))),
		weight:  int(int16(binary.BigEndian.Uint16(v[2:]))),
		sign:    binary.BigEndian.Uint16(v[4:]),
		dscale:  int(int16(binary.BigEndian.Uint16(v[6:]))),
	}
	if n.ndigits < 0 || len(v) != 8+2*n.ndigits {
		return numeric{}, errors.New("numeric: bad length")
	}
	n.digits = v[8:]
	return n, nil
}

func (n numeric) digit(i int) uint64 { return uint64(binary.BigEndian.Uint16(n.digits[2*i:])) }

func (n numeric) special() string {
	switch n.sign {
	case numNaN:
		return "NaN"
	case numPInf:
		return "Infinity"
	case numNInf:
		return "-Infinity"
	}
	return ""
}

// unscaled returns the value times 10^scale as an integer: either small (fits
// a uint64, big == nil) or big. It fails when the value has more fractional
// digits than scale, or is NaN or infinite.
func (n numeric) unscaled(scale int) (neg bool, small uint64, bigv *big.Int, err error) {
	if s := n.special(); s != "" {
		return false, 0, nil, fmt.Errorf("numeric %s cannot be stored in a decimal", s)
	}
	neg = n.sign == numNeg
	e := 4*(n.weight-n.ndigits+1) + scale
	if n.ndigits <= 4 {
		var acc uint64
		for i := 0; i < n.ndigits; i++ {
			acc = acc*10000 + n.digit(i)
		}
		switch {
		case e >= 0 && e < 20 && acc <= ^uint64(0)/pow10u64[e]:
			return neg, acc * pow10u64[e], nil, nil
		case e < 0 && -e < 20:
			if acc%pow10u64[-e] != 0 {
				return false, 0, nil, fmt.Errorf("numeric has more than %d fractional digits", scale)
			}
			return neg, acc / pow10u64[-e], nil, nil
		}
	}
	b := new(big.Int)
	t := new(big.Int)
	tenK := big.NewInt(10000)
	for i := 0; i < n.ndigits; i++ {
		b.Mul(b, tenK).Add(b, t.SetUint64(n.digit(i)))
	}
	if e >= 0 {
		b.Mul(b, t.Exp(big.NewInt(10), big.NewInt(int64(e)), nil))
	} else {
		var r big.Int
		b.QuoRem(b, t.Exp(big.NewInt(10), big.NewInt(int64(-e)), nil), &r)
		if r.Sign() != 0 {
			return false, 0, nil, fmt.Errorf("numeric has more than %d fractional digits", scale)
		}
	}
	return neg, 0, b, nil
}

// unscaled128 is unscaled for the common case, without big.Int: ok is
// false (and the caller falls back to unscaled) when the digits or the
// value times 10^scale do not fit 128 bits, or more than 19 fractional
// digits are to be dropped.
func (n numeric) unscaled128(scale int) (neg bool, hi, lo uint64, ok bool, err error) {
	if s := n.special(); s != "" {
		return false, 0, 0, false, fmt.Errorf("numeric %s cannot be stored in a decimal", s)
	}
	neg = n.sign == numNeg
	for i := 0; i < n.ndigits; i++ {
		if hi, lo, ok = mul128(hi, lo, 10000); !ok {
			return false, 0, 0, false, nil
		}
		var c uint64
		lo, c = bits.Add64(lo, n.digit(i), 0)
		if hi, c = bits.Add64(hi, 0, c); c != 0 {
			return false, 0, 0, false, nil
		}
	}
	if hi == 0 && lo == 0 {
		return neg, 0, 0, true, nil
	}
	e := 4*(n.weight-n.ndigits+1) + scale
	for e > 0 {
		k := min(e, 19)
		if hi, lo, ok = mul128(hi, lo, pow10u64[k]); !ok {
			return false, 0, 0, false, nil
		}
		e -= k
	}
	if e < 0 {
		if -e > 19 {
			return false, 0, 0, false, nil
		}
		p := pow10u64[-e]
		var rem uint64
		hi, rem = hi/p, hi%p
		if lo, rem = bits.Div64(rem, lo, p); rem != 0 {
			return false, 0, 0, false, fmt.Errorf("numeric has more than %d fractional digits", scale)
		}
	}
	return neg, hi, lo, true, nil
}

// mul128 returns (hi, lo) * m, and false when it overflows 128 bits.
func mul128(hi, lo, m uint64) (uint64, uint64, bool) {
	h1, l := bits.Mul64(lo, m)
	h2, h3 := bits.Mul64(hi, m)
	h, c := bits.Add64(h3, h1, 0)
	return h, l, h2 == 0 && c == 0
}

// text formats n as PostgreSQL prints it.
func (n numeric) text(dst []byte) []byte {
	if s := n.special(); s != "" {
		return append(dst, s...)
	}
	if n.sign == numNeg {
		dst = append(dst, '-')
	}
	// integer part: digits with weight >= 0
	if n.weight < 0 {
		dst = append(dst, '0')
	} else {
		for w := 0; w <= n.weight; w++ {
			var d uint64
			if w < n.ndigits {
				d = n.digit(w)
			}
			if w == 0 {
				dst = strconv.AppendUint(dst, d, 10)
			} else {
				dst = append(dst, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
			}
		}
	}
	if n.dscale > 0 {
		dst = append(dst, '.')
		for k := 0; k < n.dscale; k++ {
			// fractional decimal digit k sits in base-10000 digit index weight+1+k/4
			idx := n.weight + 1 + k/4
			var d uint64
			if idx >= 0 && idx < n.ndigits {
				d = n.digit(idx)
			}
			d = d / pow10u64[3-k%4] % 10
			dst = append(dst, byte('0'+d))
		}
	}
	return dst
}

// appendNumeric appends the binary numeric of the decimal digits (no sign,
// no point: an unscaled integer) with scale, negated when neg. It does not
// allocate for values of up to 120 digits.
func appendNumeric(dst []byte, neg bool, digits []byte, scale int) []byte {
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	L := len(digits)
	var stack [32]uint16
	var groups []uint16
	weight := 0
	if L > 0 {
		gmax := (L - 1 - scale) >> 2
		gmin := (-scale) >> 2
		if gmax < gmin {
			gmax = gmin
		}
		n := gmax - gmin + 1
		if n <= len(stack) {
			groups = stack[:n]
		} else {
			groups = make([]uint16, n)
		}
		for j, c := range digits {
			p := L - 1 - j - scale
			g := p >> 2
			groups[gmax-g] += uint16(c-'0') * uint16(pow10u64[p-4*g])
		}
		weight = gmax
		for len(groups) > 0 && groups[0] == 0 {
			groups = groups[1:]
			weight--
		}
		for len(groups) > 0 && groups[len(groups)-1] == 0 {
			groups = groups[:len(groups)-1]
		}
	}
	sign := uint16(numPos)
	if len(groups) == 0 {
		weight = 0
	} else if neg {
		sign = numNeg
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(8+2*len(groups)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(groups)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(max(scale, 0)))
	for _, g := range groups {
		dst = binary.BigEndian.AppendUint16(dst, g)
	}
	return dst
}

// appendNumeric128 appends the binary numeric of the decimal128 (lo, hi) with
// scale. Values below 2^64 with a scale up to 16 are split into base-10000
// digits directly; others go through their decimal text.
func appendNumeric128(dst []byte, lo, hi uint64, scale int) []byte {
	neg := int64(hi) < 0
	if neg { // two's complement negation
		lo, hi = -lo, ^hi
		if lo == 0 {
			hi++
		}
	}
	pad := (4 - scale&3) & 3
	if hi != 0 || scale < 0 || scale+pad > 19 {
		var tmp [48]byte
		x := decimal128.New(int64(hi), lo)
		var digits []byte
		if hi == 0 {
			digits = strconv.AppendUint(tmp[:0], lo, 10)
		} else {
			digits = x.BigInt().Append(tmp[:0], 10)
		}
		return appendNumeric(dst, neg, digits, scale)
	}
	// the fraction, padded to whole base-10000 digits; divisions by
	// constants for the common scales
	var ip, fp uint64
	switch scale {
	case 0:
		ip = lo
	case 1:
		ip, fp = lo/10, lo%10*1000
	case 2:
		ip, fp = lo/100, lo%100*100
	case 3:
		ip, fp = lo/1000, lo%1000*10
	case 4:
		ip, fp = lo/10000, lo%10000
	default:
		ip, fp = lo/pow10u64[scale], lo%pow10u64[scale]*pow10u64[pad]
	}
	// g holds the digits most significant first: the integer part's at
	// the end of its first 5 slots, the fraction's after them
	var g [10]uint16
	nf := (scale + pad) >> 2
	for k := nf - 1; k >= 0; k-- {
		g[5+k] = uint16(fp % 10000)
		fp /= 10000
	}
	ni := 0
	for ; ip > 0; ip /= 10000 {
		ni++
		g[5-ni] = uint16(ip % 10000)
	}
	digits := g[5-ni : 5+nf]
	weight := ni - 1
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	sign := uint16(numPos)
	if len(digits) == 0 {
		weight = 0
	} else if neg {
		sign = numNeg
	}
	var out [12 + 2*10]byte
	binary.BigEndian.PutUint32(out[0:], uint32(8+2*len(digits)))
	binary.BigEndian.PutUint16(out[4:], uint16(len(digits)))
	binary.BigEndian.PutUint16(out[6:], uint16(int16(weight)))
	binary.BigEndian.PutUint16(out[8:], sign)
	binary.BigEndian.PutUint16(out[10:], uint16(scale))
	for k, d := range digits {
		binary.BigEndian.PutUint16(out[12+2*k:], d)
	}
	return append(dst, out[:12+2*len(digits)]...)
}

// appendNumericText appends the binary numeric of a decimal text ("-12.5",
// "NaN", "Infinity").
func appendNumericText(dst []byte, s string) ([]byte, error) {
	switch strings.ToLower(s) {
	case "nan":
		return append(dst, 0, 0, 0, 8, 0, 0, 0, 0, 0xC0, 0, 0, 0), nil
	case "infinity", "+infinity", "inf":
		return append(dst, 0, 0, 0, 8, 0, 0, 0, 0, 0xD0, 0, 0, 0), nil
	case "-infinity", "-inf":
		return append(dst, 0, 0, 0, 8, 0, 0, 0, 0, 0xF0, 0, 0, 0), nil
	}
	neg := false
	t := s
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	} else if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	ip, fp, _ := strings.Cut(t, ".")
	if ip == "" && fp == "" || strings.ContainsFunc(ip+fp, func(r rune) bool { return r < '0' || r > '9' }) {
		return dst, fmt.Errorf("%q is not a number", s)
	}
	return appendNumeric(dst, neg, []byte(ip+fp), len(fp)), nil
}
