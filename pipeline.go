package ferry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/time/rate"

	"github.com/ferrydata/ferry/dirty"
)

// Pipeline moves the rows of a Reader into a Writer: it plans splits, runs
// them on a pool of workers, applies rate limits, transforms, retries and the
// dirty-data policy, and commits the writer only when everything succeeded.
// A Pipeline runs once.
type Pipeline struct {
	r    Reader
	w    Writer
	opts Options
	ran  atomic.Bool
}

// New returns a Pipeline from r to w. A nil opts means the defaults. Run
// takes ownership of r, w and the dirty sinks and closes them.
func New(r Reader, w Writer, opts *Options) *Pipeline {
	var o Options
	if opts != nil {
		o = *opts
	}
	return &Pipeline{r: r, w: w, opts: o.withDefaults()}
}

// ErrAlreadyRan is returned by Run on a Pipeline that has run before.
var ErrAlreadyRan = errors.New("ferry: pipeline already ran")

// Run runs the pipeline and returns its Summary, also when it fails.
//
// Reading starts first: the reader's schema and splits are known before the
// writer's Prepare runs, so a source that cannot be read never touches the
// destination. After Prepare, exactly one of the writer's Commit and Abort is
// called. A cancelled ctx stops every worker promptly and aborts the writer.
func (p *Pipeline) Run(ctx context.Context) (*Summary, error) {
	if p.ran.Swap(true) {
		return nil, ErrAlreadyRan
	}
	r := newRun(p)
	err := r.run(ctx)
	sum := r.summary()
	if err != nil {
		sum.Error = err.Error()
	}
	return sum, err
}

type batchItem struct {
	b   arrow.RecordBatch
	off int64 // index of the batch's first row in its split
}

type splitState struct {
	SplitSummary
	delivered bool // some batch reached the writer: the split cannot be retried
}

type run struct {
	p     *Pipeline
	o     Options
	start time.Time
	end   time.Time

	splits []Split
	states []splitState

	rowsRead, rowsWritten, rowsFiltered, rowsDirty atomic.Int64
	bytesRead, bytesWritten, retries               atomic.Int64
	readTime, writeTime, waitReader, waitWriter    atomic.Int64
	splitsDone                                     atomic.Int64

	rowLim, byteLim *rate.Limiter
	counter         *dirty.Counter
	sinks           []dirty.Sink
	where           []string

	mu       sync.Mutex
	byReason map[string]int64

	committed bool
}

func newRun(p *Pipeline) *run {
	r := &run{p: p, o: p.opts, byReason: map[string]int64{}}
	if r.o.RowsPerSecond > 0 {
		r.rowLim = rate.NewLimiter(rate.Limit(r.o.RowsPerSecond), r.o.BatchRows)
	}
	if r.o.BytesPerSecond > 0 {
		r.byteLim = rate.NewLimiter(rate.Limit(r.o.BytesPerSecond), int(min(r.o.BatchBytes, 1<<30)))
	}
	r.sinks = r.o.DirtySinks
	if len(r.sinks) == 0 {
		r.sinks = []dirty.Sink{dirty.LogSink{Logger: r.o.Logger}}
	}
	for _, s := range r.sinks {
		if l, ok := s.(dirty.Locator); ok {
			r.where = append(r.where, l.Location())
		}
	}
	r.counter = dirty.NewCounter(r.o.Dirty, r.where...)
	return r
}

func (r *run) run(ctx context.Context) (err error) {
	r.start = time.Now()
	defer func() { r.end = time.Now() }()
	defer func() {
		err = errors.Join(err, r.closeAll())
	}()

	schema, err := r.p.r.Schema(ctx)
	if err != nil {
		return fmt.Errorf("ferry: read schema: %w", err)
	}
	for i, t := range r.o.Transformers {
		if schema, err = t.OutputSchema(schema); err != nil {
			return fmt.Errorf("ferry: transformer %d: %w", i, err)
		}
	}
	r.splits, err = r.p.r.Splits(ctx, r.o.Concurrency)
	if err != nil {
		return fmt.Errorf("ferry: plan splits: %w", err)
	}
	r.states = make([]splitState, len(r.splits))
	for i, s := range r.splits {
		r.states[i].ID = s.ID
	}

	if err := r.p.w.Prepare(ctx, schema); err != nil {
		err = fmt.Errorf("ferry: prepare writer: %w", err)
		return errors.Join(err, r.abort(ctx, err))
	}

	stopProgress := r.startProgress()
	err = r.work(ctx)
	if err == nil {
		err = r.counter.Final(r.rowsRead.Load())
	}
	if err == nil {
		if err = r.p.w.Commit(ctx); err == nil {
			r.committed = true
		} else {
			err = fmt.Errorf("ferry: commit: %w", err)
		}
	}
	if err != nil {
		err = errors.Join(err, r.abort(ctx, err))
	}
	stopProgress()
	return err
}

// abort calls the writer's Abort on a context that is not cancelled with
// the run's, so a cancelled run still cleans up.
func (r *run) abort(ctx context.Context, cause error) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := r.p.w.Abort(actx, cause); err != nil {
		return fmt.Errorf("ferry: abort writer: %w", err)
	}
	return nil
}

