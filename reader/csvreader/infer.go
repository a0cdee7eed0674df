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
	kFloat
	kDate
	kTimestamp
	kBool
	kString
)

type colGuess struct {
	fails  [kString]bool
	zoned  bool
	values int
}

func (g *colGuess) observe(s string) {
	g.values++
	t := strings.TrimSpace(s)
	if !g.fails[kInt] {
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			g.fails[kInt] = true
		}
	}
	if !g.fails[kFloat] {
		if _, err := strconv.ParseFloat(t, 64); err != nil {
			g.fails[kFloat] = true
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
		} else if tm, err := fileset.ParseTime(t, time.FixedZone("", 0)); err != nil {
			g.fails[kTimestamp] = true
		} else if tm.Location() != time.FixedZone("", 0) && (strings.HasSuffix(t, "Z") || strings.LastIndexAny(t, "+-") > 10) {
			g.zoned = true
		}
	}
	if !g.fails[kBool] {
		switch strings.ToLower(t) {
		case "true", "false":
		default:
			g.fails[kBool] = true
		}
	}
}

func (g *colGuess) typ() arrow.DataType {
	if g.values == 0 {
		return arrow.BinaryTypes.String
	}
	switch {
	case !g.fails[kInt]:
		return arrow.PrimitiveTypes.Int64
	case !g.fails[kFloat]:
		return arrow.PrimitiveTypes.Float64
	case !g.fails[kDate]:
		return arrow.FixedWidthTypes.Date32
	case !g.fails[kTimestamp]:
		if g.zoned {
			return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		}
		return &arrow.TimestampType{Unit: arrow.Microsecond}
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
		if len(p.ends) == 1 && p.ends[0] == 0 && !p.quoted[0] {
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
