// Package bisect isolates the bad rows of a batch that a destination
// rejected, in log2(rows) round trips per bad row rather than one per row.
package bisect

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry/dirty"
)

// WriteFunc writes a whole batch or nothing of it (a COPY in its own
// savepoint, a transaction): after an error no row of b may be left applied.
type WriteFunc func(ctx context.Context, b arrow.RecordBatch) error

// Write writes b with write. When write fails with an error for which isData
// reports true (a constraint violation, a value out of range), Write splits
// the batch in halves and retries each, until the bad rows are single rows:
// those are returned as a *dirty.RowErrors indexed by their position in b
// (their errors are the destination's), and every other row is written.
// column, when not nil, names the offending column from an error.
// Any other error stops the bisection and is returned as is.
func Write(ctx context.Context, b arrow.RecordBatch, write WriteFunc, isData func(error) bool, column func(error) string) error {
	var bad []dirty.RowError
	if err := walk(ctx, b, 0, write, isData, column, &bad); err != nil {
		return err
	}
	if len(bad) > 0 {
		return &dirty.RowErrors{Rows: bad}
	}
	return nil
}

func walk(ctx context.Context, b arrow.RecordBatch, offset int64, write WriteFunc, isData func(error) bool, column func(error) string, bad *[]dirty.RowError) error {
	n := b.NumRows()
	if n == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := write(ctx, b)
	if err == nil || !isData(err) {
		return err
	}
	if n == 1 {
		re := dirty.RowError{Row: offset, Err: err}
		if column != nil {
			re.Column = column(err)
		}
		*bad = append(*bad, re)
		return nil
	}
	half := n / 2
	for _, part := range [2][2]int64{{0, half}, {half, n}} {
		s := b.NewSlice(part[0], part[1])
		err := walk(ctx, s, offset+part[0], write, isData, column, bad)
		s.Release()
		if err != nil {
			return err
		}
	}
	return nil
}
