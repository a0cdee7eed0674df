package ferry

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"golang.org/x/time/rate"

	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/crashpoint"
)

// CopySplit copies the split splitID of pl into the writer, with the
// Pipeline's retries, rate limits, transformers and dirty-data policy, and
// returns its account. It may be called concurrently for different splits.
//
// In the process that made pl, it works with any writer. In another process
// (a Pipeline opened from the same reader and writer configuration), the
// writer must be a StageWriter: the first call attaches to the run's stage
// (and gives a StatefulReader the plan's state). With a StageWriter the
// split's rows become durable with its done marker, and copying a split
// again replaces what an earlier attempt wrote, so a driver that copies a
// split at least once gets it exactly once.
func (p *Pipeline) CopySplit(ctx context.Context, pl *Plan, splitID string) (SplitSummary, error) {
	if err := p.attach(ctx, pl); err != nil {
		return SplitSummary{}, err
	}
	idx, ok := p.run.index[splitID]
	if !ok {
		return SplitSummary{}, fmt.Errorf("ferry: run %s has no split %q", pl.RunID, splitID)
	}
	p.run.beginProgress() // until Finish or Close
	p.run.setPhase(PhaseCopying)
	err := p.copyIndex(ctx, idx)
	st := &p.run.states[idx]
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.SplitSummary, err
}

// attempt counts one attempt at a split, so that a failed attempt that is
// retried can be taken back out of the run's totals.
type attempt struct {
	read, written, filtered, dirty atomic.Int64
	bytesRead, bytesWritten        atomic.Int64
	delivered                      atomic.Bool // some batch reached the writer
	reasons                        map[string]int64
	checks                         []SplitCheck
}

func (r *run) undo(a *attempt) {
	r.rowsRead.Add(-a.read.Load())
	r.rowsWritten.Add(-a.written.Load())
	r.rowsFiltered.Add(-a.filtered.Load())
	r.rowsDirty.Add(-a.dirty.Load())
	r.bytesRead.Add(-a.bytesRead.Load())
	r.bytesWritten.Add(-a.bytesWritten.Load())
	r.counter.Undo(a.dirty.Load())
	r.mu.Lock()
	for k, n := range a.reasons {
		if r.byReason[k] -= n; r.byReason[k] <= 0 {
			delete(r.byReason, k)
		}
	}
	r.mu.Unlock()
}

// copyIndex copies split idx, retrying retryable failures: any attempt of a
// StageWriter (a failed attempt is discarded), and otherwise an attempt that
// delivered nothing to the writer.
func (p *Pipeline) copyIndex(ctx context.Context, idx int) error {
	r := p.run
	s := r.splits[idx]
	st := &r.states[idx]
	st.mu.Lock()
	defer st.mu.Unlock()
	sw, staged := p.stager()
	if st.Done && !staged {
		return fmt.Errorf("ferry: split %s was already copied in this run (only a StageWriter can replace a split)", s.ID)
	}
	start := time.Now()
	backoff := p.opts.Retry.InitialBackoff
	for try := 1; ; try++ {
		st.Attempts++
		p.observe(Event{Kind: EventSplitStarted, Split: s.ID, Attempt: st.Attempts})
		a := &attempt{reasons: map[string]int64{}, checks: p.newSplitChecks()}
		var err error
		if staged {
			err = p.copyStaged(ctx, sw, s, a)
		} else {
			err = p.copyPooled(ctx, s, a)
		}
		if err == nil {
			if st.Done && st.last != nil {
				r.undo(st.last) // a copy that replaced an earlier one
			} else {
				r.splitsDone.Add(1)
			}
			st.last = a
			st.Done = true
			st.RowsRead, st.RowsWritten, st.RowsDirty = a.read.Load(), a.written.Load(), a.dirty.Load()
			st.RowsFiltered, st.BytesRead, st.BytesWritten = a.filtered.Load(), a.bytesRead.Load(), a.bytesWritten.Load()
			st.Elapsed = time.Since(start)
			st.Checks = splitCheckStates(p, a.checks)
			p.observe(Event{Kind: EventSplitFinished, Split: s.ID, Attempt: st.Attempts, Rows: st.RowsWritten, Bytes: st.BytesWritten, Elapsed: st.Elapsed})
			return nil
		}
		canRetry := Classify(err) == ClassRetryable && (staged || !a.delivered.Load()) && try < p.opts.Retry.MaxAttempts
		if !canRetry {
			st.RowsRead, st.RowsWritten, st.RowsDirty = a.read.Load(), a.written.Load(), a.dirty.Load()
			st.Elapsed = time.Since(start)
			p.observe(Event{Kind: EventSplitFailed, Split: s.ID, Attempt: st.Attempts, Elapsed: st.Elapsed, Err: err})
			return fmt.Errorf("ferry: split %s: %w", s.ID, err)
		}
		r.undo(a)
		r.retries.Add(1)
		p.observe(Event{Kind: EventSplitRetried, Split: s.ID, Attempt: st.Attempts, Err: err})
		p.opts.Logger.WarnContext(ctx, "ferry: retrying split", "split", s.ID, "attempt", st.Attempts+1, "err", err)
		if err := sleep(ctx, backoff); err != nil {
			return fmt.Errorf("ferry: split %s: %w", s.ID, err)
		}
		backoff = min(2*backoff, p.opts.Retry.MaxBackoff)
	}
}

