package fileset

import (
	"fmt"
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

// TestFastDate32: the integer path of parseDate32 gives what the
// time.Date path gives, for every day of years around the leap rules and
// for invalid days, and leaves the rest to it.
func TestFastDate32(t *testing.T) {
	for _, y := range []int{0, 1, 4, 100, 400, 1600, 1899, 1900, 1969, 1970, 1971, 2000, 2024, 2100, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 0; d <= 32; d++ {
				s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				got, ok := fastDate32(s)
				want, err := parseDate(s)
				if (err == nil) != ok {
					t.Fatalf("%s: fast ok %v, slow err %v", s, ok, err)
				}
				if ok && got != arrow.Date32FromTime(want) {
					t.Fatalf("%s: fast %d, slow %d", s, got, arrow.Date32FromTime(want))
				}
			}
		}
	}
	for _, s := range []string{" 2024-01-02", "2024-1-02", "2024/01/02", "+024-01-02", "2024-01-0x", ""} {
		if _, ok := fastDate32(s); ok {
			t.Errorf("%q: fast path took it", s)
		}
	}
	for _, s := range []string{"true", "false", " TRUE ", "f", "1", "off"} {
		want := map[string]bool{"true": true, " TRUE ": true, "1": true}[s]
		if got, err := parseBoolValue(s); err != nil || got != want {
			t.Errorf("%q: %v, %v", s, got, err)
		}
	}
}
