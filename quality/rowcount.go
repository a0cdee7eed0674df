package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// RowCountSpec bounds a run's written rows. Its zero value checks only that
// rows written equal rows read minus filtered and dirty.
type RowCountSpec struct {
	// Min and Max bound the rows written; 0 means no bound.
	Min, Max int64
	// MinRatio and MaxRatio bound the rows written as a ratio of the
	// previous run's (0.5 = at least half); 0 means no bound. They need
	// Previous.
	MinRatio, MaxRatio float64
	// MinArrived bounds the rows written as a fraction of the rows read
	// minus those filtered out (0.99 = at least 99% of the source's rows
	// arrive; the rest were dirty); 0 means no bound.
	MinArrived float64
	// Previous returns the previous successful run's written rows, and
	// false when there is none (the ratio is then not checked). The CLI
	// fills it from the run history (history.Store.PreviousRows).
	Previous func(ctx context.Context) (rows int64, ok bool, err error)
}

// RowCountCheck is the rule made by RowCount.
type RowCountCheck struct {
	base
	spec RowCountSpec
}

var _ ferry.Check = (*RowCountCheck)(nil)

// RowCount returns the row-count rule.
func RowCount(sev Severity, spec RowCountSpec) *RowCountCheck {
	return &RowCountCheck{base: base{name: "row_count", severity: sev}, spec: spec}
}

// Begin checks the spec.
func (c *RowCountCheck) Begin(*arrow.Schema) error {
	s := c.spec
	if s.Min < 0 || s.Max < 0 || s.MinRatio < 0 || s.MaxRatio < 0 || s.MinArrived < 0 {
		return fmt.Errorf("quality: %s: bounds must not be negative", c.name)
	}
	if s.MinArrived > 1 {
		return fmt.Errorf("quality: %s: min_arrived %g is over 1 (it is a fraction of the rows read)", c.name, s.MinArrived)
	}
	if s.Max > 0 && s.Min > s.Max {
		return fmt.Errorf("quality: %s: min %d is over max %d", c.name, s.Min, s.Max)
	}
	if s.MaxRatio > 0 && s.MinRatio > s.MaxRatio {
		return fmt.Errorf("quality: %s: min_ratio %g is over max_ratio %g", c.name, s.MinRatio, s.MaxRatio)
	}
	if (s.MinRatio > 0 || s.MaxRatio > 0) && s.Previous == nil {
		return fmt.Errorf("quality: %s: a ratio needs the previous run's count (run history is off?)", c.name)
	}
	return nil
}

// NewSplit returns nil: the rule needs the run's counts only.
func (c *RowCountCheck) NewSplit() ferry.SplitCheck { return nil }

// Merge is never called (no split state).
func (c *RowCountCheck) Merge(json.RawMessage) error { return nil }

// Verify checks the counts.
func (c *RowCountCheck) Verify(ctx context.Context, in ferry.CheckInput) ferry.CheckResult {
	s := c.spec
	var bad []string
	want := in.RowsRead - in.RowsFiltered - in.RowsDirty
	if in.RowsWritten != want {
		bad = append(bad, fmt.Sprintf("%d rows written, but %d read - %d filtered - %d dirty = %d", in.RowsWritten, in.RowsRead, in.RowsFiltered, in.RowsDirty, want))
	}
	if in.StagedRows >= 0 && in.StagedRows != in.RowsWritten {
		bad = append(bad, fmt.Sprintf("the destination's split markers record %d rows, the run wrote %d", in.StagedRows, in.RowsWritten))
	}
	n := in.RowsWritten
	if s.Min > 0 && n < s.Min {
		bad = append(bad, fmt.Sprintf("%d rows written, fewer than the minimum %d", n, s.Min))
	}
	if s.Max > 0 && n > s.Max {
		bad = append(bad, fmt.Sprintf("%d rows written, more than the maximum %d", n, s.Max))
	}
	if s.MinArrived > 0 {
		if src := in.RowsRead - in.RowsFiltered; src > 0 && float64(n) < s.MinArrived*float64(src) {
			bad = append(bad, fmt.Sprintf("%d rows written of %d read (%.4g%%), under the minimum %g%%", n, src, 100*float64(n)/float64(src), 100*s.MinArrived))
		}
	}
	detail := fmt.Sprintf("%d rows written", n)
	if s.MinRatio > 0 || s.MaxRatio > 0 {
		prev, ok, err := s.Previous(ctx)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("previous run's count: %v", err))
		case !ok:
			detail += "; no previous run, ratio not checked"
		case prev == 0:
			detail += "; the previous run wrote no rows, ratio not checked"
		default:
			r := float64(n) / float64(prev)
			detail += fmt.Sprintf("; %.3g of the previous run's %d", r, prev)
			if s.MinRatio > 0 && r < s.MinRatio {
				bad = append(bad, fmt.Sprintf("%d rows written is %.3g of the previous run's %d, under %g", n, r, prev, s.MinRatio))
			}
			if s.MaxRatio > 0 && r > s.MaxRatio {
				bad = append(bad, fmt.Sprintf("%d rows written is %.3g of the previous run's %d, over %g", n, r, prev, s.MaxRatio))
			}
		}
	}
	if len(bad) > 0 {
		return c.result(false, "%s", strings.Join(bad, "; "))
	}
	return c.result(true, "%s", detail)
}
