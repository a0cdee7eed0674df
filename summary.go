package ferry

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Summary is the account of one run. Run returns it whether the run
// succeeded or not.
type Summary struct {
	// RunID is the run's ID; a resumed run keeps the ID it was planned with.
	RunID   string        `json:"run_id,omitempty"`
	Start   time.Time     `json:"start"`
	End     time.Time     `json:"end"`
	Elapsed time.Duration `json:"-"`

	Concurrency int `json:"concurrency"`
	SplitsTotal int `json:"splits_total"`
	SplitsDone  int `json:"splits_done"`

	RowsRead     int64 `json:"rows_read"`
	RowsWritten  int64 `json:"rows_written"`
	RowsFiltered int64 `json:"rows_filtered"`
	RowsDirty    int64 `json:"rows_dirty"`
	BytesRead    int64 `json:"bytes_read"`
	BytesWritten int64 `json:"bytes_written"`
	Retries      int64 `json:"retries"`

	// RowsPerSecond and MBPerSecond count written rows and bytes over Elapsed.
	RowsPerSecond float64 `json:"rows_per_second"`
	MBPerSecond   float64 `json:"mb_per_second"`

	// ReadTime and WriteTime are the time workers spent inside the reader
	// (Next) and the writer (Write), summed over workers. WaitOnReader is
	// the time writers sat idle waiting for a batch; WaitOnWriter the time
	// readers sat blocked because the writer was behind.
	ReadTime     time.Duration `json:"-"`
	WriteTime    time.Duration `json:"-"`
	WaitOnReader time.Duration `json:"-"`
	WaitOnWriter time.Duration `json:"-"`

	// DirtyByReason counts dirty rows by their reason (cut to 100 bytes).
	DirtyByReason map[string]int64 `json:"dirty_by_reason,omitempty"`
	// DirtyWrittenTo lists where dirty rows were written.
	DirtyWrittenTo []string `json:"dirty_written_to,omitempty"`

	Splits []SplitSummary `json:"splits"`

	// Resumed reports a run that Resume finished; SplitsSkipped and
	// RowsSkipped count the splits it found done in the destination (and
	// their rows, as the markers recorded them) and did not copy again.
	Resumed       bool  `json:"resumed,omitempty"`
	SplitsSkipped int   `json:"splits_skipped,omitempty"`
	RowsSkipped   int64 `json:"rows_skipped,omitempty"`

	// Notes are things the run wants the reader of the report to know (the
	// consistency a resumed read gives, say).
	Notes []string `json:"notes,omitempty"`
	// Outputs name what the committed run wrote, when the writer says
	// (an OutputReporter: the files of a file writer).
	Outputs []string `json:"outputs,omitempty"`

	// Checks are the verdicts of the data-quality checks.
	Checks []CheckResult `json:"checks,omitempty"`

	// Passthrough reports a run whose reader handed the writer its rows in
	// their wire encoding (see PassthroughWriter): nothing was decoded into
	// Arrow arrays except rows whose values a dirty record needed. Bytes
	// then count the wire encoding.
	Passthrough bool `json:"passthrough,omitempty"`

	// Committed reports whether the writer committed.
	Committed bool `json:"committed"`
	// Error is the run's error text, if it failed.
	Error string `json:"error,omitempty"`
}

// SplitSummary is the account of one split: of the attempt that finished it,
// or of the last failed attempt.
type SplitSummary struct {
	ID           string        `json:"id"`
	RowsRead     int64         `json:"rows_read"`
	RowsWritten  int64         `json:"rows_written"`
	RowsDirty    int64         `json:"rows_dirty"`
	RowsFiltered int64         `json:"rows_filtered,omitempty"`
	BytesRead    int64         `json:"bytes_read,omitempty"`
	BytesWritten int64         `json:"bytes_written,omitempty"`
	Attempts     int           `json:"attempts"`
	Elapsed      time.Duration `json:"-"`
	Done         bool          `json:"done"`
	// Skipped reports a split that a resumed run found already done in the
	// destination and did not copy again.
	Skipped bool `json:"skipped,omitempty"`
	// Checks holds the split's state of each data-quality check, by name.
	Checks map[string]json.RawMessage `json:"checks,omitempty"`
}

// MarshalJSON writes durations as seconds.
func (s SplitSummary) MarshalJSON() ([]byte, error) {
	type plain SplitSummary
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}{plain(s), s.Elapsed.Seconds()})
}

// MarshalJSON writes durations as seconds.
func (s *Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	return json.Marshal(struct {
		*plain
		ElapsedSeconds      float64 `json:"elapsed_seconds"`
		ReadSeconds         float64 `json:"read_seconds"`
		WriteSeconds        float64 `json:"write_seconds"`
		WaitOnReaderSeconds float64 `json:"wait_on_reader_seconds"`
		WaitOnWriterSeconds float64 `json:"wait_on_writer_seconds"`
	}{(*plain)(s), s.Elapsed.Seconds(), s.ReadTime.Seconds(), s.WriteTime.Seconds(), s.WaitOnReader.Seconds(), s.WaitOnWriter.Seconds()})
}

