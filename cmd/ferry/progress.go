package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/ferrydata/ferry"
)

// The --progress modes.
const (
	progressAuto   = "auto"   // the live line when stderr is a terminal, else nothing
	progressAlways = "always" // the live line on a terminal, plain lines elsewhere
	progressPlain  = "plain"  // plain lines, also on a terminal
	progressNever  = "never"
)

// defaultProgressInterval is how often plain progress lines are printed.
const defaultProgressInterval = 10 * time.Second

// progressFlag registers --progress and --progress-interval on fs.
func progressFlag(fs *flag.FlagSet, mode *string, every *time.Duration) {
	fs.StringVar(mode, "progress", progressAuto, "progress on stderr: auto (a live line when stderr is a terminal), always (also plain lines when it is not), plain (plain lines only), never")
	fs.DurationVar(every, "progress-interval", defaultProgressInterval, "how often a plain progress line is printed")
}

// checkProgress reports bad --progress and --progress-interval values (a
// usage error, before anything connects).
func checkProgress(mode string, every time.Duration) error {
	switch mode {
	case progressAuto, progressAlways, progressPlain, progressNever:
	default:
		return fmt.Errorf("--progress %q: want auto, always, plain or never", mode)
	}
	if every <= 0 {
		return fmt.Errorf("--progress-interval %s: want a positive duration such as 10s", every)
	}
	return nil
}

// newProgress returns the Options.Progress function that shows a run's
// progress on w in the given mode, or nil for none: a live line redrawn in
// place when w is a terminal (fitted to its width), plain lines every
// interval otherwise, without any escape code.
func newProgress(mode string, every time.Duration, w io.Writer) func(ferry.Progress) {
	tty := isTerminal(w)
	switch {
	case mode == progressNever, mode == progressAuto && !tty:
		return nil
	case mode == progressPlain, !tty:
		return (&plainProgress{w: w, every: every, now: time.Now}).show
	}
	return (&liveProgress{w: w}).show
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// plainProgress prints DataX-style status lines: one at each change of
// phase, one every interval of the run's elapsed time, and the final one.
type plainProgress struct {
	w       io.Writer
	every   time.Duration
	now     func() time.Time
	printed bool
	phase   ferry.Phase
	last    time.Duration
}

func (d *plainProgress) show(p ferry.Progress) {
	if d.printed && !p.Final && p.Phase == d.phase && p.Elapsed-d.last < d.every {
		return
	}
	d.printed, d.phase, d.last = !p.Final, p.Phase, p.Elapsed // a next run starts afresh
	fmt.Fprintln(d.w, plainLine(d.now(), p))
}

// plainLine formats p as one plain line, stamped with now.
func plainLine(now time.Time, p ferry.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s ferry: %s", now.UTC().Format(time.RFC3339), p.Phase)
	if pc, ok := p.Percent(); ok {
		fmt.Fprintf(&b, " %.1f%%", pc)
	}
	fmt.Fprintf(&b, " | %s rows", thousands(p.RowsRead))
	if p.RowsTotal > 0 && !p.Final {
		fmt.Fprintf(&b, " of %s%s", approx(p), thousands(p.RowsTotal))
	}
	fmt.Fprintf(&b, ", %d of %d splits", p.SplitsDone, p.SplitsTotal)
	sep := " |"
	if p.Phase == ferry.PhaseCopying {
		fmt.Fprintf(&b, " | %s rows/s now", thousands(int64(p.CurrentRowsPerSecond)))
		sep = ","
	}
	fmt.Fprintf(&b, "%s %s rows/s avg", sep, thousands(int64(p.RowsPerSecond)))
	if eta, ok := p.ETA(); ok {
		fmt.Fprintf(&b, " | ETA %s", roundDuration(eta))
	}
	fmt.Fprintf(&b, " | elapsed %s | %s rows written, %s dirty", roundDuration(p.Elapsed), thousands(p.RowsWritten), thousands(p.RowsDirty))
	return b.String()
}

// liveProgress draws the run's progress on one terminal line with mpb,
// redrawn at every event. The fields that do not fit the terminal's width
// are dropped, least useful first, so the line never wraps.
type liveProgress struct {
	w    io.Writer
	last atomic.Pointer[ferry.Progress]
	p    *mpb.Progress
	bar  *mpb.Bar
	draw chan any
}

const (
	liveBarWidth = 30 // the bar's width when there is room
	liveBarMin   = 10 // below this the bar is dropped before any field
)

func (d *liveProgress) show(p ferry.Progress) {
	d.last.Store(&p)
	if d.p == nil {
		d.draw = make(chan any)
		d.p = mpb.New(mpb.WithOutput(d.w), mpb.WithManualRefresh(d.draw), mpb.WithWidth(liveBarWidth))
		d.bar = d.p.New(0, mpb.BarStyle().Lbound("[").Rbound("]"),
			mpb.BarFillerMiddleware(d.fillIfKnown),
			mpb.PrependDecorators(decor.Any(d.head)),
			mpb.AppendDecorators(decor.Any(d.tail)))
	}
	total := p.RowsTotal
	if total > 0 && p.RowsRead > total {
		total = p.RowsRead // a low estimate: the bar stays full
	}
	d.bar.SetTotal(total, false)
	d.bar.SetCurrent(p.RowsRead)
	if !p.Final {
		select {
		case d.draw <- struct{}{}: // redraw now
		case <-time.After(time.Second): // mpb gave up (a render error): no hang
		}
		return
	}
	if p.Phase == ferry.PhaseDone {
		d.bar.SetTotal(-1, true)
	} else {
		d.bar.Abort(false)
	}
	d.p.Wait()
	d.p, d.bar = nil, nil // a next run (of a job with several) gets a new line
}

// fillIfKnown draws the bar only when the total is known.
func (d *liveProgress) fillIfKnown(f mpb.BarFiller) mpb.BarFiller {
	return mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
		if p := d.last.Load(); p == nil || p.RowsTotal <= 0 || st.AvailableWidth < liveBarMin {
			return nil
		}
		return f.Fill(w, st)
	})
}

