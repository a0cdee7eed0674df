//go:build unix

package pgcopy

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system, all threads, GC included) the
// process has used: the benchmarks report it per row, which a shared
// machine disturbs much less than wall-clock time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
