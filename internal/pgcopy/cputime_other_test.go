//go:build !unix

package pgcopy

import "time"

// cpuTime is not measured here: the benchmarks report 0 CPU ns per row.
func cpuTime() time.Duration { return 0 }
