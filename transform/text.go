package transform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"

	"github.com/ferrydata/ferry"
)

// TextConfig configures Text, DataWorks' string replacement. The steps run
// in this order on each value of each chosen column: NullToEmpty, Trim,
// Find/With, Case, EmptyToNull.
type TextConfig struct {
	// Columns names the columns; ColumnIndexes names them by 0-based
	// position. At least one column is required. Columns that are not
	// utf8 are turned into their text first and become utf8.
	Columns       []string `json:"columns,omitempty"`
	ColumnIndexes []int    `json:"columnIndexes,omitempty"`
	// Find is what to replace: a literal string, or with Regex an RE2
	// regular expression. "" replaces nothing.
	Find string `json:"find,omitempty"`
	// Regex makes Find a regular expression (RE2 syntax) and lets With use
	// its groups: $1, ${1}, ${name} ($$ is a literal $).
	Regex bool `json:"regex,omitempty"`
	// With replaces every match of Find.
	With string `json:"with,omitempty"`
	// IgnoreCase matches Find without regard to case.
	IgnoreCase bool `json:"ignoreCase,omitempty"`
	// Trim removes leading and trailing characters: "both", "left",
	// "right", or "" (no trimming).
	Trim string `json:"trim,omitempty"`
	// TrimChars are the characters Trim removes; "" means Unicode white
	// space.
	TrimChars string `json:"trimChars,omitempty"`
	// Case changes letters to "upper" or "lower" case ("" keeps them).
	Case string `json:"case,omitempty"`
	// NullToEmpty turns NULL into "" (before the other steps).
	NullToEmpty bool `json:"nullToEmpty,omitempty"`
	// EmptyToNull turns "" into NULL (after the other steps).
	EmptyToNull bool `json:"emptyToNull,omitempty"`
}

// Text returns the string replacement transform cfg describes.
func Text(cfg TextConfig, opts *Options) (ferry.Transformer, error) {
	cols := refs(cfg.Columns, cfg.ColumnIndexes)
	if len(cols) == 0 {
		return nil, fmt.Errorf("transform: replace: no columns")
	}
	var steps []func(string) string
	regexStep, regexRe := -1, (*regexp.Regexp)(nil)
	switch strings.ToLower(cfg.Trim) {
	case "":
	case "both":
		steps = append(steps, trimmer(cfg.TrimChars, true, true))
	case "left":
		steps = append(steps, trimmer(cfg.TrimChars, true, false))
	case "right":
		steps = append(steps, trimmer(cfg.TrimChars, false, true))
	default:
		return nil, fmt.Errorf("transform: replace: trim %q: want both, left or right", cfg.Trim)
	}
	if cfg.Find != "" {
		switch {
		case cfg.Regex || cfg.IgnoreCase:
			pat := cfg.Find
			if !cfg.Regex {
				pat = regexp.QuoteMeta(pat)
			}
			if cfg.IgnoreCase {
				pat = "(?i)" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, fmt.Errorf("transform: replace: find %q: not an RE2 regular expression: %w", cfg.Find, err)
			}
			with := cfg.With
			if !cfg.Regex {
				steps = append(steps, func(s string) string { return re.ReplaceAllLiteralString(s, with) })
			} else {
				steps = append(steps, func(s string) string { return re.ReplaceAllString(s, with) })
				regexStep, regexRe = len(steps)-1, re
			}
		default:
			find, with := cfg.Find, cfg.With
			steps = append(steps, func(s string) string { return strings.ReplaceAll(s, find, with) })
		}
	}
	switch strings.ToLower(cfg.Case) {
	case "":
	case "upper":
		steps = append(steps, strings.ToUpper)
	case "lower":
		steps = append(steps, strings.ToLower)
	default:
		return nil, fmt.Errorf("transform: replace: case %q: want upper or lower", cfg.Case)
	}
	nullToEmpty, emptyToNull := cfg.NullToEmpty, cfg.EmptyToNull
	last := len(steps) - 1
	var replacer func(dst []byte, s string) []byte
	if regexStep >= 0 && regexStep == last {
		replacer = regexAppender(regexRe, cfg.With)
	}
	return newStringMap("replace", cols, func(dst []byte, s string, null bool) ([]byte, bool, error) {
		if null {
			if !nullToEmpty {
				return dst, true, nil
			}
			s = ""
		}
		for i, f := range steps {
			if i == last && replacer != nil {
				// the last step appends into dst: no string per value
				dst = replacer(dst, s)
				if emptyToNull && len(dst) == 0 {
					return dst, true, nil
				}
				return dst, false, nil
			}
			s = f(s)
		}
		if emptyToNull && s == "" {
			return dst, true, nil
		}
		return append(dst, s...), false, nil
	}, opts), nil
}

// regexAppender returns a function appending to dst the text s with every
// match of re replaced by the template with (as ReplaceAllString does),
// without the intermediate strings ReplaceAllString makes.
func regexAppender(re *regexp.Regexp, with string) func(dst []byte, s string) []byte {
	if anchored(re.String()) {
		// Anchored at both ends (and not multi-line): one match at most,
		// found without ReplaceAll's slice of matches.
		return func(dst []byte, s string) []byte {
			m := re.FindStringSubmatchIndex(s)
			if m == nil {
				return append(dst, s...)
			}
			dst = append(dst, s[:m[0]]...)
			dst = re.ExpandString(dst, with, s, m)
			return append(dst, s[m[1]:]...)
		}
	}
	return func(dst []byte, s string) []byte {
		last := 0
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			dst = append(dst, s[last:m[0]]...)
			dst = re.ExpandString(dst, with, s, m)
			last = m[1]
		}
		return append(dst, s[last:]...)
	}
}

// anchored reports whether every match of the pattern spans the whole
// text (^...$ around a concatenation, not an alternation), so there is at
// most one.
func anchored(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return false
	}
	return re.Sub[0].Op == syntax.OpBeginText && re.Sub[len(re.Sub)-1].Op == syntax.OpEndText
}

func trimmer(chars string, left, right bool) func(string) string {
	switch {
	case chars == "" && left && right:
		return strings.TrimSpace
	case chars == "" && left:
		return func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }
	case chars == "":
		return func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }
	case left && right:
		return func(s string) string { return strings.Trim(s, chars) }
	case left:
		return func(s string) string { return strings.TrimLeft(s, chars) }
	}
	return func(s string) string { return strings.TrimRight(s, chars) }
}

func init() {
	builders["replace"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p TextConfig
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: replace: parameter: %w", err)
		}
		return Text(p, o)
	}
}
