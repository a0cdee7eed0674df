// Package tz converts timestamps between zone-less wall clocks and instants
// in named time zones, with a stated policy for wall clocks that daylight
// saving time makes ambiguous or impossible. It never uses the machine's
// local zone.
//
// A wall clock is a zone-less timestamp (Arrow timestamp without a zone,
// PostgreSQL timestamp, MySQL DATETIME): its fields are read as they are,
// whatever time.Location a time.Time carries. An instant is a point in time
// (Arrow timestamp with a zone, timestamptz, MySQL TIMESTAMP).
//
// Connectors with a timeZone option call Localize (or LocalizeArray) to
// read zone-less source values as instants in that zone, and WallClock (or
// WallClockArray) to write instants into zone-less destination columns.
package tz

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Policy is what Localize does with a wall clock that daylight saving time
// makes ambiguous (an overlap: it happened twice, as 01:30 on the day New
// York falls back) or impossible (a gap: it never happened, as 02:30 on the
// day New York springs forward). The zero Policy is Reject.
type Policy int

// The policies.
const (
	// Reject fails on a wall clock in a gap or an overlap (the value is a
	// dirty row in a transform).
	Reject Policy = iota
	// Earliest takes the earlier instant of an overlap (the first, daylight
	// time, occurrence), and moves a wall clock in a gap forward by the gap
	// (02:30 becomes 03:30 daylight time, as java.time and PostgreSQL do).
	Earliest
	// Latest takes the later instant of an overlap (the second, standard
	// time, occurrence) and moves a wall clock in a gap forward like
	// Earliest.
	Latest
)

// String returns the policy's name as ParsePolicy reads it.
func (p Policy) String() string {
	switch p {
	case Earliest:
		return "earliest"
	case Latest:
		return "latest"
	}
	return "error"
}

// ParsePolicy reads "error" (or "reject", or ""), "earliest" or "latest".
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "error", "reject":
		return Reject, nil
	case "earliest":
		return Earliest, nil
	case "latest":
		return Latest, nil
	}
	return 0, fmt.Errorf("tz: DST policy %q: want error, earliest or latest", s)
}

var offsetZone = regexp.MustCompile(`^(?i:(?:GMT|UTC)?\s*)([+-])(\d{1,2})(?::?(\d{2}))?$`)

// Load returns the zone named name: an IANA name ("Asia/Shanghai"),
// "UTC", or a fixed offset ("+08:00", "-0530", "GMT+8", "UTC-5", the
// forms DataX's common.column.timeZone takes, with GMT+8 meaning eight
// hours east of Greenwich). "" and "Local" are errors: Ferry never uses
// the machine's zone.
func Load(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	switch strings.ToLower(n) {
	case "":
		return nil, fmt.Errorf("tz: empty time zone name")
	case "local":
		return nil, fmt.Errorf("tz: time zone %q: the machine's local zone is never used; name the zone", name)
	case "utc", "z", "gmt", "etc/utc":
		return time.UTC, nil
	}
	if m := offsetZone.FindStringSubmatch(n); m != nil {
		h, _ := strconv.Atoi(m[2])
		mi := 0
		if m[3] != "" {
			mi, _ = strconv.Atoi(m[3])
		}
		if h > 14 || mi > 59 {
			return nil, fmt.Errorf("tz: time zone %q: offset out of range", name)
		}
		off := h*3600 + mi*60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(n, off), nil
	}
	loc, err := time.LoadLocation(n)
	if err != nil {
		return nil, fmt.Errorf("tz: time zone %q: %w", name, err)
	}
	return loc, nil
}

// A GapError is a wall clock that did not happen in its zone.
type GapError struct {
	Wall time.Time // the wall clock (fields only)
	Zone string
}

func (e *GapError) Error() string {
	return fmt.Sprintf("tz: %s did not happen in %s (a daylight saving time gap)", e.Wall.Format("2006-01-02 15:04:05.999999999"), e.Zone)
}

// An OverlapError is a wall clock that happened twice in its zone.
type OverlapError struct {
	Wall             time.Time // the wall clock (fields only)
	Zone             string
	Earliest, Latest time.Time // the two instants
}

