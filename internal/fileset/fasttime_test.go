package fileset

import (
	"testing"
	"time"
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
