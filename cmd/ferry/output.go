package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ferrydata/ferry"
)

// printResult prints v as indented JSON with asJSON, else text.
func printResult(w io.Writer, asJSON bool, v any, text func() string) {
	printMasked(w, asJSON, v, text, nil)
}

// printMasked is printResult with mask (nil: none) hiding secrets in
// either form.
func printMasked(w io.Writer, asJSON bool, v any, text func() string, mask func(string) string) {
	if mask == nil {
		mask = func(s string) string { return s }
	}
	if asJSON {
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			buf.Reset()
			fmt.Fprintf(&buf, "{\"error\": %q}\n", err.Error())
		}
		fmt.Fprint(w, mask(buf.String()))
		return
	}
	fmt.Fprint(w, mask(text()))
}

// failed prints err on one line of stderr, through mask (nil: as is), and
// returns the exit code of a failed run.
func failed(stderr io.Writer, err error, mask func(string) string) int {
	msg := strings.TrimPrefix(oneLine(err), "ferry: ")
	if mask != nil {
		msg = mask(msg)
	}
	fmt.Fprintln(stderr, "ferry: "+msg)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, ferry.ErrURLParameter) || errors.Is(err, ferry.ErrBadURL) {
		return 2 // a URL error is found before anything connects
	}
	return 1
}

// usageError marks a configuration error found before anything connected
// (a bad alert or rules file, say): the command exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
