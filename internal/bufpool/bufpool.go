// Package bufpool is an Arrow memory.Allocator that keeps the large buffers
// released to it and hands them out again: a reader that makes batch after
// batch of the same shape then allocates (and the Go runtime zeroes and
// later sweeps) its column buffers once, not once per batch.
//
// A buffer taken from the pool is not zeroed: its user writes every byte it
// reads (the PostgreSQL decoder does; see pgcopy). Buffers come from, and go
// back to, a parent allocator (a checked allocator in tests sees them all
// returned once the pool is closed and the batches released). In tests
// (testing.Testing) every buffer is poisoned as it is freed, so a batch used
// after its release reads garbage instead of silently passing.
package bufpool

import (
	"math/bits"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// minClass is the smallest pooled size, 1<<minClass bytes; smaller
// allocations go straight to the parent.
const minClass = 12

// maxClass is the largest pooled size (1 GiB).
const maxClass = 30

// poisonByte fills freed buffers in tests.
const poisonByte = 0xdb

// Pool is the allocator. The zero value is not usable; call New.
type Pool struct {
	parent memory.Allocator
	limit  int // bytes kept at most

	mu     sync.Mutex
	free   [maxClass + 1][][]byte
	held   int
	closed bool
	poison bool
}

var _ memory.Allocator = (*Pool)(nil)

// New returns a Pool over parent (memory.DefaultAllocator when nil) that
// keeps at most limit bytes of free buffers.
func New(parent memory.Allocator, limit int) *Pool {
	if parent == nil {
		parent = memory.DefaultAllocator
	}
	return &Pool{parent: parent, limit: limit, poison: testing.Testing()}
}

// class returns the pool class of a buffer of n bytes, or -1 for one too
// small or too large to pool.
func class(n int) int {
	if n < 1<<minClass || n > 1<<maxClass {
		return -1
	}
	return bits.Len(uint(n - 1))
}

// Allocate returns size bytes, from a free buffer of the size's class when
// there is one (not zeroed), else from the parent.
func (p *Pool) Allocate(size int) []byte {
	c := class(size)
	if c < 0 {
		return p.parent.Allocate(size)
	}
	p.mu.Lock()
	if n := len(p.free[c]); n > 0 && !p.closed {
		b := p.free[c][n-1]
		p.free[c] = p.free[c][:n-1]
		p.held -= cap(b)
		p.mu.Unlock()
		return b[:size]
	}
	p.mu.Unlock()
	return p.parent.Allocate(1 << c)[: size : 1<<c]
}

// Reallocate returns b resized to size, keeping its contents: in place when
// its capacity allows.
func (p *Pool) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free keeps b for reuse, or returns it to the parent when the pool is
// full, closed or b is not of a pooled class.
func (p *Pool) Free(b []byte) {
	b = b[:cap(b)]
	c := class(len(b))
	if c < 0 || len(b) != 1<<c {
		p.parent.Free(b)
		return
	}
	if p.poison {
		for i := range b {
			b[i] = poisonByte
		}
	}
	p.mu.Lock()
	if p.closed || p.held+len(b) > p.limit {
		p.mu.Unlock()
		p.parent.Free(b)
		return
	}
	p.free[c] = append(p.free[c], b)
	p.held += len(b)
	p.mu.Unlock()
}

// Close returns the free buffers to the parent; buffers freed later go
// straight back to it.
func (p *Pool) Close() {
	p.mu.Lock()
	free := p.free
	p.free = [maxClass + 1][][]byte{}
	p.held, p.closed = 0, true
	p.mu.Unlock()
	for _, bs := range free {
		for _, b := range bs {
			p.parent.Free(b)
		}
	}
}

// Held returns the bytes of free buffers the pool keeps.
func (p *Pool) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}
