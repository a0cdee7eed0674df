package transform

import "github.com/ferrydata/ferry"

// FilterVM is Filter without the fast path, for the tests that hold the
// fast path to the VM.
func FilterVM(where string, opts *Options) (ferry.Transformer, error) {
	t, err := Filter(where, opts)
	if err != nil {
		return nil, err
	}
	t.(*exprFilter).noFast = true
	return t, nil
}

// HasFastPath reports whether t (a Filter) bound to its last schema uses
// the fast path.
func HasFastPath(t ferry.Transformer) bool {
	c := t.(*exprFilter).b.cur.Load()
	return c != nil && c.p.fast != nil
}
