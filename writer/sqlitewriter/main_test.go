package sqlitewriter_test

import "flag"

var benchRows = flag.Int("rows", 100_000, "rows of the SQLite-to-SQLite benchmark")
