package schedparam

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveErrors(t *testing.T) {
	cycle := map[string]string{"a": "x${b}", "b": "$a"}
	tests := []struct {
		name   string
		text   string
		params map[string]string
		kind   error
		pos    int
		msg    string // full message, or a prefix ending in "..." checked with HasPrefix
	}{
		{"unknown braced", "where dt = ${foo}", nil, ErrUnknownParameter, 11,
			`schedparam: position 11: unknown parameter "${foo}"`},
		{"unknown bare", "x $foo y", nil, ErrUnknownParameter, 2,
			`schedparam: position 2: unknown parameter "$foo"`},
		{"longest identifier", "ds=$bizdate_x", nil, ErrUnknownParameter, 3,
			`schedparam: position 3: unknown parameter "$bizdate_x"`},
		{"format as bare name", "$yyyymmdd", nil, ErrUnknownParameter, 0,
			`schedparam: position 0: unknown parameter "$yyyymmdd": write date formats as ${...} or $[...]`},
		{"time token in braces", "${hh24}", nil, ErrUnknownParameter, 0,
			`schedparam: position 0: unknown parameter "${hh24}": hh24, mi and ss format the cycle time: use $[...]`},
		{"upper case format", "${YYYYMMDD}", nil, ErrUnknownParameter, 0,
			`schedparam: position 0: unknown parameter "${YYYYMMDD}"`},
		{"missing offset", "ab ${yyyymmdd-}", nil, ErrSyntax, 3,
			`schedparam: position 3: malformed expression "${yyyymmdd-}": missing number in offset`},
		{"missing plus operand", "$[yyyymmdd+]", nil, ErrSyntax, 0, "..."},
		{"add_months one arg", "$[add_months(yyyymmdd)]", nil, ErrSyntax, 0,
			`schedparam: position 0: malformed expression "$[add_months(yyyymmdd)]": add_months needs two arguments: add_months(format, months)`},
		{"add_months unbalanced", "$[add_months(yyyymmdd,-1]", nil, ErrSyntax, 0,
			`schedparam: position 0: malformed expression "$[add_months(yyyymmdd,-1]": unbalanced parentheses`},
		{"add_months fraction", "$[add_months(yyyymmdd,1/2)]", nil, ErrSyntax, 0, "..."},
		{"add_months trailing", "$[add_months(yyyymmdd,1)x]", nil, ErrSyntax, 0, "..."},
		{"add_months in braces", "${add_months(yyyymmdd,1)}", nil, ErrSyntax, 0, "..."},
		{"unclosed paren", "$[yyyymmdd-(1]", nil, ErrSyntax, 0, "..."},
		{"extra paren", "$[yyyymmdd-1)]", nil, ErrSyntax, 0, "..."},
		{"unclosed brace", "select ${yyyymmdd", nil, ErrSyntax, 7,
			`schedparam: position 7: malformed expression "${yyyymmdd": missing closing '}'`},
		{"unclosed bracket", "x $[hh24", nil, ErrSyntax, 2,
			`schedparam: position 2: malformed expression "$[hh24": missing closing ']'`},
		{"nested", "${a${b}}", nil, ErrSyntax, 0, "..."},
		{"empty braces", "${}", nil, ErrSyntax, 0, "..."},
		{"empty brackets", "$[ ]", nil, ErrSyntax, 0, "..."},
		{"not whole seconds", "$[yyyymmdd-1/7]", nil, ErrSyntax, 0,
			`schedparam: position 0: malformed expression "$[yyyymmdd-1/7]": offset -1/7 days is not a whole number of seconds`},
		{"half second", "$[ss-1/86400/2]", nil, ErrSyntax, 0, "..."},
		{"fraction of a day in braces", "${yyyymmdd-1/2}", nil, ErrSyntax, 0,
			`schedparam: position 0: malformed expression "${yyyymmdd-1/2}": offset -1/2 is not a whole number`},
		{"division by zero", "$[yyyymmdd-1/0]", nil, ErrSyntax, 0, "..."},
		{"digit in format", "${yyyy.01}", nil, ErrSyntax, 0, "..."},
		{"identifier with digits", "${yyyy01}", nil, ErrUnknownParameter, 0, "..."},
		{"unknown token", "${yyyy-xx-dd}", nil, ErrSyntax, 0, "..."},
		{"hh in braces with offset", "${hh24-1}", nil, ErrSyntax, 0, "..."},
		{"no token", "${-1}", nil, ErrSyntax, 0, "..."},
		{"long number", "${yyyymmdd-1234567890123456789}", nil, ErrSyntax, 0, "..."},
		{"deep nesting", "${yyyymmdd-" + strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40) + "}", nil, ErrSyntax, 0, "..."},
		{"huge day offset", "${yyyymmdd-99999999}", nil, ErrRange, 0,
			`schedparam: position 0: out of range "${yyyymmdd-99999999}": offset -99999999 exceeds the limit of ±3660000`},
		{"huge cyc offset", "$[yyyymmdd+99999999]", nil, ErrRange, 0, "..."},
		{"past year 9999", "$[yyyymmdd+3000000]", nil, ErrRange, 0,
			`schedparam: position 0: out of range "$[yyyymmdd+3000000]": date outside years 1..9999`},
		{"huge months", "$[add_months(yyyymmdd,-999999)]", nil, ErrRange, 0, "..."},
		{"before year 1", "${yyyy-3000}", nil, ErrRange, 0, "..."},
		{"cycle", "v=${a}", cycle, ErrCycle, 0,
			`schedparam: parameter "b": position 0: parameter cycle "$a": a -> b -> a`},
		{"self cycle", "$s", map[string]string{"s": "<$s>"}, ErrCycle, 1,
			`schedparam: parameter "s": position 1: parameter cycle "$s": s -> s`},
		{"error inside param", "x $p", map[string]string{"p": "${yyyymmdd-}"}, ErrSyntax, 0,
			`schedparam: parameter "p": position 0: malformed expression "${yyyymmdd-}": missing number in offset`},
		{"unknown inside param", "x $p", map[string]string{"p": "a ${foo}"}, ErrUnknownParameter, 2,
			`schedparam: parameter "p": position 2: unknown parameter "${foo}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.text, cycDoc, tt.params)
			require.Error(t, err)
			assert.Empty(t, got)
			assert.ErrorIs(t, err, tt.kind)
			var pe *Error
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tt.pos, pe.Pos)
			if prefix, ok := strings.CutSuffix(tt.msg, "..."); ok {
				assert.True(t, strings.HasPrefix(err.Error(), prefix+"schedparam: "), err.Error())
			} else {
				assert.EqualError(t, err, tt.msg)
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Resolve("select 1 where ${foo}", cycDoc, nil)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, &Error{Pos: 15, Expr: "${foo}", Kind: ErrUnknownParameter}, pe)
	assert.Equal(t, ErrUnknownParameter, errors.Unwrap(err))
}

func TestUnusedBadParamIsIgnored(t *testing.T) {
	got, err := Resolve("$bizdate", cycDoc, map[string]string{"bad": "${yyyymmdd-}", "loop": "$loop"})
	require.NoError(t, err)
	assert.Equal(t, "20250726", got)
}

func TestOutputCap(t *testing.T) {
	// Each parameter doubles its predecessor: 2^40 bytes unless capped.
	params := map[string]string{"a0": "xx"}
	for i := 1; i <= 40; i++ {
		params["a"+strconv.Itoa(i)] = "${a" + strconv.Itoa(i-1) + "}${a" + strconv.Itoa(i-1) + "}"
	}
	_, err := Resolve("$a40", cycDoc, params)
	require.ErrorIs(t, err, ErrRange)
	assert.Contains(t, err.Error(), "output exceeds 16777216 bytes")

	r := NewResolver(map[string]string{"p": "0123456789"})
	r.MaxOutput = 15
	_, err = r.Resolve("$p$p", cycDoc)
	require.ErrorIs(t, err, ErrRange)
	assert.EqualError(t, err, `schedparam: position 2: out of range "$p": output exceeds 15 bytes`)
}

func TestOutOfRangeCycleTime(t *testing.T) {
	_, err := Resolve("$bizdate", at(1, 1, 1, 0, 0, 0), nil)
	require.ErrorIs(t, err, ErrRange)
	_, err = Resolve("$[yyyymmdd+1]", at(12000, 1, 1, 0, 0, 0), nil)
	require.ErrorIs(t, err, ErrRange)
	got, err := Resolve("no params", at(1, 1, 1, 0, 0, 0), nil)
	require.NoError(t, err)
	assert.Equal(t, "no params", got)
}

func TestOutputCapLiteral(t *testing.T) {
	r := NewResolver(nil)
	r.MaxOutput = 12
	_, err := r.Resolve("$gmtdate and more text", cycDoc)
	assert.EqualError(t, err, `schedparam: position 8: out of range " and more text": output exceeds 12 bytes`)
	got, err := r.Resolve("plain text longer than the cap", cycDoc)
	require.NoError(t, err)
	assert.Equal(t, "plain text longer than the cap", got)
}
