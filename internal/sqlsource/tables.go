package sqlsource

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// tableRange is DataX's table range syntax (TableExpandUtil):
// "order_[00-15]" is order_00 … order_15, "db.t[0-31]_x" is db.t0_x …
// db.t31_x; a start written with a leading zero pads to its width.
var tableRange = regexp.MustCompile(`^(\w+\.)?(\w+)\[(\d+)-(\d+)\](\w*)$`)

// MaxExpandedTables caps what one table expression may expand to.
const MaxExpandedTables = 4096

// ExpandTables expands a table expression into table names: a
// comma-separated list whose items may use DataX's range syntax
// ("order_[00-15]", "db.t[0-31]_x"). Names are returned in order, without
// duplicates; a name that is not a range is returned as written.
func ExpandTables(expr string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(name string) error {
		if seen[name] {
			return nil
		}
		if len(out) >= MaxExpandedTables {
			return fmt.Errorf("sqlsource: table expression %q expands to more than %d tables", expr, MaxExpandedTables)
		}
		seen[name] = true
		out = append(out, name)
		return nil
	}
	for item := range strings.SplitSeq(expr, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		m := tableRange.FindStringSubmatch(item)
		if m == nil {
			if strings.ContainsAny(item, "[]") {
				return nil, fmt.Errorf("sqlsource: table %q: a range is written name_[00-15] (digits, start-end)", item)
			}
			if err := add(item); err != nil {
				return nil, err
			}
			continue
		}
		lo, err1 := strconv.Atoi(m[3])
		hi, err2 := strconv.Atoi(m[4])
		if err1 != nil || err2 != nil || lo > hi {
			return nil, fmt.Errorf("sqlsource: table range %q: start must not exceed end", item)
		}
		if hi-lo >= MaxExpandedTables {
			return nil, fmt.Errorf("sqlsource: table range %q expands to more than %d tables", item, MaxExpandedTables)
		}
		width := 0
		if len(m[3]) > 1 && m[3][0] == '0' {
			width = len(m[3])
		}
		for i := lo; i <= hi; i++ {
			if err := add(fmt.Sprintf("%s%s%0*d%s", m[1], m[2], width, i, m[5])); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sqlsource: table expression %q names no table", expr)
	}
	return out, nil
}