// Report returns the human-readable report of the run, in the spirit of the
// one DataX prints at the end, with rows/s counting written rows.
func (s *Summary) Report() string {
	var b strings.Builder
	status := "succeeded"
	if s.Error != "" {
		status = "FAILED"
	}
	fmt.Fprintf(&b, "Ferry run %s\n", status)
	fmt.Fprintf(&b, "  %-22s %s\n", "start", s.Start.Format(time.RFC3339))
	fmt.Fprintf(&b, "  %-22s %s\n", "end", s.End.Format(time.RFC3339))
	fmt.Fprintf(&b, "  %-22s %s\n", "elapsed", s.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "  %-22s %d of %d (workers: %d)\n", "splits done", s.SplitsDone, s.SplitsTotal, s.Concurrency)
	fmt.Fprintf(&b, "  %-22s %d\n", "rows read", s.RowsRead)
	fmt.Fprintf(&b, "  %-22s %d\n", "rows written", s.RowsWritten)
	fmt.Fprintf(&b, "  %-22s %d\n", "rows filtered", s.RowsFiltered)
	fmt.Fprintf(&b, "  %-22s %d\n", "rows dirty", s.RowsDirty)
	fmt.Fprintf(&b, "  %-22s %s read, %s written\n", "bytes", humanBytes(s.BytesRead), humanBytes(s.BytesWritten))
	if s.Passthrough {
		fmt.Fprintf(&b, "  %-22s %s\n", "passthrough", "rows copied in the source's wire encoding, not decoded")
	}
	fmt.Fprintf(&b, "  %-22s %.0f rows/s, %.2f MB/s\n", "throughput (written)", s.RowsPerSecond, s.MBPerSecond)
	fmt.Fprintf(&b, "  %-22s reading %s, writing %s\n", "busy (all workers)", s.ReadTime.Round(time.Millisecond), s.WriteTime.Round(time.Millisecond))
	fmt.Fprintf(&b, "  %-22s on reader %s, on writer %s\n", "waiting", s.WaitOnReader.Round(time.Millisecond), s.WaitOnWriter.Round(time.Millisecond))
	if s.Retries > 0 {
		fmt.Fprintf(&b, "  %-22s %d\n", "retries", s.Retries)
	}
	for _, c := range s.Checks {
		verdict := "passed"
		switch {
		case !c.Passed && c.Blocking:
			verdict = "FAILED (blocking)"
		case !c.Passed:
			verdict = "failed (warning)"
		}
		line := fmt.Sprintf("%s %s", c.Name, verdict)
		if c.Detail != "" {
			line += ": " + c.Detail
		}
		fmt.Fprintf(&b, "  %-22s %s\n", "check", line)
	}
	if s.Resumed {
		fmt.Fprintf(&b, "  %-22s %d splits, %d rows (done before the resume)\n", "skipped", s.SplitsSkipped, s.RowsSkipped)
	}
	fmt.Fprintf(&b, "  %-22s %v\n", "committed", s.Committed)
	for _, o := range s.Outputs {
		fmt.Fprintf(&b, "  %-22s %s\n", "output", o)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "  %-22s %s\n", "note", n)
	}
	if len(s.DirtyByReason) > 0 {
		b.WriteString("  dirty rows by reason:\n")
		reasons := make([]string, 0, len(s.DirtyByReason))
		for r := range s.DirtyByReason {
			reasons = append(reasons, r)
		}
		slices.SortFunc(reasons, func(x, y string) int {
			if c := cmp.Compare(s.DirtyByReason[y], s.DirtyByReason[x]); c != 0 {
				return c
			}
			return strings.Compare(x, y)
		})
		for _, r := range reasons {
			fmt.Fprintf(&b, "    %8d  %s\n", s.DirtyByReason[r], r)
		}
	}
	if len(s.DirtyWrittenTo) > 0 && s.RowsDirty > 0 {
		fmt.Fprintf(&b, "  %-22s %s\n", "dirty rows written to", strings.Join(s.DirtyWrittenTo, ", "))
	}
	if len(s.Splits) > 1 && len(s.Splits) <= 64 {
		b.WriteString("  splits:\n")
		for _, sp := range s.Splits {
			fmt.Fprintf(&b, "    %-40s %10d rows %8s", sp.ID, sp.RowsWritten, sp.Elapsed.Round(time.Millisecond))
			if sp.RowsDirty > 0 {
				fmt.Fprintf(&b, "  %d dirty", sp.RowsDirty)
			}
			if sp.Attempts > 1 {
				fmt.Fprintf(&b, "  %d attempts", sp.Attempts)
			}
			b.WriteByte('\n')
		}
	}
	if s.Error != "" {
		fmt.Fprintf(&b, "  %-22s %s\n", "error", oneLine(s.Error))
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// oneLine joins the lines of a multi-line message with "; ".
func oneLine(msg string) string {
	if !strings.Contains(msg, "\n") {
		return msg
	}
	var parts []string
	for l := range strings.SplitSeq(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}
