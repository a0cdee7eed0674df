package fileset

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// TestFastTextForms checks the formatter-free text forms against what
// they replace: UTC timestamps against their RFC 3339 layout, UUIDs
// against uuid.UUID.String.
func TestFastTextForms(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, unit := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
		dt := &arrow.TimestampType{Unit: unit, TimeZone: "UTC"}
		b := array.NewTimestampBuilder(mem, dt)
		var want []string
		for _, tm := range []time.Time{
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
			time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 120000000, time.UTC),
			time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
			time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // the layout's path
		} {
			ts, err := arrow.TimestampFromTime(tm, unit)
			if err != nil {
				continue
			}
			b.Append(ts)
			want = append(want, ts.ToTime(unit).Format("2006-01-02T15:04:05"+fracLayout(unit)+"Z07:00"))
		}
		a := b.NewArray()
		for i, w := range want {
			if got := string(AppendText(nil, a, i)); got != w {
				t.Errorf("%s row %d: got %s, want %s", dt, i, got, w)
			}
		}
		a.Release()
		b.Release()
	}
	ub := extensions.NewUUIDBuilder(mem)
	defer ub.Release()
	ids := []uuid.UUID{uuid.Nil, uuid.MustParse("550e8400-e29b-41d4-a716-446655440000"), uuid.Max}
	for _, id := range ids {
		ub.Append(id)
	}
	ua := ub.NewArray()
	defer ua.Release()
	for i, id := range ids {
		if got := string(AppendText(nil, ua, i)); got != id.String() {
			t.Errorf("uuid %d: got %s, want %s", i, got, id)
		}
	}
}
