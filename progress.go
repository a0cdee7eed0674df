package ferry

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Phase names what a run is doing, in Progress events.
type Phase string

// The phases of a run, in the order they happen. Checks run before the
// commit, or inside it for a CheckedCommitter (committing, checking,
// committing again).
const (
	PhasePlanning   Phase = "planning"   // schema, splits, estimate, preparing the writer
	PhaseCopying    Phase = "copying"    // splits are being copied
	PhaseChecking   Phase = "checking"   // data-quality checks on the staged rows
	PhaseCommitting Phase = "committing" // flushing, commit, swap or rename
	PhaseDone       Phase = "done"       // the final event of a run that succeeded
	PhaseFailed     Phase = "failed"     // the final event of a run that failed
)

// RateWindow is the span over which Progress.CurrentRowsPerSecond is
// measured.
const RateWindow = 5 * time.Second

// Progress is a snapshot of a running pipeline. Options.Progress receives
// one every Options.ProgressInterval, one at every change of Phase, and a
// Final one at the end.
type Progress struct {
	// Phase is what the run is doing.
	Phase         Phase
	Elapsed       time.Duration
	SplitsDone    int
	SplitsTotal   int
	SplitsSkipped int // splits a resumed run found done (counted in SplitsDone)
	RowsRead      int64
	RowsWritten   int64
	RowsDirty     int64
	RowsSkipped   int64 // rows of the skipped splits (counted in RowsWritten)
	BytesWritten  int64
	// RowsTotal is the source's size in rows from the reader's Estimate (see
	// Estimator), 0 when unknown; RowsTotalExact reports a count rather
	// than an estimate. The final event of a run that succeeded has the
	// rows read, exactly. BytesTotal is the Estimate's Bytes.
	RowsTotal      int64
	RowsTotalExact bool
	BytesTotal     int64
	// RowsPerSecond is the average of rows written per second since the
	// start; CurrentRowsPerSecond is the rate of rows read over the last
	// RateWindow while copying (0 in the other phases).
	RowsPerSecond        float64
	CurrentRowsPerSecond float64
	// Final is true for the last event of a run.
	Final bool
}

// Percent returns how much of the source was read, in percent, when the
// total is known. It stays below 100 until the run is done, also when an
// estimate proved low.
func (p Progress) Percent() (float64, bool) {
	if p.Phase == PhaseDone {
		return 100, true
	}
	if p.RowsTotal <= 0 {
		return 0, false
	}
	pc := 100 * float64(p.RowsRead) / float64(p.RowsTotal)
	return min(pc, 99.9), true
}

// ETA returns the estimated time left to read the rest of the source at
// the current rate, when the total and the rate are known.
func (p Progress) ETA() (time.Duration, bool) {
	if p.Phase != PhaseCopying || p.RowsTotal <= 0 || p.CurrentRowsPerSecond <= 0 || p.RowsRead > p.RowsTotal {
		return 0, false
	}
	left := float64(p.RowsTotal-p.RowsRead) / p.CurrentRowsPerSecond
	return time.Duration(left * float64(time.Second)), true
}

