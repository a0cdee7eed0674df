package ferry

import (
	"context"
	"errors"

	"github.com/ferrydata/ferry/dirty"
)

// ErrorClass is how the Pipeline treats an error. Classes are checked in the
// order they are declared.
type ErrorClass int

// The error classes.
const (
	// ClassNone is a nil error.
	ClassNone ErrorClass = iota
	// ClassCanceled is a cancelled or timed-out context: stop, never retry.
	ClassCanceled
	// ClassDirty is one or more bad rows (*dirty.RowErrors or dirty.RowError):
	// the rest of the batch was written and the dirty policy decides.
	ClassDirty
	// ClassRetryable is a transient failure that did not apply the write
	// (connection reset before commit, deadlock, serialization failure).
	ClassRetryable
	// ClassOutcomeUnknown is a commit whose outcome is not known (its
	// connection died after COMMIT was sent). It is never retried blindly:
	// a StageWriter's Status resolves it from the destination's markers.
	ClassOutcomeUnknown
	// ClassFatal is everything else: the run aborts and never commits.
	ClassFatal
)

// String returns the class name.
func (c ErrorClass) String() string {
	return [...]string{"none", "canceled", "dirty", "retryable", "outcome-unknown", "fatal"}[c]
}

// Classify returns the class of err.
func Classify(err error) ErrorClass {
	switch {
	case err == nil:
		return ClassNone
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ClassCanceled
	case isLimit(err):
		return ClassFatal
	case dirty.Is(err):
		return ClassDirty
	case IsRetryable(err):
		return ClassRetryable
	case IsOutcomeUnknown(err):
		return ClassOutcomeUnknown
	}
	return ClassFatal
}

// IsRetryable reports whether err, or an error it wraps, has a method
// Retryable() bool that returns true, or SafeToRetry() bool as pgconn errors
// have. Connectors mark errors with Retryable; they never retry themselves.
func IsRetryable(err error) bool {
	var r interface{ Retryable() bool }
	if errors.As(err, &r) && r.Retryable() {
		return true
	}
	var s interface{ SafeToRetry() bool }
	return errors.As(err, &s) && s.SafeToRetry()
}

// Retryable wraps err so that IsRetryable reports true for it. Use it only
// when the failed operation applied nothing. Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return retryableError{err}
}

type retryableError struct{ err error }

func (e retryableError) Error() string   { return e.err.Error() }
func (e retryableError) Unwrap() error   { return e.err }
func (e retryableError) Retryable() bool { return true }

func isLimit(err error) bool {
	var le *dirty.LimitError
	return errors.As(err, &le)
}

// OutcomeUnknown wraps err, the failure of a commit that may or may not have
// happened, so that IsOutcomeUnknown reports true for it. OutcomeUnknown(nil)
// is nil.
func OutcomeUnknown(err error) error {
	if err == nil {
		return nil
	}
	return outcomeUnknownError{err}
}

// IsOutcomeUnknown reports whether err, or an error it wraps, has a method
// OutcomeUnknown() bool that returns true.
func IsOutcomeUnknown(err error) bool {
	var u interface{ OutcomeUnknown() bool }
	return errors.As(err, &u) && u.OutcomeUnknown()
}

type outcomeUnknownError struct{ err error }

func (e outcomeUnknownError) Error() string        { return "outcome unknown: " + e.err.Error() }
func (e outcomeUnknownError) Unwrap() error        { return e.err }
func (e outcomeUnknownError) OutcomeUnknown() bool { return true }
