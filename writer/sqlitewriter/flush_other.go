//go:build !linux || !(amd64 || arm64)

package sqlitewriter

import "os"

// canWriteBack: only Linux (amd64, arm64 here) has a write-back call that
// does not wait for the disk; elsewhere the fsync at Commit writes
// everything.
const canWriteBack = false

func writeBack(*os.File) error { return nil }
