package ferry

import (
	"time"
)

func (r *run) snapshot(final bool) Progress {
	el := time.Since(r.start)
	p := Progress{
		Elapsed:      el,
		SplitsDone:   int(r.splitsDone.Load()),
		SplitsTotal:  len(r.splits),
		RowsRead:     r.rowsRead.Load(),
		RowsWritten:  r.rowsWritten.Load(),
		RowsDirty:    r.rowsDirty.Load(),
		BytesWritten: r.bytesWritten.Load(),
		Final:        final,
	}
	if s := el.Seconds(); s > 0 {
		p.RowsPerSecond = float64(p.RowsWritten) / s
	}
	return p
}

// startProgress emits progress events until the returned function is
// called, which emits the final event.
func (r *run) startProgress() (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.o.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.o.Progress(r.snapshot(false))
			case <-quit:
				r.o.Progress(r.snapshot(true))
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

func (r *run) summary() *Summary {
	end := r.end
	if end.IsZero() {
		end = time.Now()
	}
	s := &Summary{
		RunID:          r.o.RunID,
		Start:          r.start,
		End:            end,
		Elapsed:        end.Sub(r.start),
		Concurrency:    r.o.Concurrency,
		SplitsTotal:    len(r.splits),
		SplitsDone:     int(r.splitsDone.Load()),
		RowsRead:       r.rowsRead.Load(),
		RowsWritten:    r.rowsWritten.Load(),
		RowsFiltered:   r.rowsFiltered.Load(),
		RowsDirty:      r.rowsDirty.Load(),
		BytesRead:      r.bytesRead.Load(),
		BytesWritten:   r.bytesWritten.Load(),
		Retries:        r.retries.Load(),
		ReadTime:       time.Duration(r.readTime.Load()),
		WriteTime:      time.Duration(r.writeTime.Load()),
		WaitOnReader:   time.Duration(r.waitReader.Load()),
		WaitOnWriter:   time.Duration(r.waitWriter.Load()),
		DirtyWrittenTo: r.where,
		Committed:      r.committed,
		Resumed:        r.resumed,
		SplitsSkipped:  int(r.splitsSkipped.Load()),
		RowsSkipped:    r.rowsSkipped.Load(),
	}
	// Transformers may have things to say (an LLM's tokens and cost).
	for _, t := range r.o.Transformers {
		if n, ok := t.(interface{ Notes() []string }); ok {
			s.Notes = append(s.Notes, n.Notes()...)
		}
	}
	r.mu.Lock()
	s.Notes = append(s.Notes, r.notes...)
	s.Checks = append(s.Checks, r.checks...)
	r.mu.Unlock()
	if o, ok := r.p.w.(OutputReporter); ok && r.committed {
		s.Outputs = o.Outputs()
	}
	if sec := s.Elapsed.Seconds(); sec > 0 {
		s.RowsPerSecond = float64(s.RowsWritten) / sec
		s.MBPerSecond = float64(s.BytesWritten) / 1e6 / sec
	}
	if len(r.byReason) > 0 {
		s.DirtyByReason = r.byReason
	}
	for i := range r.states {
		st := &r.states[i]
		st.mu.Lock()
		s.Splits = append(s.Splits, st.SplitSummary)
		st.mu.Unlock()
	}
	return s
}
