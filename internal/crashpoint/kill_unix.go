//go:build unix

package crashpoint

import (
	"os"
	"syscall"
)

// kill sends sig to this process.
func kill(sig syscall.Signal) { syscall.Kill(os.Getpid(), sig) }