// String formats p as a one-line status.
func (p Progress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", p.Phase, p.Elapsed.Round(time.Second))
	if pc, ok := p.Percent(); ok {
		fmt.Fprintf(&b, "  %.1f%%", pc)
	}
	fmt.Fprintf(&b, "  splits %d/%d  read %d", p.SplitsDone, p.SplitsTotal, p.RowsRead)
	if p.RowsTotal > 0 {
		approx := "~"
		if p.RowsTotalExact {
			approx = ""
		}
		fmt.Fprintf(&b, " of %s%d", approx, p.RowsTotal)
	}
	fmt.Fprintf(&b, "  written %d  dirty %d  %.0f rows/s (avg %.0f)  %s",
		p.RowsWritten, p.RowsDirty, p.CurrentRowsPerSecond, p.RowsPerSecond, humanBytes(p.BytesWritten))
	if eta, ok := p.ETA(); ok {
		fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

func (r *run) snapshot(ph Phase, el time.Duration, final bool) Progress {
	p := Progress{
		Phase:          ph,
		Elapsed:        el,
		SplitsDone:     int(r.splitsDone.Load()),
		SplitsTotal:    int(r.splitsTotal.Load()),
		SplitsSkipped:  int(r.splitsSkipped.Load()),
		RowsRead:       r.rowsRead.Load(),
		RowsWritten:    r.rowsWritten.Load(),
		RowsDirty:      r.rowsDirty.Load(),
		RowsSkipped:    r.rowsSkipped.Load(),
		BytesWritten:   r.bytesWritten.Load(),
		RowsTotal:      r.rowsTotal.Load(),
		RowsTotalExact: r.totalExact.Load(),
		BytesTotal:     r.bytesTotal.Load(),
		Final:          final,
	}
	if final && ph == PhaseDone {
		p.RowsTotal, p.RowsTotalExact = p.RowsRead, true
	}
	if s := el.Seconds(); s > 0 {
		p.RowsPerSecond = float64(p.RowsWritten) / s
	}
	return p
}

// setPlanTotals records the plan's size for the progress events.
func (r *run) setPlanTotals(pl *Plan) {
	r.splitsTotal.Store(int64(len(pl.Splits)))
	if e := pl.Estimate; e != nil {
		r.rowsTotal.Store(max(e.Rows, 0))
		r.bytesTotal.Store(max(e.Bytes, 0))
		r.totalExact.Store(e.Exact && e.Rows > 0)
	}
}

// estimate asks an Estimator reader for the source's size; nil when it is
// not one or does not know. An estimate never fails a run.
func (p *Pipeline) estimate(ctx context.Context) *Estimate {
	e, ok := p.r.(Estimator)
	if !ok {
		return nil
	}
	est, err := e.Estimate(ctx)
	if err != nil {
		p.opts.Logger.DebugContext(ctx, "ferry: no size estimate", "err", err)
		return nil
	}
	if est.Rows <= 0 && est.Bytes <= 0 {
		return nil
	}
	est.Rows, est.Bytes = max(est.Rows, 0), max(est.Bytes, 0)
	est.Exact = est.Exact && est.Rows > 0
	return &est
}

// setPhase records the run's phase; a change is reported at once.
func (r *run) setPhase(ph Phase) {
	if old, _ := r.phase.Swap(ph).(Phase); old == ph {
		return
	}
	select {
	case r.phaseCh <- ph:
	default: // a burst of changes: the ticks report the latest
	}
}

func (r *run) currentPhase() Phase {
	ph, _ := r.phase.Load().(Phase)
	return ph
}

// progressLoop is the state of the goroutine that emits progress events.
type progressLoop struct {
	quit, done chan struct{}
	ended      bool
}

// beginProgress starts emitting progress events, unless they are emitted
// already or nobody listens. Events go on until endProgress.
func (r *run) beginProgress() {
	if r.o.Progress == nil {
		return
	}
	r.progMu.Lock()
	defer r.progMu.Unlock()
	if r.prog != nil {
		return
	}
	start := r.start
	if start.IsZero() {
		start = time.Now()
	}
	l := &progressLoop{quit: make(chan struct{}), done: make(chan struct{})}
	r.prog = l
	go r.emitProgress(l, start)
}

// endProgress stops the events with a Final one in phase final. It is
// idempotent.
func (r *run) endProgress(final Phase) {
	r.progMu.Lock()
	defer r.progMu.Unlock()
	l := r.prog
	if l == nil || l.ended {
		return
	}
	l.ended = true
	r.phase.Store(final)
	close(l.quit)
	<-l.done
}

func (r *run) emitProgress(l *progressLoop, start time.Time) {
	defer close(l.done)
	t := time.NewTicker(r.o.ProgressInterval)
	defer t.Stop()
	var w rateWindow
	emit := func(ph Phase, final bool) {
		p := r.snapshot(ph, time.Since(start), final)
		p.CurrentRowsPerSecond = w.add(ph, p.Elapsed, p.RowsRead)
		r.o.Progress(p)
	}
	// drain reports the phase changes not reported yet, in order.
	drain := func() {
		for {
			select {
			case ph := <-r.phaseCh:
				emit(ph, false)
			default:
				return
			}
		}
	}
	for {
		select {
		case ph := <-r.phaseCh:
			emit(ph, false)
		case <-t.C:
			drain()
			emit(r.currentPhase(), false)
		case <-l.quit:
			drain()
			emit(r.currentPhase(), true)
			return
		}
	}
}

// rateWindow measures the rate of rows read over the last RateWindow of a
// phase, from the samples of the progress events.
type rateWindow struct {
	phase   Phase
	samples []rateSample
}

type rateSample struct {
	at   time.Duration
	rows int64
}

// add records that rows were read at elapsed time at, in phase ph, and
// returns the current rate: 0 outside PhaseCopying and until two samples
// of the phase are apart.
func (w *rateWindow) add(ph Phase, at time.Duration, rows int64) float64 {
	if ph != w.phase {
		w.phase, w.samples = ph, w.samples[:0]
	}
	w.samples = append(w.samples, rateSample{at, rows})
	// Keep one sample at or before the window's start as its base.
	for len(w.samples) > 2 && w.samples[1].at <= at-RateWindow {
		w.samples = w.samples[1:]
	}
	if ph != PhaseCopying {
		return 0
	}
	first := w.samples[0]
	d := at - first.at
	if d <= 0 {
		return 0
	}
	return float64(rows-first.rows) / d.Seconds()
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
		Passthrough:    r.passthrough.Load(),
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

// finalPhase is the phase of the final event of a run that ended with err.
func finalPhase(err error) Phase {
	if err != nil {
		return PhaseFailed
	}
	return PhaseDone
}
