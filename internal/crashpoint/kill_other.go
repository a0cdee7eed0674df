//go:build !unix

package crashpoint

import (
	"os"
	"syscall"
)

// kill ends this process at once (TerminateProcess on Windows, where a
// process cannot signal itself): the nearest there is to SIGKILL, and to
// SIGINT too, whose handlers the test would otherwise wait for.
func kill(sig syscall.Signal) {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill()
	}
	os.Exit(2)
}
