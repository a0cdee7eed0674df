package main

import (
	"encoding/json"
	"errors"
	"flag"
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

// parseFlags parses args into fs. -h and --help print the flags on stdout
// (done true, code 0); any other flag error is one line on stderr (done
// true, code 2). Otherwise done is false and the command goes on.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(stderr)
		return 0, true
	}
	fmt.Fprintf(stderr, "%s: %v (%s -h lists the flags)\n", fs.Name(), err, fs.Name())
	return 2, true
}

// usageLine prints a usage error of command fs on one line of stderr and
// returns exit code 2.
func usageLine(fs *flag.FlagSet, stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "%s: %s (%s -h lists the flags)\n", fs.Name(), msg, fs.Name())
	return 2
}
