//go:build !unix

package fileset

import "os"

// Without flock a stage is protected by its age only.
func lockShared(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
}

func tryLockExclusive(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDWR, 0) }

func inode(fi os.FileInfo) uint64 { return 0 }
