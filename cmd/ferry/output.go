package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// printResult prints v as indented JSON with asJSON, else text.
func printResult(w io.Writer, asJSON bool, v any, text func() string) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return
	}
	fmt.Fprint(w, text())
}

// failed prints err on one line of stderr, through mask (nil: as is), and
// returns the exit code of a failed run.
func failed(stderr io.Writer, err error, mask func(string) string) int {
	msg := oneLine(err)
	if mask != nil {
		msg = mask(msg)
	}
	fmt.Fprintln(stderr, "ferry: "+msg)
	return 1
}
