package bufpool

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestPool: large buffers come back for the next allocation of their
// class, poisoned; small ones, a full pool and a closed pool go to the
// parent; everything is back with the parent once the pool is closed.
func TestPool(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	p := New(mem, 3<<13)

	a := p.Allocate(5000) // class 8192
	if len(a) != 5000 || cap(a) != 8192 {
		t.Fatalf("Allocate(5000): len %d cap %d, want 5000, 8192", len(a), cap(a))
	}
	a[0] = 1
	p.Free(a)
	if p.Held() != 8192 {
		t.Fatalf("held %d after a free, want 8192", p.Held())
	}
	if a[:1][0] != poisonByte {
		t.Errorf("a freed buffer is not poisoned in tests")
	}
	b := p.Allocate(8000)
	if &b[0] != &a[:1][0] {
		t.Errorf("the freed buffer of the class was not reused")
	}
	if p.Held() != 0 {
		t.Errorf("held %d after the reuse, want 0", p.Held())
	}

	// in place within the capacity, else moved with the contents
	b[7999] = 7
	if c := p.Reallocate(8192, b); &c[0] != &b[0] || len(c) != 8192 {
		t.Errorf("Reallocate within the capacity moved the buffer")
	}
	c := p.Reallocate(20000, b[:8000])
	if len(c) != 20000 || cap(c) != 1<<15 || c[7999] != 7 {
		t.Errorf("Reallocate(20000): len %d cap %d, contents kept %v", len(c), cap(c), c[7999] == 7)
	}
	if p.Held() != 8192 {
		t.Errorf("held %d: the old buffer should be pooled", p.Held())
	}

	small := p.Allocate(100)
	p.Free(small) // not pooled
	if p.Held() != 8192 {
		t.Errorf("a small buffer was pooled")
	}

	// the limit: 3×8192 bytes; c (32 KiB) does not fit
	p.Free(c)
	if p.Held() != 8192 {
		t.Errorf("held %d: a buffer over the limit was kept", p.Held())
	}

	d := p.Allocate(1 << 20)
	p.Close()
	if p.Held() != 0 {
		t.Errorf("held %d after Close", p.Held())
	}
	p.Free(d) // after Close: straight to the parent
	if p.Held() != 0 {
		t.Errorf("a buffer freed after Close was kept")
	}
}

// TestClass pins the class boundaries.
func TestClass(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, -1}, {4095, -1}, {4096, 12}, {4097, 13}, {8192, 13}, {1 << 30, 30}, {1<<30 + 1, -1},
	} {
		if got := class(tc.n); got != tc.want {
			t.Errorf("class(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

// TestBuffers: an Arrow buffer grown through the pool and released puts
// its memory back for the next buffer.
func TestBuffers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	p := New(mem, 64<<20)
	defer p.Close()
	for i := 0; i < 3; i++ {
		b := memory.NewResizableBuffer(p)
		b.Reserve(100_000)
		b.Resize(300_000)
		for j := range b.Bytes() {
			b.Bytes()[j] = byte(j)
		}
		b.Release()
	}
	if p.Held() == 0 {
		t.Errorf("nothing pooled after the buffers were released")
	}
}
