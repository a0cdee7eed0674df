package ferry

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"time"
)

// NewRunID returns a new random run ID: the UTC start time to the second and
// 8 random hex digits, "20261201t220512_3fa94c1b". It sorts by time, and it is
// made of [a-z0-9_] only, so writers can put it in table and file names.
func NewRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s_%x", time.Now().UTC().Format("20060102t150405"), b)
}

var runIDPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// CheckRunID reports whether id can name a run: 1 to 40 of [a-z0-9_].
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("ferry: run ID %q must be 1 to 40 of [a-z0-9_]", id)
	}
	return nil
}
