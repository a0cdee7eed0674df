//go:build linux && (amd64 || arm64)

package sqlitewriter

import (
	"os"
	"syscall"
)

// canWriteBack: Linux has sync_file_range(2) (on amd64 and arm64 its
// arguments are plain 64-bit registers).
const canWriteBack = true

// writeBack starts the write-back of f's dirty pages without waiting for
// it (sync_file_range SYNC_FILE_RANGE_WRITE over the whole file).
func writeBack(f *os.File) error {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), 0, 0, syncFileRangeWrite, 0, 0)
		switch e {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		}
		return e
	}
}
