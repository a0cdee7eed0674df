package transform

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferrydata/ferry"
)

// DataX's transformers (transformer/doc/transformer.md in alibaba/DataX),
// with DataX's semantics except where they are a trap, which the doc comment
// of each says:
//
//   - indexes and lengths count characters (Unicode code points), not Java's
//     UTF-16 code units, so an emoji is one character, not two;
//   - parameters DataX would reject on every row (a negative length, an
//     unknown pad side, an empty pad string, which loops forever in DataX)
//     are an error when the transform is built;
//   - a value DataX fails on (a start index past the end) makes that row
//     dirty, naming the column and the value; the other rows go on.

// Substr is DataX's dx_substr: the value of the column becomes the
// characters [start, start+length) of its text, clamped at the end. A start
// index past the end of a value makes the row dirty; start == length gives
// "". NULL stays NULL. Non-string columns are turned into their text first
// (see stringer) and the column becomes utf8.
//
// Substr("dataxTest", 2, 5) is "taxTe".
func Substr(column int, start, length int, opts *Options) (ferry.Transformer, error) {
	if start < 0 || length < 0 {
		return nil, fmt.Errorf("transform: dx_substr: startIndex %d and length %d must not be negative", start, length)
	}
	return newStringMap("dx_substr", []colRef{{index: column}}, func(dst []byte, s string, null bool) ([]byte, bool, error) {
		if null {
			return dst, true, nil
		}
		a, b, ok := runeSpan(s, start, length)
		if !ok {
			return dst, false, fmt.Errorf("startIndex %d out of range: the value has %d characters", start, runeLen(s))
		}
		return append(dst, s[a:b]...), false, nil
	}, opts), nil
}

// Pad is DataX's dx_pad: a value shorter than length characters is padded
// on the left (side "l") or right ("r") with repeats of pad, the last one
// cut to fit; a value of length characters or more is cut to its first
// length characters (on either side, as DataX does). NULL is padded as "".
func Pad(column int, side string, length int, pad string, opts *Options) (ferry.Transformer, error) {
	left := strings.EqualFold(side, "l")
	if !left && !strings.EqualFold(side, "r") {
		return nil, fmt.Errorf("transform: dx_pad: side %q: want l or r", side)
	}
	if length < 0 {
		return nil, fmt.Errorf("transform: dx_pad: length %d must not be negative", length)
	}
	if pad == "" {
		return nil, fmt.Errorf("transform: dx_pad: empty pad string")
	}
	padLen := runeLen(pad)
	return newStringMap("dx_pad", []colRef{{index: column}}, func(dst []byte, s string, null bool) ([]byte, bool, error) {
		n := runeLen(s)
		if length <= n {
			return append(dst, runeSub(s, 0, length)...), false, nil
		}
		need := length - n
		if !left {
			dst = append(dst, s...)
		}
		for need >= padLen {
			dst = append(dst, pad...)
			need -= padLen
		}
		dst = append(dst, runeSub(pad, 0, need)...)
		if left {
			dst = append(dst, s...)
		}
		return dst, false, nil
	}, opts), nil
}

// Replace is DataX's dx_replace: the characters [start, start+length) of the
// value are replaced by with; when start+length reaches the end, everything
// from start on is. A start index past the end makes the row dirty; NULL
// stays NULL.
//
// Replace on "dataxTest" with (2, 4, "****") is "da****est".
func Replace(column int, start, length int, with string, opts *Options) (ferry.Transformer, error) {
	if start < 0 || length < 0 {
		return nil, fmt.Errorf("transform: dx_replace: startIndex %d and length %d must not be negative", start, length)
	}
	return newStringMap("dx_replace", []colRef{{index: column}}, func(dst []byte, s string, null bool) ([]byte, bool, error) {
		if null {
			return dst, true, nil
		}
		a, b, ok := runeSpan(s, start, length)
		if !ok {
			return dst, false, fmt.Errorf("startIndex %d out of range: the value has %d characters", start, runeLen(s))
		}
		dst = append(dst, s[:a]...)
		dst = append(dst, with...)
		return append(dst, s[b:]...), false, nil
	}, opts), nil
}

