package ferry

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
//
// Run does all of it in one process. The same work is also offered as three
// public steps that exchange plain data, so that other processes or machines
// can share a run: Plan, CopySplit (for each split, anywhere), and Finish (or
// Abort). A Pipeline that used the steps is closed with Close.
type Pipeline struct {
	r    Reader
	w    Writer
	opts Options
	ran  atomic.Bool
	run  *run

	mu        sync.Mutex
	plan      *Plan
	planner   bool          // this process made the plan
	schema    *arrow.Schema // what the writer receives
	prepared  bool          // the writer was prepared or attached: Commit or Abort is owed
	ended     bool          // Commit or Abort happened
	idle      []BatchWriter // non-staged: batch writers not in use
	opened    []BatchWriter // non-staged: every batch writer opened
	closed    bool
	mayDirect bool // Run without a checkpoint: Plan may ask a DirectWriter
	direct    bool // the plan skips the StageWriter's stage (DirectWriter)
}

// stager returns the writer as a StageWriter, unless it is none or this
// run skips its stage (DirectWriter).
func (p *Pipeline) stager() (StageWriter, bool) {
	if p.direct {
		return nil, false
	}
	sw, ok := p.w.(StageWriter)
	return sw, ok
}

// New returns a Pipeline from r to w. A nil opts means the defaults. Run
// (or Close) takes ownership of r, w, the transformers and the dirty sinks
// and closes them.
func New(r Reader, w Writer, opts *Options) *Pipeline {
	var o Options
	if opts != nil {
		o = *opts
	}
	p := &Pipeline{r: r, w: w, opts: o.withDefaults()}
	p.run = newRun(p)
	return p
}

// ErrAlreadyRan is returned by Run on a Pipeline that has run before.
var ErrAlreadyRan = errors.New("ferry: pipeline already ran")

// RunID returns the run's ID (Options.RunID, or the random one New made).
func (p *Pipeline) RunID() string { return p.opts.RunID }

// Run runs the pipeline and returns its Summary, also when it fails.
//
// Reading starts first: the reader's schema and splits are known before the
// writer is prepared, so a source that cannot be read never touches the
// destination. After that, exactly one of the writer's Commit and Abort is
// called, except that a failed run with Options.Checkpoint keeps a
// StageWriter's stage for Resume. A cancelled ctx stops every worker
// promptly. Run closes the pipeline.
func (p *Pipeline) Run(ctx context.Context) (*Summary, error) {
	if p.ran.Swap(true) {
		return nil, ErrAlreadyRan
	}
	return p.runAll(ctx, nil)
}

// runAll plans (or, for a resume, takes ck's plan), copies every split not
// yet done and finishes.
func (p *Pipeline) runAll(ctx context.Context, ck *checkpoint) (sum *Summary, err error) {
	r := p.run
	r.start = time.Now()
	defer func() {
		err = errors.Join(err, p.Close())
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			// A cancelled run fails for that reason, whatever a driver
			// made of its closed connection ("bad connection").
			err = fmt.Errorf("ferry: %w (%s)", ctx.Err(), strings.TrimPrefix(err.Error(), "ferry: "))
		}
		r.end = time.Now()
		sum = r.summary()
		if err != nil {
			sum.Error = err.Error()
		}
	}()
	r.beginProgress()
	r.setPhase(PhasePlanning)
	defer func() { r.endProgress(finalPhase(err)) }()
	p.mayDirect = ck == nil && p.opts.Checkpoint == ""
	if ck == nil && p.opts.Checkpoint != "" {
		if ck, err = createCheckpoint(p.opts.Checkpoint, p.opts.CheckpointOrigin); err != nil {
			return nil, err
		}
		defer ck.close()
	}
	var pl *Plan
	if ck != nil && ck.plan != nil {
		pl = ck.plan
		if err = p.resumeAttach(ctx, pl, ck); err != nil {
			return nil, err
		}
		if r.committed {
			return nil, nil
		}
	} else {
		if pl, err = p.Plan(ctx); err != nil {
			return nil, err
		}
		if ck != nil {
			if err = ck.savePlan(pl); err != nil {
				return nil, errors.Join(err, p.Abort(ctx, pl, err))
			}
		}
	}

	err = p.copyAll(ctx, pl, ck)
	if err == nil {
		_, err = p.finish(ctx, pl, nil, ck)
	} else if keepForResume(p, ck, err) {
		ck.setStatus(statusFailed, err)
		err = fmt.Errorf("%w (the stage is kept: resume with ferry.Resume or `ferry resume %s`)", err, ck.dir)
	} else {
		err = errors.Join(err, p.Abort(ctx, pl, err))
		if ck != nil {
			ck.setStatus(statusAborted, err)
		}
	}
	return nil, err
}

// keepForResume reports whether a failed run keeps its stage: only with a
// checkpoint and a StageWriter, and not when the dirty-data policy broke
// (a rerun would break it again).
func keepForResume(p *Pipeline, ck *checkpoint, err error) bool {
	if ck == nil {
		return false
	}
	if _, ok := p.stager(); !ok {
		return false
	}
	var le *dirty.LimitError
	return !errors.As(err, &le)
}

