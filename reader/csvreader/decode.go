package csvreader

import (
	"unsafe"
)

// Each column's field is parsed into a fileset.Cell, a typed pending
// value, which is appended once every field of the record parsed, so that
// a dirty row leaves nothing behind. The text a Cell parses aliases the
// parser's buffer: it stays valid until the Append, not after.

// view returns b as a string without copying.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
