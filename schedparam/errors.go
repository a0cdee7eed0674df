package schedparam

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps one of them,
// so callers can classify failures with errors.Is.
var (
	// ErrUnknownParameter reports a reference to a parameter that is neither
	// a built-in, a custom parameter nor a date format.
	ErrUnknownParameter = errors.New("schedparam: unknown parameter")
	// ErrSyntax reports a malformed expression or unbalanced brackets.
	ErrSyntax = errors.New("schedparam: malformed expression")
	// ErrCycle reports custom parameters that reference each other in a cycle.
	ErrCycle = errors.New("schedparam: parameter cycle")
	// ErrRange reports offsets, dates, outputs or backfill ranges that are
	// out of the supported range.
	ErrRange = errors.New("schedparam: out of range")
)

// Error describes a failure to resolve one expression. Its message has the
// form
//
//	schedparam: [parameter "p": ]position 12: unknown parameter "${foo}"[: detail]
//
// Error unwraps to its Kind, one of the sentinel errors above.
type Error struct {
	// Param names the custom parameter whose expression contains Expr;
	// it is empty when Expr is in the text being resolved.
	Param string
	// Pos is the byte offset of the expression's '$' in the text (or in the
	// custom parameter's expression).
	Pos int
	// Expr is the expression as written, e.g. "${yyyymmdd-}" (truncated
	// when the brackets are not closed).
	Expr string
	// Kind is ErrUnknownParameter, ErrSyntax, ErrCycle or ErrRange.
	Kind error
	// Detail optionally explains the failure.
	Detail string
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("schedparam: ")
	if e.Param != "" {
		fmt.Fprintf(&b, "parameter %q: ", e.Param)
	}
	kind := "error"
	if e.Kind != nil {
		kind = strings.TrimPrefix(e.Kind.Error(), "schedparam: ")
	}
	fmt.Fprintf(&b, "position %d: %s %q", e.Pos, kind, e.Expr)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the sentinel error describing the kind of failure.
func (e *Error) Unwrap() error { return e.Kind }
