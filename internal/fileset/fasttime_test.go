package fileset

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// FuzzFastTime: the fast path of ParseTime gives the instant the layouts
// give, for every text it takes, in UTC and in a zone with DST.
func FuzzFastTime(f *testing.F) {
	for _, s := range []string{
		"2026-01-05 07:36:00.218125Z", "2026-01-05T07:36:00Z", "2026-01-05 07:36:00+00", "2026-01-05 07:36:00.5+05:30",
		"2026-01-05 07:36:00-08", "1999-12-31 23:59:59.999999999-23:59", "2026-02-30 00:00:00Z", "2026-01-05 07:36:00+0530",
		"2026-01-05 07:36:00+05:30:12", "2026-01-05 07:36:00 Z", "2026-01-05 07:36:00.Z", "2026-01-05 24:00:00Z", "2026-03-29 02:30:00",
	} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range []*time.Location{time.UTC, berlin} {
			got, ok := fastTime(s, loc)
			if !ok {
				continue
			}
			var want time.Time
			var err error = errNotString
			for _, l := range tsLayouts {
				if want, err = time.ParseInLocation(l, s, loc); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("%q: fast path took %v, the layouts refuse it: %v", s, got, err)
			}
			if !got.Equal(want) {
				t.Fatalf("%q in %s: fast path %v, layouts %v", s, loc, got, want)
			}
			if _, o1 := got.Zone(); true {
				if _, o2 := want.Zone(); o1 != o2 {
					t.Fatalf("%q in %s: fast path offset %d, layouts %d", s, loc, o1, o2)
				}
			}
		}
	})
}

// slowTimestamp is parseTimestampValue without its integer fast path.
func slowTimestamp(t *arrow.TimestampType, s string) (arrow.Timestamp, error) {
	tm, err := ParseTime(s, time.UTC)
	if err != nil {
		return 0, err
	}
	if m := int(t.Unit.Multiplier()); tm.Nanosecond()%m != 0 {
		return 0, fmt.Errorf("%q is more precise than %s", s, t)
	}
	ts, err := arrow.TimestampFromTime(tm.UTC(), t.Unit)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q out of range for %s", s, t)
	}
	return ts, nil
}

// FuzzFastTimestamp: the integer path of timestamps read in UTC gives
// the value and error of the time.Time path, in every unit, zone-less
// and UTC (seeds: below, and a sweep of dates and offsets).
func FuzzFastTimestamp(f *testing.F) {
	for _, s := range []string{
		"2026-01-05 07:36:00.218125Z", "2026-01-05T07:36:00Z", "2026-01-05 07:36:00+00", "2026-01-05 07:36:00.5+05:30",
		"2026-01-05 07:36:00-08", "1999-12-31 23:59:59.999999999-23:59", "2026-02-30 00:00:00Z", "2024-02-29 00:00:00",
		"2023-02-29 00:00:00", "1900-02-29 12:00:00", "2000-02-29 12:00:00", "0000-01-01 00:00:00", "0000-03-01 00:00:00+01",
		"9999-12-31 23:59:59.999999999", "1677-09-21 00:12:43.145224192", "2262-04-11 23:47:16.854775807", "1969-12-31 23:59:59.5",
		" 2026-01-05 07:36:00 ", "2026-01-05 07:36:00.1234567891", "2026-01-05 07:36:00.", "2026-13-01 00:00:00", "2026-01-05 24:00:00",
	} {
		f.Add(s)
	}
	for y := 0; y <= 9999; y += 37 {
		for _, md := range []string{"01-01", "02-28", "02-29", "03-01", "12-31"} {
			f.Add(fmt.Sprintf("%04d-%s 23:59:59.000001-01:30", y, md))
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, unit := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
			for _, tz := range []string{"", "UTC"} {
				dt := &arrow.TimestampType{Unit: unit, TimeZone: tz}
				got, ok, gerr := fastTimestamp(dt, s)
				if !ok {
					continue
				}
				want, werr := slowTimestamp(dt, s)
				if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) || got != want {
					t.Fatalf("%q as %s: fast %d, %v; slow %d, %v", s, dt, got, gerr, want, werr)
				}
			}
		}
	})
}