// copyAll runs the splits of pl that are not done on the worker pool and
// returns the first error.
func (p *Pipeline) copyAll(ctx context.Context, pl *Plan, ck *checkpoint) error {
	r := p.run
	r.setPhase(PhaseCopying)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var todo []int
	for i := range pl.Splits {
		if !r.states[i].Done {
			todo = append(todo, i)
		}
	}
	queue := make(chan int, len(todo))
	for _, i := range todo {
		queue <- i
	}
	close(queue)

	workers := max(1, min(p.opts.Concurrency, len(todo)))
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
			for idx := range queue {
				if ctx.Err() != nil {
					return
				}
				if err := p.copyIndex(ctx, idx); err != nil {
					fail(err)
					return
				}
				if ck != nil {
					if err := ck.saveSplit(r.states[idx].SplitSummary); err != nil {
						fail(err)
						return
					}
				}
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

// Close closes the reader, the writer, the transformers that have a Close
// method and the dirty sinks. A Pipeline that planned or attached and did not
// Finish or Abort leaves a StageWriter's stage as a crash would (resumable).
// Close is idempotent.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.ended && !p.run.committed {
		p.run.endProgress(PhaseFailed)
	}
	p.run.endProgress(PhaseDone)
	var errs []error
	// Batch writers of a run that did not end are released without a
	// flush; Abort (or a crash) undoes what they wrote.
	for _, bw := range p.opened {
		if !p.ended {
			bw.Close(context.Background())
		}
	}
	if err := p.r.Close(); err != nil {
		errs = append(errs, fmt.Errorf("ferry: close reader: %w", err))
	}
	if err := p.w.Close(); err != nil {
		errs = append(errs, fmt.Errorf("ferry: close writer: %w", err))
	}
	for i, t := range p.opts.Transformers {
		if c, ok := t.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("ferry: close transformer %d: %w", i, err))
			}
		}
	}
	for _, s := range p.opts.DirtySinks {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// abortWriter calls the writer's Abort on a context that is not cancelled
// with the run's, so a cancelled run still cleans up. Called with p.mu held
// or before the pipeline is shared.
func (p *Pipeline) abortWriter(ctx context.Context, cause error) error {
	if p.ended || !p.prepared {
		return nil
	}
	p.ended = true
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	err := p.w.Abort(actx, cause)
	p.observe(Event{Kind: EventAborted, Err: cause})
	if err != nil {
		return fmt.Errorf("ferry: abort writer: %w", err)
	}
	return nil
}

func (p *Pipeline) observe(e Event) {
	if p.opts.Observer == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.RunID = p.opts.RunID
	p.opts.Observer.Observe(e)
}

// run holds the counters of a Pipeline's work in this process.
type run struct {
	p     *Pipeline
	o     Options
	start time.Time
	end   time.Time

	splits []Split
	states []splitState
	index  map[string]int

	rowsRead, rowsWritten, rowsFiltered, rowsDirty atomic.Int64
	bytesRead, bytesWritten, retries               atomic.Int64
	readTime, writeTime, waitReader, waitWriter    atomic.Int64
	splitsDone, splitsSkipped, rowsSkipped         atomic.Int64

	// Progress: the plan's totals, the phase and the events' goroutine.
	splitsTotal, rowsTotal, bytesTotal atomic.Int64
	totalExact                         atomic.Bool
	phase                              atomic.Value // Phase
	phaseCh                            chan Phase
	progMu                             sync.Mutex
	prog                               *progressLoop

	rowLim, byteLim *rate.Limiter
	counter         *dirty.Counter
	sinks           []dirty.Sink
	where           []string

	mu       sync.Mutex
	byReason map[string]int64
	notes    []string
	checks   []CheckResult

	committed bool
	resumed   bool
	// passthrough: the reader hands the writer its wire encoding
	passthrough atomic.Bool
}

type splitState struct {
	SplitSummary
	mu   sync.Mutex // one attempt at a time
	last *attempt   // the attempt whose counts the summary holds
}

func newRun(p *Pipeline) *run {
	r := &run{p: p, o: p.opts, byReason: map[string]int64{}, phaseCh: make(chan Phase, 16)}
	if r.o.RowsPerSecond > 0 {
		r.rowLim = rate.NewLimiter(rate.Limit(r.o.RowsPerSecond), r.o.BatchRows)
	}
	if r.o.BytesPerSecond > 0 {
		r.byteLim = rate.NewLimiter(rate.Limit(r.o.BytesPerSecond), int(min(r.o.BatchBytes, 1<<30)))
	}
	if l := r.o.SharedLimits; l != nil {
		r.rowLim, r.byteLim = l.rows, l.bytes
	}
	r.sinks = r.o.DirtySinks
	if len(r.sinks) == 0 {
		r.sinks = []dirty.Sink{&dirty.LogSink{Logger: r.o.Logger}}
	}
	for _, s := range r.sinks {
		if l, ok := s.(dirty.Locator); ok {
			r.where = append(r.where, l.Location())
		}
	}
	r.counter = dirty.NewCounter(r.o.Dirty, r.where...)
	return r
}

func (r *run) setPlan(pl *Plan) {
	r.splits = pl.Splits
	r.states = make([]splitState, len(pl.Splits))
	r.index = make(map[string]int, len(pl.Splits))
	for i, s := range pl.Splits {
		r.states[i].ID = s.ID
		r.index[s.ID] = i
	}
	r.setPlanTotals(pl)
}

func (r *run) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, s)
}
