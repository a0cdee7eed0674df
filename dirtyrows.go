package ferry

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/arrowval"
)

// recordDirty sends dirty rows to the sinks, counts them, and applies the
// policy. b, when not nil, is the batch the rows index into, and off the
// position of b's first row in the split.
func (p *Pipeline) recordDirty(ctx context.Context, s Split, a *attempt, rows []dirty.RowError, b arrow.RecordBatch, off int64) error {
	if len(rows) == 0 {
		return nil
	}
	r := p.run
	for _, re := range rows {
		rec := dirty.Record{Split: s.ID, Row: off + re.Row, Column: re.Column, Value: re.Value, Reason: reason(re)}
		if b != nil && re.Row >= 0 && re.Row < b.NumRows() {
			rec.Values = arrowval.Row(b, int(re.Row))
			if rec.Value == nil && re.Column != "" {
				if idx := b.Schema().FieldIndices(re.Column); len(idx) > 0 {
					rec.Value = arrowval.JSONSafe(b.Column(idx[0]), int(re.Row))
				}
			}
		}
		for _, sink := range r.sinks {
			if err := sink.Write(ctx, rec); err != nil {
				return fmt.Errorf("ferry: dirty sink: %w", err)
			}
		}
		key := rec.Reason
		if len(key) > 100 {
			key = key[:100]
		}
		r.mu.Lock()
		r.byReason[key]++
		a.reasons[key]++
		r.mu.Unlock()
	}
	n := int64(len(rows))
	a.dirty.Add(n)
	r.rowsDirty.Add(n)
	first := fmt.Errorf("split %s: %w", s.ID, rows[0])
	p.observe(Event{Kind: EventDirtyRow, Split: s.ID, Rows: n, Err: first})
	return r.counter.Add(n, first, r.rowsRead.Load())
}

func reason(re dirty.RowError) string {
	if re.Err == nil {
		return "rejected"
	}
	return re.Err.Error()
}
