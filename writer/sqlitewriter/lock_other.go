//go:build !unix

package sqlitewriter

import (
	"errors"
	"os"
)

// lockFile cannot lock here: a probe always finds the file held, so only a
// run's own Close and Abort remove its temp file.
func lockFile(f *os.File, nonBlocking bool) error {
	if nonBlocking {
		return errors.New("sqlitewriter: file locks are not supported on this system")
	}
	return nil
}

func unlockFile(f *os.File) {}
