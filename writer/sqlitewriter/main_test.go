package sqlitewriter_test

import (
	"flag"
	"strconv"
)

var benchRows = flag.Int("rows", 100_000, "rows of the SQLite-to-SQLite benchmark")

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
