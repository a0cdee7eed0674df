package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/ferrydata/ferry"
)

// version returns the module version and the commit the binary was built
// from (debug.ReadBuildInfo), e.g. "v0.3.0 (commit 1a2b3c4, modified)".
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		return fmt.Sprintf("%s (commit %s%s)", v, rev, modified)
	}
	return v
}

func runVersion(stdout io.Writer) int {
	fmt.Fprintln(stdout, "ferry "+version())
	return 0
}

// onceFlag is a string flag that may be given once: a repeated --from is
// an error, not last-wins.
type onceFlag struct {
	v   *string
	set bool
}

func (o *onceFlag) String() string {
	if o.v == nil {
		return ""
	}
	return *o.v
}

func (o *onceFlag) Set(s string) error {
	if o.set {
		return errors.New("given twice")
	}
	*o.v, o.set = s, true
	return nil
}

// failureJSON is what --json prints when a run fails before it has a
// summary: always a JSON object.
type failureJSON struct {
	Error       string `json:"error"`
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination,omitempty"`
	Mode        string `json:"mode,omitempty"`
	Job         string `json:"job,omitempty"`
	Version     string `json:"version"`
}

func printFailureJSON(w io.Writer, f failureJSON, mask func(string) string) {
	f.Source, f.Destination = ferry.Redact(f.Source), ferry.Redact(f.Destination)
	f.Error = strings.TrimPrefix(f.Error, "ferry: ")
	f.Version = version()
	b, _ := json.MarshalIndent(f, "", "  ")
	s := string(b)
	if mask != nil {
		s = mask(s)
	}
	fmt.Fprintln(w, s)
}