func (r *run) closeAll() error {
	var errs []error
	if err := r.p.r.Close(); err != nil {
		errs = append(errs, fmt.Errorf("ferry: close reader: %w", err))
	}
	if err := r.p.w.Close(); err != nil {
		errs = append(errs, fmt.Errorf("ferry: close writer: %w", err))
	}
	for _, s := range r.o.DirtySinks {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// work runs the splits on the worker pool and returns the first error.
func (r *run) work(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	queue := make(chan int, len(r.splits))
	for i := range r.splits {
		queue <- i
	}
	close(queue)

	workers := max(1, min(r.o.Concurrency, len(r.splits)))
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() {
			firstErr = err
			cancel(err)
		})
	}
	for range workers {
		wg.Go(func() {
			if err := r.worker(ctx, queue); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		// A cancellation that reached no worker (say, between splits).
		if err := context.Cause(ctx); err != nil {
			return err
		}
	}
	return firstErr
}

func (r *run) worker(ctx context.Context, queue <-chan int) error {
	bw, err := r.p.w.Open(ctx)
	if err != nil {
		return fmt.Errorf("ferry: open batch writer: %w", err)
	}
	for idx := range queue {
		if err = ctx.Err(); err != nil {
			break
		}
		if err = r.runSplit(ctx, bw, idx); err != nil {
			break
		}
	}
	if err != nil {
		bw.Close(ctx) // release; the run aborts
		return err
	}
	if err := bw.Close(ctx); err != nil {
		return fmt.Errorf("ferry: close batch writer: %w", err)
	}
	return nil
}

func (r *run) runSplit(ctx context.Context, bw BatchWriter, idx int) error {
	s := r.splits[idx]
	st := &r.states[idx]
	start := time.Now()
	defer func() { st.Elapsed = time.Since(start) }()
	backoff := r.o.Retry.InitialBackoff
	for {
		st.Attempts++
		err := r.copySplit(ctx, bw, s, st)
		if err == nil {
			st.Done = true
			r.splitsDone.Add(1)
			return nil
		}
		if Classify(err) != ClassRetryable || st.delivered || st.Attempts >= r.o.Retry.MaxAttempts {
			return fmt.Errorf("ferry: split %s: %w", s.ID, err)
		}
		r.retries.Add(1)
		r.o.Logger.WarnContext(ctx, "ferry: retrying split", "split", s.ID, "attempt", st.Attempts+1, "err", err)
		if err := sleep(ctx, backoff); err != nil {
			return fmt.Errorf("ferry: split %s: %w", s.ID, err)
		}
		backoff = min(2*backoff, r.o.Retry.MaxBackoff)
	}
}

// copySplit reads one split in a goroutine and writes its batches here,
// with at most InFlight batches between the two.
func (r *run) copySplit(ctx context.Context, bw BatchWriter, s Split, st *splitState) error {
	rr, err := r.p.r.Read(ctx, s)
	if err != nil {
		return err
	}
	defer rr.Release()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batchItem, r.o.InFlight)
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		rerr = r.produce(ctx, rr, s, st, ch)
	}()

	var werr error
	for {
		t0 := time.Now()
		item, ok := <-ch
		r.waitReader.Add(int64(time.Since(t0)))
		if !ok {
			break
		}
		if werr == nil {
			if werr = r.consume(ctx, bw, s, st, item); werr != nil {
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
func (r *run) produce(ctx context.Context, rr interface {
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
}, s Split, st *splitState, ch chan<- batchItem) error {
	dr, _ := rr.(DirtyReporter)
	var off int64
	for {
		t0 := time.Now()
		ok := rr.Next()
		r.readTime.Add(int64(time.Since(t0)))
		if dr != nil {
			if err := r.readerDirty(ctx, s, st, dr.TakeDirty()); err != nil {
				return err
			}
		}
		if !ok {
			break
		}
		b := rr.RecordBatch()
		n := b.NumRows()
		size := BatchBytes(b)
		r.rowsRead.Add(n)
		r.bytesRead.Add(size)
		st.RowsRead += n
		if n == 0 {
			continue
		}
		// Slice to the row and byte limits, without copying.
		step := int64(r.o.BatchRows)
		if size > r.o.BatchBytes {
			step = min(step, max(1, n*r.o.BatchBytes/size))
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
func (r *run) consume(ctx context.Context, bw BatchWriter, s Split, st *splitState, item batchItem) error {
	cur := item.b
	cur.Retain()
	defer func() { cur.Release() }()
	in := cur.NumRows()
	var dirtyRows int64
	for i, t := range r.o.Transformers {
		out, err := t.Transform(ctx, cur)
		if err != nil && Classify(err) != ClassDirty {
			if out != nil {
				out.Release()
			}
			return fmt.Errorf("transformer %d: %w", i, err)
		}
		if rows := dirty.Rows(err); rows != nil {
			dirtyRows += int64(len(rows))
			if err := r.recordDirty(ctx, s, st, rows, cur, item.off); err != nil {
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

	backoff := r.o.Retry.InitialBackoff
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		err := bw.Write(ctx, cur)
		r.writeTime.Add(int64(time.Since(t0)))
		st.delivered = true
		switch Classify(err) {
		case ClassNone:
			r.wrote(st, n, size)
			return nil
		case ClassDirty:
			rows := dirty.Rows(err)
			bad := int64(len(rows))
			r.wrote(st, n-bad, size*(n-bad)/n)
			return r.recordDirty(ctx, s, st, rows, cur, item.off)
		case ClassRetryable:
			if attempt < r.o.Retry.MaxAttempts {
				r.retries.Add(1)
				r.o.Logger.WarnContext(ctx, "ferry: retrying write", "split", s.ID, "attempt", attempt+1, "err", err)
				if err := sleep(ctx, backoff); err != nil {
					return err
				}
				backoff = min(2*backoff, r.o.Retry.MaxBackoff)
				continue
			}
		}
		return err
	}
}

func (r *run) wrote(st *splitState, rows, bytes int64) {
	r.rowsWritten.Add(rows)
	r.bytesWritten.Add(bytes)
	st.RowsWritten += rows
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