// copyStaged runs one attempt at split s through a SplitWriter: Close marks
// the split done; any failure discards the attempt.
func (p *Pipeline) copyStaged(ctx context.Context, sw StageWriter, s Split, a *attempt) error {
	w, err := sw.OpenSplit(ctx, s.ID)
	if err != nil {
		return fmt.Errorf("open split writer: %w", err)
	}
	err = p.copyInto(ctx, w, s, a)
	if err == nil {
		crashpoint.Hit("ferry.split.before_close")
		if err = w.Close(ctx); err == nil {
			crashpoint.Hit("ferry.split.closed")
			return nil
		}
		err = fmt.Errorf("close split writer: %w", err)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if derr := w.Discard(dctx); derr != nil {
		err = errors.Join(err, fmt.Errorf("discard split attempt: %w", derr))
	}
	return err
}

// copyPooled runs one attempt at split s through a BatchWriter of the pool
// (writers without a stage keep one BatchWriter per worker for the run).
func (p *Pipeline) copyPooled(ctx context.Context, s Split, a *attempt) error {
	bw, err := p.takeBatchWriter(ctx)
	if err != nil {
		return err
	}
	defer p.giveBatchWriter(bw)
	return p.copyInto(ctx, bw, s, a)
}

func (p *Pipeline) takeBatchWriter(ctx context.Context) (BatchWriter, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		bw := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return bw, nil
	}
	if !p.planner {
		p.mu.Unlock()
		return nil, ErrNotStaged
	}
	p.mu.Unlock()
	bw, err := p.w.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open batch writer: %w", err)
	}
	p.mu.Lock()
	p.opened = append(p.opened, bw)
	p.mu.Unlock()
	return bw, nil
}

func (p *Pipeline) giveBatchWriter(bw BatchWriter) {
	p.mu.Lock()
	p.idle = append(p.idle, bw)
	p.mu.Unlock()
}

type batchItem struct {
	b   arrow.RecordBatch
	off int64 // index of the batch's first row in its split
}

// copyInto reads split s in a goroutine and writes its batches to bw here,
// with at most InFlight batches between the two.
func (p *Pipeline) copyInto(ctx context.Context, bw BatchWriter, s Split, a *attempt) error {
	rr, err := p.r.Read(ctx, s)
	if err != nil {
		return err
	}
	defer rr.Release()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batchItem, p.opts.InFlight)
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		rerr = p.produce(ctx, rr, s, a, ch)
	}()

	r := p.run
	var werr error
	for {
		t0 := time.Now()
		item, ok := <-ch
		r.waitReader.Add(int64(time.Since(t0)))
		if !ok {
			break
		}
		if werr == nil {
			if werr = p.consume(ctx, bw, s, a, item); werr != nil {
				cancel()
			}
		}
		item.b.Release()
	}
	<-done
	if werr != nil {
		return werr
	}
	return rerr
}

