package csvreader

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry/internal/fileset"
)

// candidate types, tried in this order.
const (
	kInt = iota
	kDecimal
	kFloat
	kDate
	kTimestamp
	kBool
	kString
)

// colGuess follows one column through the sample. Inference never changes
// a value: a column is int64 only when every value is an integer literal
// that prints back the same (no leading zeros, no '+', no spaces, in
// range), decimal(p,s) when the values are decimal literals (exact, never
// float), float64 only when a value needs it (an exponent, NaN, Inf),
// timestamps keep their precision (ns when a value has more than 6
// fraction digits) and are zoned only when every value has an offset.
type colGuess struct {
	fails          [kString]bool
	zoned, unzoned bool
	nanos          bool
	intDigits      int // of decimal literals
	scale          int
	values         int
}

// decimalLiteral reports whether t is -?(0|[1-9][0-9]*)(\.[0-9]+)?, with
// its integer and fraction digit counts; "-0" and "-0.0" are not (they
// would print back as 0).
func decimalLiteral(t string) (intDigits, scale int, ok bool) {
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	ip, fp, dot := strings.Cut(t, ".")
	if ip == "" || (dot && fp == "") || (len(ip) > 1 && ip[0] == '0') {
		return 0, 0, false
	}
	allZero := true
	for _, part := range []string{ip, fp} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, 0, false
			}
			allZero = allZero && part[i] == '0'
		}
	}
	if neg && allZero {
		return 0, 0, false
	}
	return len(ip), len(fp), true
}

// floatLiteral reports whether t is a decimal literal with an exponent, or
// NaN or an infinity as Go and the writers spell them.
func floatLiteral(t string) bool {
	switch t {
	case "NaN", "nan", "Inf", "+Inf", "-Inf", "inf", "-inf", "Infinity", "-Infinity":
		return true
	}
	m, e, ok := strings.Cut(strings.ToLower(t), "e")
	if !ok {
		return false
	}
	e = strings.TrimPrefix(strings.TrimPrefix(e, "+"), "-")
	if e == "" {
		return false
	}
	for i := 0; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			return false
		}
	}
	_, _, ok = decimalLiteral(m)
	return ok || m == "-0"
}

// boolWords are the spellings inference takes as booleans: PostgreSQL's
// t/f and true/false, Excel's TRUE/FALSE, yes/no, y/n, on/off (MySQL
// writes booleans as 1/0, which are integers).
var boolWords = map[string]bool{"true": true, "false": true, "t": true, "f": true, "yes": true, "no": true, "y": true, "n": true, "on": true, "off": true}

func (g *colGuess) observe(t string) {
	g.values++
	if !g.fails[kInt] {
		if v, err := strconv.ParseInt(t, 10, 64); err != nil || strconv.FormatInt(v, 10) != t {
			g.fails[kInt] = true
		}
	}
	if !g.fails[kDecimal] || !g.fails[kFloat] {
		ip, sc, ok := decimalLiteral(t)
		switch {
		case ok:
			g.intDigits, g.scale = max(g.intDigits, ip), max(g.scale, sc)
		case !g.fails[kFloat] && floatLiteral(t):
			g.fails[kDecimal] = true
		default:
			g.fails[kDecimal], g.fails[kFloat] = true, true
		}
	}
	if !g.fails[kDate] {
		if _, err := time.Parse(fileset.TextDateLayout, t); err != nil {
			g.fails[kDate] = true
		}
	}
	if !g.fails[kTimestamp] {
		if len(t) < 16 {
			g.fails[kTimestamp] = true
		} else if _, err := fileset.ParseTime(t, time.UTC); err != nil {
			g.fails[kTimestamp] = true
		} else {
			if hasOffset(t) {
				g.zoned = true
			} else {
				g.unzoned = true
			}
			if _, frac, ok := strings.Cut(t[min(19, len(t)):], "."); ok {
				n := 0
				for n < len(frac) && frac[n] >= '0' && frac[n] <= '9' {
					n++
				}
				g.nanos = g.nanos || n > 6
			}
		}
	}
	if !g.fails[kBool] && !boolWords[strings.ToLower(t)] {
		g.fails[kBool] = true
	}
}

// hasOffset reports whether a timestamp text ends with a zone offset (Z,
// +hh, +hhmm, +hh:mm).
func hasOffset(t string) bool {
	return strings.HasSuffix(t, "Z") || strings.LastIndexAny(t, "+-") > 10
}

func (g *colGuess) typ() arrow.DataType {
	if g.values == 0 {
		return arrow.BinaryTypes.String
	}
	switch {
	case !g.fails[kInt]:
		return arrow.PrimitiveTypes.Int64
	case !g.fails[kDecimal] && g.scale == 0:
		return arrow.BinaryTypes.String // integer literals beyond int64: digit strings stay text
	case !g.fails[kDecimal]:
		p := int32(max(g.intDigits, 1) + g.scale)
		switch {
		case p <= 38:
			return &arrow.Decimal128Type{Precision: p, Scale: int32(g.scale)}
		case p <= 76:
			return &arrow.Decimal256Type{Precision: p, Scale: int32(g.scale)}
		}
		return arrow.BinaryTypes.String
	case !g.fails[kFloat]:
		return arrow.PrimitiveTypes.Float64
	case !g.fails[kDate]:
		return arrow.FixedWidthTypes.Date32
	case !g.fails[kTimestamp] && !(g.zoned && g.unzoned):
		unit := arrow.Microsecond
		if g.nanos {
			unit = arrow.Nanosecond
		}
		if g.zoned {
			return &arrow.TimestampType{Unit: unit, TimeZone: "UTC"}
		}
		return &arrow.TimestampType{Unit: unit}
	case !g.fails[kBool]:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

// infer guesses the column types from the first SampleRows records of path.
// names is the header (nil without one).
func (r *Reader) infer(path string, names []string) (*arrow.Schema, error) {
	f, rd, err := r.open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := newParser(skipBOM(rd), r.cfg.Delimiter, r.cfg.Quote, 0, 0, r.cfg.MaxRecordBytes)
	var guesses []colGuess
	if names != nil {
		guesses = make([]colGuess, len(names))
		if err := p.next(); err != nil {
			return nil, fmt.Errorf("csvreader: %s: header: %w", path, err)
		}
	}
	for n := 0; n < r.cfg.SampleRows; n++ {
		err := p.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue // a bad record is reported when read
		}
		if p.blank() {
			continue // a blank line
		}
		if guesses == nil {
			guesses = make([]colGuess, len(p.ends))
		}
		if len(p.ends) != len(guesses) {
			continue
		}
		for i := range guesses {
			fb := p.field(i)
			if !p.quoted[i] && (len(fb) == 0 || string(fb) == r.cfg.NullString) {
				continue
			}
			guesses[i].observe(string(fb))
		}
	}
	if guesses == nil {
		return nil, fmt.Errorf("csvreader: %s is empty: cannot infer columns (give columns=...)", path)
	}
	fields := make([]arrow.Field, len(guesses))
	for i := range guesses {
		name := fmt.Sprintf("c%d", i+1)
		if names != nil {
			name = names[i]
		}
		fields[i] = arrow.Field{Name: name, Type: guesses[i].typ(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}
