// Package crashpoint kills the running process at a named point, for tests
// that prove what a kill -9 at an exact moment leaves behind.
//
// A connector calls Hit("pgwriter.commit") at the points worth testing. In
// normal runs that is one atomic load and nothing else. A test starts a real
// process (the ferry binary, or its own test binary re-executed) with the
// environment variable FERRY_CRASHPOINT=name (or name@N to crash at the N-th
// hit, counting from 1); when the process reaches that point it sends itself
// SIGKILL, so no deferred function, rollback or clean-up runs. With the
// suffix ":sigint" (name@N:sigint) it sends itself SIGINT instead, as a
// Ctrl-C would, and goes on.
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Env is the environment variable that arms a crash point.
const Env = "FERRY_CRASHPOINT"

var (
	armed   atomic.Bool
	once    sync.Once
	target  string
	nth     int64 = 1
	counter atomic.Int64
	sig     = syscall.SIGKILL
)

func init() { armed.Store(os.Getenv(Env) != "") }

func load() {
	spec := os.Getenv(Env)
	if rest, ok := strings.CutSuffix(spec, ":sigint"); ok {
		spec, sig = rest, syscall.SIGINT
	}
	name, n, ok := strings.Cut(spec, "@")
	target = name
	if ok {
		if v, err := strconv.ParseInt(n, 10, 64); err == nil && v > 0 {
			nth = v
		}
	}
}

// Hit kills the process with SIGKILL if FERRY_CRASHPOINT names this point and
// this is the hit it counts to. Otherwise it returns at once.
func Hit(name string) {
	if !armed.Load() {
		return
	}
	once.Do(load)
	if name != target {
		return
	}
	if counter.Add(1) == nth {
		kill(sig)
		if sig == syscall.SIGKILL {
			select {} // never returns; the signal is on its way
		}
	}
}
