package dirty

import (
	"errors"
	"fmt"
	"strings"
)

// RowError says why one row is dirty: a value the destination rejected, a
// line a reader could not decode, a value a transform could not convert.
type RowError struct {
	// Row is the row's index: in the batch given to Write or Transform, or
	// in the split (the line number for line-oriented files) for readers.
	Row int64
	// Column names the offending column, or is empty when the whole row is
	// bad or the destination did not say.
	Column string
	// Value is the offending value (or the raw line), when known.
	Value any
	// Err is the cause, for example the server's message.
	Err error
}

// Error returns "row N, column C: cause".
func (e RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", e.Row)
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e RowError) Unwrap() error { return e.Err }

// RowErrors is the error a BatchWriter or Transformer returns when some rows
// of a batch were rejected and the others were processed.
type RowErrors struct {
	Rows []RowError
}

// Error summarises the rejected rows.
func (e *RowErrors) Error() string {
	switch len(e.Rows) {
	case 0:
		return "dirty: no rows rejected"
	case 1:
		return "dirty: 1 row rejected: " + e.Rows[0].Error()
	}
	return fmt.Sprintf("dirty: %d rows rejected, first: %s", len(e.Rows), e.Rows[0].Error())
}

// Is reports whether err is or wraps a *RowErrors or a RowError.
func Is(err error) bool {
	var re *RowErrors
	var r RowError
	return errors.As(err, &re) || errors.As(err, &r)
}

// Rows returns the row errors carried by err: those of a *RowErrors, or the
// single RowError. It returns nil for any other error.
func Rows(err error) []RowError {
	var re *RowErrors
	if errors.As(err, &re) {
		return re.Rows
	}
	var r RowError
	if errors.As(err, &r) {
		return []RowError{r}
	}
	return nil
}