func (e *OverlapError) Error() string {
	return fmt.Sprintf("tz: %s happened twice in %s (%s and %s, a daylight saving time overlap): choose earliest or latest",
		e.Wall.Format("2006-01-02 15:04:05.999999999"), e.Zone, e.Earliest.UTC().Format(time.RFC3339Nano), e.Latest.UTC().Format(time.RFC3339Nano))
}

// A Converter converts many values in one zone quickly: it remembers the
// zone period (the span between two transitions) of the last value. It is
// not safe for concurrent use; make one per goroutine.
type Converter struct {
	loc    *time.Location
	policy Policy
	cur    period
	ok     bool
}

// period is a span of instants [lo, hi) (Unix seconds) with one offset.
type period struct {
	lo, hi, off int64
}

const day = 86400

// NewConverter returns a Converter for loc with policy p.
func NewConverter(loc *time.Location, p Policy) *Converter {
	return &Converter{loc: loc, policy: p}
}

func (c *Converter) periodAt(sec int64) period {
	t := time.Unix(sec, 0).In(c.loc)
	_, off := t.Zone()
	p := period{lo: math.MinInt64 / 2, hi: math.MaxInt64 / 2, off: int64(off)}
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		p.lo = start.Unix()
	}
	if !end.IsZero() {
		p.hi = end.Unix()
	}
	return p
}

func (c *Converter) offsetAt(sec int64) int64 {
	if c.ok && sec >= c.cur.lo && sec < c.cur.hi {
		return c.cur.off
	}
	c.cur, c.ok = c.periodAt(sec), true
	return c.cur.off
}

// Instant returns the Unix second at which the wall clock wall (seconds
// since 1970-01-01 00:00:00 of the wall clock) happened in the zone.
func (c *Converter) Instant(wall int64) (int64, error) {
	if c.ok {
		// Far (a day) from both ends of the current period, no other
		// offset can produce a valid instant: the common case.
		if x := wall - c.cur.off; x >= c.cur.lo+day && x < c.cur.hi-day {
			return x, nil
		}
	}
	oa, ob := c.offsetAt(wall-day), c.offsetAt(wall+day)
	var found [2]int64
	n := 0
	for _, o := range [2]int64{oa, ob} {
		x := wall - o
		if c.offsetAt(x) == o && (n == 0 || found[0] != x) {
			found[n] = x
			n++
		}
		if oa == ob {
			break
		}
	}
	switch {
	case n == 1:
		return found[0], nil
	case n == 2:
		lo, hi := min(found[0], found[1]), max(found[0], found[1])
		switch c.policy {
		case Earliest:
			return lo, nil
		case Latest:
			return hi, nil
		}
		w := time.Unix(wall, 0).UTC()
		return 0, &OverlapError{Wall: w, Zone: c.loc.String(), Earliest: time.Unix(lo, 0).In(c.loc), Latest: time.Unix(hi, 0).In(c.loc)}
	}
	if c.policy == Reject {
		return 0, &GapError{Wall: time.Unix(wall, 0).UTC(), Zone: c.loc.String()}
	}
	// In a gap: read the wall clock with the offset before the gap, which
	// moves it forward by the gap's length.
	return wall - oa, nil
}

// Wall returns the wall clock (seconds since 1970-01-01 00:00:00 of the
// wall clock) of the Unix second sec in the zone.
func (c *Converter) Wall(sec int64) int64 {
	return sec + c.offsetAt(sec)
}

// Localize returns the instant at which the wall clock of wall (its fields,
// whatever its Location) happened in loc, by policy p for DST gaps and
// overlaps.
func Localize(wall time.Time, loc *time.Location, p Policy) (time.Time, error) {
	w := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC).Unix()
	sec, err := NewConverter(loc, p).Instant(w)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, int64(wall.Nanosecond())).In(loc), nil
}

// WallClock returns the wall clock of the instant t in loc, as a time.Time
// in UTC whose fields are that wall clock (the form zone-less values take).
func WallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}
