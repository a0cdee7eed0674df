package schedparam

import (
	"errors"
	"fmt"
	"math/big"
)

// Limits on offset expressions, so that hostile input cannot make the
// evaluator slow or overflow date arithmetic.
const (
	maxLiteralDigits = 18
	maxExprDepth     = 32
	maxExprLen       = 512
)

// parseRational parses an arithmetic expression over integers with
// + - * / and parentheses, e.g. "-15/24/60" or "-7*2", exactly.
func parseRational(s string) (*big.Rat, error) {
	p := &ratParser{s: s}
	v, err := p.sum()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q in offset", p.s[p.i:])
	}
	return v, nil
}

type ratParser struct {
	s     string
	i     int
	depth int
}

func (p *ratParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *ratParser) enter() error {
	p.depth++
	if p.depth > maxExprDepth {
		return errors.New("offset nested too deeply")
	}
	return nil
}

func (p *ratParser) sum() (*big.Rat, error) {
	v, err := p.product()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
			return v, nil
		}
		op := p.s[p.i]
		p.i++
		t, err := p.product()
		if err != nil {
			return nil, err
		}
		if op == '+' {
			v.Add(v, t)
		} else {
			v.Sub(v, t)
		}
	}
}

func (p *ratParser) product() (*big.Rat, error) {
	v, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return v, nil
		}
		op := p.s[p.i]
		p.i++
		t, err := p.unary()
		if err != nil {
			return nil, err
		}
		if op == '*' {
			v.Mul(v, t)
		} else {
			if t.Sign() == 0 {
				return nil, errors.New("division by zero in offset")
			}
			v.Quo(v, t)
		}
	}
}

func (p *ratParser) unary() (*big.Rat, error) {
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
		if err := p.enter(); err != nil {
			return nil, err
		}
		neg := p.s[p.i] == '-'
		p.i++
		v, err := p.unary()
		p.depth--
		if err != nil {
			return nil, err
		}
		if neg {
			v.Neg(v)
		}
		return v, nil
	}
	return p.primary()
}

func (p *ratParser) primary() (*big.Rat, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("missing number in offset")
	}
	if p.s[p.i] == '(' {
		if err := p.enter(); err != nil {
			return nil, err
		}
		p.i++
		v, err := p.sum()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, errors.New("missing ')' in offset")
		}
		p.i++
		p.depth--
		return v, nil
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	switch {
	case p.i == start:
		return nil, fmt.Errorf("missing number in offset at %q", p.s[p.i:])
	case p.i-start > maxLiteralDigits:
		return nil, errors.New("number too long in offset")
	}
	v, ok := new(big.Rat).SetString(p.s[start:p.i])
	if !ok {
		return nil, fmt.Errorf("bad number %q in offset", p.s[start:p.i])
	}
	return v, nil
}

// ratToInt returns v as an int64 when v is an integer with |v| <= limit.
func ratToInt(v *big.Rat, limit int64) (int64, error) {
	if !v.IsInt() {
		return 0, fmt.Errorf("offset %s is not a whole number", v.RatString())
	}
	n := v.Num()
	if !n.IsInt64() || n.Int64() > limit || n.Int64() < -limit {
		return 0, &kindError{ErrRange, fmt.Sprintf("offset %s exceeds the limit of ±%d", v.RatString(), limit)}
	}
	return n.Int64(), nil
}

// kindError is an internal error carrying the sentinel kind that an *Error
// built from it should have; its message becomes the Error's Detail.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() error { return e.kind }
