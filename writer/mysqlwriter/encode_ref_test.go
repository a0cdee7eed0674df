package mysqlwriter

import "strconv"

// The encoders as they were before the table-driven versions: the
// references the tests and fuzz targets compare the fast ones with.

// appendScaledRef appends v / 10^scale as decimal text.
func appendScaledRef(d []byte, v int64, scale int32) []byte {
	if scale <= 0 {
		d = strconv.AppendInt(d, v, 10)
		for range -scale {
			d = append(d, '0')
		}
		return d
	}
	var u uint64
	if v < 0 {
		d = append(d, '-')
		u = uint64(-v)
	} else {
		u = uint64(v)
	}
	var buf [24]byte
	s := strconv.AppendUint(buf[:0], u, 10)
	for len(s) <= int(scale) {
		s = append([]byte{'0'}, s...)
	}
	p := len(s) - int(scale)
	d = append(d, s[:p]...)
	d = append(d, '.')
	return append(d, s[p:]...)
}

func appendDurationRef(d []byte, us int64) []byte {
	if us < 0 {
		d = append(d, '-')
		us = -us
	}
	return appendClockSlow(d, us, 2)
}

// appendEscapedRef appends b escaped for LOAD DATA with FIELDS ESCAPED BY '\\'.
func appendEscapedRef(d, b []byte) []byte {
	start := 0
	for i, c := range b {
		var esc byte
		switch c {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case 0:
			esc = '0'
		case 0x1a:
			esc = 'Z'
		default:
			continue
		}
		d = append(d, b[start:i]...)
		d = append(d, '\\', esc)
		start = i + 1
	}
	return append(d, b[start:]...)
}
