package job

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// tableRange is DataX's table range syntax (TableExpandUtil):
// "order_[00-15]" is order_00 .. order_15, zero-padded when the start
// begins with 0; "db.t[0-31]_x" keeps the prefix and the suffix.
var tableRange = regexp.MustCompile(`^(\w+\.)?(\w+)\[(\d+)-(\d+)\](.*)$`)

// maxTables caps one range, so a typo cannot ask for a million splits.
const maxTables = 10000

// expandTables expands the table entries of one connection: each entry
// may hold several names separated by commas, and each name may be a
// range.
func expandTables(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		for _, name := range strings.Split(e, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			m := tableRange.FindStringSubmatch(name)
			if m == nil {
				if strings.ContainsAny(name, "[]") {
					return nil, fmt.Errorf("table %q: a range is written name_[00-15] (digits only, start-end)", name)
				}
				out = append(out, name)
				continue
			}
			lo, err1 := strconv.Atoi(m[3])
			hi, err2 := strconv.Atoi(m[4])
			if err1 != nil || err2 != nil || lo > hi {
				return nil, fmt.Errorf("table %q: range [%s-%s] must run from a smaller to a larger number", name, m[3], m[4])
			}
			if hi-lo >= maxTables {
				return nil, fmt.Errorf("table %q: range of %d tables exceeds %d", name, hi-lo+1, maxTables)
			}
			width := 0
			if strings.HasPrefix(m[3], "0") {
				width = len(m[3])
			}
			for i := lo; i <= hi; i++ {
				out = append(out, fmt.Sprintf("%s%s%0*d%s", m[1], m[2], width, i, m[5]))
			}
		}
	}
	return out, nil
}
