//go:build unix

package sqlitewriter

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f (independent of the POSIX locks
// SQLite uses); nonBlocking makes a lock held elsewhere an error at once.
func lockFile(f *os.File, nonBlocking bool) error {
	how := syscall.LOCK_EX
	if nonBlocking {
		how |= syscall.LOCK_NB
	}
	return syscall.Flock(int(f.Fd()), how)
}

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