// Digest is DataX's dx_digest: the value becomes the hex MD5 ("md5") or
// SHA-1 ("sha1") of its UTF-8 text, in upper ("toUpperCase") or lower
// ("toLowerCase") case. NULL is hashed as "". Both names are matched without
// regard to case (DataX accepts "MD5" but then computes SHA-1).
func Digest(column int, algo, letterCase string, opts *Options) (ferry.Transformer, error) {
	var sum func(dst []byte, s string) []byte
	switch strings.ToLower(algo) {
	case "md5":
		sum = func(dst []byte, s string) []byte { h := md5.Sum([]byte(s)); return hex.AppendEncode(dst, h[:]) }
	case "sha1":
		sum = func(dst []byte, s string) []byte { h := sha1.Sum([]byte(s)); return hex.AppendEncode(dst, h[:]) }
	default:
		return nil, fmt.Errorf("transform: dx_digest: algorithm %q: want md5 or sha1", algo)
	}
	var upper bool
	switch strings.ToLower(letterCase) {
	case "touppercase":
		upper = true
	case "tolowercase":
	default:
		return nil, fmt.Errorf("transform: dx_digest: case %q: want toUpperCase or toLowerCase", letterCase)
	}
	return newStringMap("dx_digest", []colRef{{index: column}}, func(dst []byte, s string, null bool) ([]byte, bool, error) {
		dst = sum(dst, s)
		if upper {
			for i, c := range dst {
				if 'a' <= c && c <= 'f' {
					dst[i] = c - 'a' + 'A'
				}
			}
		}
		return dst, false, nil
	}, opts), nil
}

// dataxParams is the parameter of a DataX transformer.
type dataxParams struct {
	ColumnIndex *int              `json:"columnIndex"`
	Paras       []json.RawMessage `json:"paras"`
}

// parseDataX decodes a dx_* parameter with want paras, given as JSON strings
// (numbers are accepted too).
func parseDataX(name string, raw json.RawMessage, want int) (int, []string, error) {
	var p dataxParams
	if err := strictJSON(raw, &p); err != nil {
		return 0, nil, fmt.Errorf("transform: %s: parameter: %w", name, err)
	}
	if p.ColumnIndex == nil {
		return 0, nil, fmt.Errorf("transform: %s: parameter: missing columnIndex", name)
	}
	if len(p.Paras) != want {
		return 0, nil, fmt.Errorf("transform: %s: parameter: paras has %d values, want %d", name, len(p.Paras), want)
	}
	out := make([]string, want)
	for i, r := range p.Paras {
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			var n json.Number
			if err2 := json.Unmarshal(r, &n); err2 != nil {
				return 0, nil, fmt.Errorf("transform: %s: parameter: paras[%d] = %s: want a string", name, i, r)
			}
			s = n.String()
		}
		out[i] = s
	}
	return *p.ColumnIndex, out, nil
}

func atoiPara(name string, i int, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("transform: %s: paras[%d] = %q: want an integer", name, i, s)
	}
	return n, nil
}

func buildSubstr(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
	col, p, err := parseDataX("dx_substr", raw, 2)
	if err != nil {
		return nil, err
	}
	start, err := atoiPara("dx_substr", 0, p[0])
	if err != nil {
		return nil, err
	}
	n, err := atoiPara("dx_substr", 1, p[1])
	if err != nil {
		return nil, err
	}
	return Substr(col, start, n, o)
}

func buildPad(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
	col, p, err := parseDataX("dx_pad", raw, 3)
	if err != nil {
		return nil, err
	}
	n, err := atoiPara("dx_pad", 1, p[1])
	if err != nil {
		return nil, err
	}
	return Pad(col, p[0], n, p[2], o)
}

func buildReplace(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
	col, p, err := parseDataX("dx_replace", raw, 3)
	if err != nil {
		return nil, err
	}
	start, err := atoiPara("dx_replace", 0, p[0])
	if err != nil {
		return nil, err
	}
	n, err := atoiPara("dx_replace", 1, p[1])
	if err != nil {
		return nil, err
	}
	return Replace(col, start, n, p[2], o)
}

func buildDigest(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
	col, p, err := parseDataX("dx_digest", raw, 2)
	if err != nil {
		return nil, err
	}
	return Digest(col, p[0], p[1], o)
}

func buildDXFilter(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
	col, p, err := parseDataX("dx_filter", raw, 2)
	if err != nil {
		return nil, err
	}
	return DXFilter(col, p[0], p[1], o)
}