// head is the phase and the percentage.
func (d *liveProgress) head(decor.Statistics) string {
	p := d.last.Load()
	if p == nil {
		return ""
	}
	pc := ""
	if v, ok := p.Percent(); ok {
		pc = fmt.Sprintf("%3d%%", int(v)) // 99.9 is not 100 yet
	}
	return fmt.Sprintf("%-10s %4s", p.Phase, pc)
}

// tail is the rows, the rate, the ETA and the elapsed time, as many as fit
// st.AvailableWidth with room for the bar (or without the bar, when even
// the rows alone would not fit beside it).
func (d *liveProgress) tail(st decor.Statistics) string {
	p := d.last.Load()
	if p == nil {
		return ""
	}
	return fitFields(liveFields(*p), st.AvailableWidth, p.RowsTotal > 0)
}

// liveField is one field of the live line; keep orders dropping (higher
// is dropped first).
type liveField struct {
	text string
	drop int
}

func liveFields(p ferry.Progress) []liveField {
	rows := compact(p.RowsRead)
	if p.RowsTotal > 0 && !p.Final {
		rows += "/" + approx(p) + compact(p.RowsTotal)
	}
	fs := []liveField{{rows + " rows", 0}}
	if p.Final {
		fs = append(fs, liveField{compact(int64(p.RowsPerSecond)) + " rows/s avg", 2})
	} else if p.Phase == ferry.PhaseCopying {
		fs = append(fs, liveField{compact(int64(p.CurrentRowsPerSecond)) + " rows/s", 2})
	}
	if eta, ok := p.ETA(); ok {
		fs = append(fs, liveField{"ETA " + roundDuration(eta), 1})
	}
	fs = append(fs, liveField{"elapsed " + roundDuration(p.Elapsed), 3})
	if p.RowsDirty > 0 {
		fs = append(fs, liveField{compact(p.RowsDirty) + " dirty", 4})
	}
	return fs
}

// fitFields joins the fields that fit width, leaving room for the bar
// when withBar: the highest drop first, then the bar, then more fields.
func fitFields(fs []liveField, width int, withBar bool) string {
	room := width
	if withBar {
		room -= liveBarMin + 2
	}
	for {
		s := joinFields(fs)
		if runewidth.StringWidth(s) <= room {
			return s
		}
		if len(fs) == 1 {
			if withBar {
				withBar, room = false, width
				continue
			}
			return runewidth.Truncate(s, max(room, 0), "")
		}
		worst := 0
		for i, f := range fs {
			if f.drop > fs[worst].drop {
				worst = i
			}
		}
		fs = append(fs[:worst:worst], fs[worst+1:]...)
	}
}

func joinFields(fs []liveField) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.text
	}
	return strings.Join(parts, "  ")
}

// approx is "~" before an estimated total.
func approx(p ferry.Progress) string {
	if p.RowsTotalExact {
		return ""
	}
	return "~"
}

// compact formats n in at most 6 characters: 999, 12.3k, 4.56M, 7.89G.
func compact(n int64) string {
	f := float64(n)
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", f/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", f/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fk", f/1e3)
	}
	return fmt.Sprint(n)
}

// thousands formats n with comma separators: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// roundDuration rounds d to the second (to the tenth below 10 s).
func roundDuration(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
