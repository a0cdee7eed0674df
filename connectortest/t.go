package connectortest

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// T is the part of *testing.T the suite uses. The suite takes a T rather
// than a *testing.T so that it can be run against deliberately broken
// connectors and be seen to fail (see Recorder), which proves it catches
// what it claims to. A *testing.T is a T.
//
// A T that is not a *testing.T runs subtests through a method
// RunT(name string, f func(T)) bool, and gives the harness the real test
// through a method TestingT() *testing.T.
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	Failed() bool
	Name() string
}

// subtest runs f as the subtest name of t.
func subtest(t T, name string, f func(T)) bool {
	switch tt := t.(type) {
	case *testing.T:
		return tt.Run(name, func(st *testing.T) { f(st) })
	case interface{ RunT(string, func(T)) bool }:
		return tt.RunT(name, f)
	}
	panic(fmt.Sprintf("connectortest: %T has no way to run subtests", t))
}

// tb returns the *testing.T behind t, for the harness functions.
func tb(t T) *testing.T {
	switch tt := t.(type) {
	case *testing.T:
		return tt
	case interface{ TestingT() *testing.T }:
		return tt.TestingT()
	}
	panic(fmt.Sprintf("connectortest: %T has no *testing.T", t))
}

// Recorder is a T that records failures instead of failing the test it
// wraps, so a test can run the suite against a connector that is broken on
// purpose and check that the suite fails. Fatal and Fatalf end the running
// (sub)test as they do on a *testing.T. Harness functions still receive the
// real *testing.T.
type Recorder struct {
	t      *testing.T
	name   string
	parent *Recorder

	mu       sync.Mutex
	failed   bool
	msgs     []string
	cleanups []func()
}

// NewRecorder returns a Recorder over t.
func NewRecorder(t *testing.T) *Recorder { return &Recorder{t: t, name: t.Name()} }

// Helper does nothing.
func (r *Recorder) Helper() {}

// TestingT returns the wrapped test.
func (r *Recorder) TestingT() *testing.T { return r.t }

// Name returns the (sub)test's name.
func (r *Recorder) Name() string { return r.name }

// Logf records nothing.
func (r *Recorder) Logf(format string, args ...any) {}

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }

// Fatalf records a failure and ends the (sub)test.
func (r *Recorder) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// Fatal records a failure and ends the (sub)test.
func (r *Recorder) Fatal(args ...any) {
	r.fail(fmt.Sprint(args...))
	runtime.Goexit()
}

// FailNow ends the (sub)test as failed (for testify's require).
func (r *Recorder) FailNow() {
	r.fail("FailNow")
	runtime.Goexit()
}

func (r *Recorder) fail(msg string) {
	for p := r; p != nil; p = p.parent {
		p.mu.Lock()
		p.failed = true
		p.msgs = append(p.msgs, r.name+": "+msg)
		p.mu.Unlock()
	}
}

// Failed reports whether a failure was recorded.
func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// Messages returns the failures recorded, each prefixed by its test name.
func (r *Recorder) Messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// Cleanup registers f to run when the (sub)test ends.
func (r *Recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// RunT runs f as a subtest and reports whether it passed. The subtest is a
// real subtest of the wrapped test (so the harness gets a *testing.T of its
// own, with its own name and clean-ups) that records its failures instead of
// reporting them; f runs in a goroutine of its own, so that Fatal can end it.
func (r *Recorder) RunT(name string, f func(T)) bool {
	var sub *Recorder
	r.t.Run(name, func(st *testing.T) {
		sub = &Recorder{t: st, name: st.Name(), parent: r}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer sub.runCleanups()
			f(sub)
		}()
		<-done
	})
	return sub != nil && !sub.Failed()
}

func (r *Recorder) runCleanups() {
	r.mu.Lock()
	cs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		func() {
			defer func() {
				if p := recover(); p != nil {
					r.fail(fmt.Sprint("cleanup panicked: ", p))
				}
			}()
			cs[i]()
		}()
	}
}

// Finish runs the top-level clean-ups; call it (or defer it) when the
// suite returns.
func (r *Recorder) Finish() { r.runCleanups() }
