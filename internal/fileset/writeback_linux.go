package fileset

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing the n bytes of f at off
// to disk, without waiting (sync_file_range SYNC_FILE_RANGE_WRITE), so
// that the fsync at the end of the file finds little left to write. It is
// a hint: errors are ignored (the fsync reports what matters).
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