// produce reads the batches of a split, slices them to the batch limits and
// sends them on ch.
func (p *Pipeline) produce(ctx context.Context, rr array.RecordReader, s Split, a *attempt, ch chan<- batchItem) error {
	r := p.run
	dr, _ := rr.(DirtyReporter)
	var off int64
	for {
		t0 := time.Now()
		ok := rr.Next()
		r.readTime.Add(int64(time.Since(t0)))
		var b arrow.RecordBatch
		var n, size int64
		if ok {
			// The batch counts first, so that a policy error counts its rows.
			b = rr.RecordBatch()
			n, size = b.NumRows(), BatchBytes(b)
			r.rowsRead.Add(n)
			r.bytesRead.Add(size)
			a.read.Add(n)
			a.bytesRead.Add(size)
		}
		if dr != nil {
			// Rows the reader skipped were read: they count in rows read,
			// so that read - filtered - dirty = written holds.
			rows := dr.TakeDirty()
			r.rowsRead.Add(int64(len(rows)))
			a.read.Add(int64(len(rows)))
			if err := p.recordDirty(ctx, s, a, rows, nil, 0); err != nil {
				return err
			}
		}
		if !ok {
			break
		}
		if n == 0 {
			continue
		}
		// Slice to the row and byte limits, without copying.
		step := int64(p.opts.BatchRows)
		if size > p.opts.BatchBytes {
			step = min(step, max(1, n*p.opts.BatchBytes/size))
		}
		for lo := int64(0); lo < n; lo += step {
			hi := min(lo+step, n)
			var part arrow.RecordBatch
			if lo == 0 && hi == n {
				b.Retain()
				part = b
			} else {
				part = b.NewSlice(lo, hi)
			}
			t1 := time.Now()
			select {
			case ch <- batchItem{b: part, off: off + lo}:
				r.waitWriter.Add(int64(time.Since(t1)))
			case <-ctx.Done():
				part.Release()
				return context.Cause(ctx)
			}
		}
		off += n
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return ctx.Err()
}

// consume transforms, rate-limits and writes one batch.
func (p *Pipeline) consume(ctx context.Context, bw BatchWriter, s Split, a *attempt, item batchItem) error {
	r := p.run
	cur := item.b
	cur.Retain()
	defer func() { cur.Release() }()
	in := cur.NumRows()
	var dirtyRows int64
	for i, t := range p.opts.Transformers {
		out, err := p.transform(ctx, i, t, cur, s)
		if err != nil && Classify(err) != ClassDirty {
			if out != nil {
				out.Release()
			}
			return fmt.Errorf("transformer %d: %w", i, err)
		}
		if rows := dirty.Rows(err); rows != nil {
			dirtyRows += int64(len(rows))
			if err := p.recordDirty(ctx, s, a, rows, cur, item.off); err != nil {
				if out != nil {
					out.Release()
				}
				return err
			}
		}
		cur.Release()
		cur = out
		if cur == nil {
			return fmt.Errorf("transformer %d returned no batch", i)
		}
	}
	n := cur.NumRows()
	r.rowsFiltered.Add(in - n - dirtyRows)
	a.filtered.Add(in - n - dirtyRows)
	if n == 0 {
		return nil
	}
	size := BatchBytes(cur)
	if err := waitN(ctx, r.rowLim, n); err != nil {
		return err
	}
	if err := waitN(ctx, r.byteLim, size); err != nil {
		return err
	}

	backoff := p.opts.Retry.InitialBackoff
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		err := bw.Write(ctx, cur)
		r.writeTime.Add(int64(time.Since(t0)))
		a.delivered.Store(true)
		switch Classify(err) {
		case ClassNone:
			observeChecks(a.checks, cur, nil)
			p.wrote(s, a, n, size)
			crashpoint.Hit("ferry.batch.written")
			return nil
		case ClassDirty:
			rows := dirty.Rows(err)
			bad := int64(len(rows))
			if len(a.checks) > 0 {
				rejected := make([]int, len(rows))
				for i, re := range rows {
					rejected[i] = int(re.Row)
				}
				observeChecks(a.checks, cur, rejected)
			}
			p.wrote(s, a, n-bad, size*(n-bad)/n)
			return p.recordDirty(ctx, s, a, rows, cur, item.off)
		case ClassRetryable:
			if attempt < p.opts.Retry.MaxAttempts {
				r.retries.Add(1)
				p.opts.Logger.WarnContext(ctx, "ferry: retrying write", "split", s.ID, "attempt", attempt+1, "err", err)
				if err := sleep(ctx, backoff); err != nil {
					return err
				}
				backoff = min(2*backoff, p.opts.Retry.MaxBackoff)
				continue
			}
		}
		return err
	}
}

// transform runs transformer t on b, retrying an error marked retryable (an
// API answering 429, say) with the run's backoff.
func (p *Pipeline) transform(ctx context.Context, i int, t Transformer, b arrow.RecordBatch, s Split) (arrow.RecordBatch, error) {
	backoff := p.opts.Retry.InitialBackoff
	for attempt := 1; ; attempt++ {
		out, err := t.Transform(ctx, b)
		if Classify(err) != ClassRetryable || attempt >= p.opts.Retry.MaxAttempts {
			return out, err
		}
		if out != nil {
			out.Release()
		}
		p.run.retries.Add(1)
		p.opts.Logger.WarnContext(ctx, "ferry: retrying transform", "split", s.ID, "transformer", i, "attempt", attempt+1, "err", err)
		if err := sleep(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, p.opts.Retry.MaxBackoff)
	}
}

func (p *Pipeline) wrote(s Split, a *attempt, rows, bytes int64) {
	p.run.rowsWritten.Add(rows)
	p.run.bytesWritten.Add(bytes)
	a.written.Add(rows)
	a.bytesWritten.Add(bytes)
	p.observe(Event{Kind: EventBatchWritten, Split: s.ID, Rows: rows, Bytes: bytes})
}

func waitN(ctx context.Context, lim *rate.Limiter, n int64) error {
	if lim == nil {
		return nil
	}
	for n > 0 {
		k := min(n, int64(lim.Burst()))
		if err := lim.WaitN(ctx, int(k)); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("ferry: rate limit: %w", err)
		}
		n -= k
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
