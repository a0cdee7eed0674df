package cursor

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
)

// Tracker is the ferry.Check that follows the largest cursor tuple written
// in a run. Add it to Options.Checks; after the run committed, Result gives
// the state to save. It never fails a run.
type Tracker struct {
	spec  Spec
	prev  []Value
	idx   []int
	kinds []Kind

	mu  sync.Mutex
	max []Value
}

var _ ferry.Check = (*Tracker)(nil)

// NewTracker returns a Tracker for spec; prev is the saved state the run
// started from (nil on the first run), kept when the run writes no row.
func NewTracker(spec Spec, prev []Value) *Tracker { return &Tracker{spec: spec, prev: prev} }

// Name is "cursor".
func (t *Tracker) Name() string { return "cursor" }

// Begin finds the cursor columns and checks their types.
func (t *Tracker) Begin(s *arrow.Schema) error {
	if err := t.spec.Check(); err != nil {
		return err
	}
	t.idx, t.kinds = nil, nil
	for _, c := range t.spec.Columns {
		ix := s.FieldIndices(c)
		if len(ix) == 0 {
			return fmt.Errorf("cursor: column %s is not among the columns written (%s)", c, fieldNames(s))
		}
		k, err := kindOf(c, s.Field(ix[0]).Type)
		if err != nil {
			return err
		}
		t.idx, t.kinds = append(t.idx, ix[0]), append(t.kinds, k)
	}
	for i, v := range t.prev {
		if i < len(t.kinds) && v.Kind != t.kinds[i] {
			return fmt.Errorf("cursor: the saved value of %s is a %s, the column is now a %s: reset the state", v.Column, v.Kind, t.kinds[i])
		}
	}
	return nil
}

func fieldNames(s *arrow.Schema) string {
	var n []string
	for _, f := range s.Fields() {
		n = append(n, f.Name)
	}
	return strings.Join(n, ", ")
}

// NewSplit returns the largest-tuple state of one split attempt.
func (t *Tracker) NewSplit() ferry.SplitCheck { return &splitMax{t: t} }

// Merge folds a finished split's largest tuple in.
func (t *Tracker) Merge(state json.RawMessage) error {
	var tuple []Value
	if err := json.Unmarshal(state, &tuple); err != nil {
		return fmt.Errorf("cursor: split state: %w", err)
	}
	if tuple == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.max == nil || compareTuples(tuple, t.max) > 0 {
		t.max = tuple
	}
	return nil
}

// Verify reports the new cursor; it always passes.
func (t *Tracker) Verify(ctx context.Context, in ferry.CheckInput) ferry.CheckResult {
	res := ferry.CheckResult{Passed: true}
	if r := t.Result(); r != nil {
		var parts []string
		for _, v := range r {
			parts = append(parts, v.Column+"="+v.Text)
		}
		res.Detail = "new cursor " + strings.Join(parts, ", ")
		if in.UncheckedSplits > 0 {
			res.Detail += fmt.Sprintf(" (%d splits done before a resume are not counted)", in.UncheckedSplits)
		}
	} else {
		res.Detail = "no rows: the cursor stays"
	}
	return res
}

// Result returns the largest tuple written, or the saved one when the run
// wrote no row (nil on a first run that wrote nothing).
func (t *Tracker) Result() []Value {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.max == nil {
		return t.prev
	}
	if t.prev != nil && compareTuples(t.prev, t.max) > 0 && t.spec.Lookback > 0 {
		return t.prev // a lookback window never moves the cursor back
	}
	return t.max
}

// splitMax is the largest tuple of one split attempt.
type splitMax struct {
	t   *Tracker
	max []Value
}

func (s *splitMax) Observe(b arrow.RecordBatch, rejected []int) {
	t := s.t
	cols := make([]arrow.Array, len(t.idx))
	for i, ix := range t.idx {
		cols[i] = b.Column(ix)
	}
	skip := map[int]bool{}
	for _, r := range rejected {
		skip[r] = true
	}
	best := -1
	for row := 0; row < int(b.NumRows()); row++ {
		if skip[row] || anyNull(cols, row) {
			continue
		}
		if best < 0 || cmpRows(cols, row, best) > 0 {
			best = row
		}
	}
	if best < 0 {
		return
	}
	tuple := make([]Value, len(cols))
	for i, a := range cols {
		tuple[i] = Value{Column: t.spec.Columns[i], Kind: t.kinds[i], Text: text(a, best)}
	}
	if s.max == nil || compareTuples(tuple, s.max) > 0 {
		s.max = tuple
	}
}

func (s *splitMax) State() json.RawMessage { return marshalTuple(s.max) }

func anyNull(cols []arrow.Array, row int) bool {
	for _, a := range cols {
		if a.IsNull(row) {
			return true
		}
	}
	return false
}

// cmpRows compares rows i and j of the cursor columns, in their Arrow types.
func cmpRows(cols []arrow.Array, i, j int) int {
	for _, a := range cols {
		if c := cmpAt(a, i, j); c != 0 {
			return c
		}
	}
	return 0
}

func cmp3[T int64 | uint64 | int32](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpAt(a arrow.Array, i, j int) int {
	switch a := a.(type) {
	case *array.Int8:
		return cmp3(int64(a.Value(i)), int64(a.Value(j)))
	case *array.Int16:
		return cmp3(int64(a.Value(i)), int64(a.Value(j)))
	case *array.Int32:
		return cmp3(int64(a.Value(i)), int64(a.Value(j)))
	case *array.Int64:
		return cmp3(a.Value(i), a.Value(j))
	case *array.Uint8:
		return cmp3(uint64(a.Value(i)), uint64(a.Value(j)))
	case *array.Uint16:
		return cmp3(uint64(a.Value(i)), uint64(a.Value(j)))
	case *array.Uint32:
		return cmp3(uint64(a.Value(i)), uint64(a.Value(j)))
	case *array.Uint64:
		return cmp3(a.Value(i), a.Value(j))
	case *array.Decimal128:
		return a.Value(i).Cmp(a.Value(j))
	case *array.Decimal256:
		return a.Value(i).Cmp(a.Value(j))
	case *array.Date32:
		return cmp3(int32(a.Value(i)), int32(a.Value(j)))
	case *array.Date64:
		return cmp3(int64(a.Value(i)), int64(a.Value(j)))
	case *array.Timestamp:
		return cmp3(int64(a.Value(i)), int64(a.Value(j)))
	}
	return 0
}

// text formats row i of a as a Value text.
func text(a arrow.Array, i int) string {
	switch a := a.(type) {
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale)
	case *array.Date32:
		return a.Value(i).ToTime().Format(dateLayout)
	case *array.Date64:
		return a.Value(i).ToTime().Format(dateLayout)
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		t := a.Value(i).ToTime(tt.Unit)
		if tt.TimeZone == "" {
			return t.Format(timestampLayout)
		}
		return t.UTC().Format(instantLayout)
	}
	return ""
}

// State is a saved cursor: what the last committed run reached.
type State struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Key     string    `json:"key"`
	Values  []Value   `json:"values"`
	RunID   string    `json:"run_id,omitempty"`
	Updated time.Time `json:"updated"`
}
