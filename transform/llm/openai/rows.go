package openai

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TakeRows returns the rows of c at idx (ascending, repeats allowed: a
// filtered or a chunk-expanded batch) as concatenated slices of c's runs;
// c itself, retained, when idx is every row once. It works for every type.
func TakeRows(mem memory.Allocator, c arrow.Array, idx []int) (arrow.Array, error) {
	if len(idx) == c.Len() && (len(idx) == 0 || idx[len(idx)-1] == len(idx)-1) {
		c.Retain()
		return c, nil
	}
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && idx[j] == idx[j-1]+1 {
			j++
		}
		parts = append(parts, array.NewSlice(c, int64(idx[i]), int64(idx[j-1]+1)))
		i = j
	}
	switch len(parts) {
	case 0:
		return array.MakeArrayOfNull(mem, c.DataType(), 0), nil
	case 1:
		parts[0].Retain()
		return parts[0], nil
	}
	return array.Concatenate(parts, mem)
}

// Parallel calls fn(ctx, i) for every i in [0, n) at once (the Client's
// semaphore bounds what is in flight) and returns the first error; the
// first error cancels the ctx the others got.
func Parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel(err) })
			}
		})
	}
	wg.Wait()
	return first
}
