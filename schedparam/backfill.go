package schedparam

import (
	"fmt"
	"slices"
	"time"
)

// DefaultMaxCycles is the default cap on the number of cycle times
// CycleTimes returns.
const DefaultMaxCycles = 10000

// BackfillOptions configures CycleTimes.
type BackfillOptions struct {
	// Every is the interval between cycles within a scheduled day, e.g.
	// time.Hour for an hourly job; 0 means daily (one cycle a day). It must
	// be between one minute and 24 hours.
	Every time.Duration
	// At is the time of day of the first cycle of each scheduled day, as an
	// offset from midnight in [0, 24h); the default is 00:00.
	At time.Duration
	// Location is the time zone of the cycle times; nil means the location
	// of the first business date.
	Location *time.Location
	// MaxCount caps the number of cycle times; 0 means DefaultMaxCycles.
	MaxCount int
}

// CycleTimes returns, in order, the cycle times of the runs that process the
// business dates from fromBizdate to toBizdate inclusive (only their
// calendar dates matter). The runs of business date D are scheduled on
// D+1: daily at At, or every Every from At until the end of that day. A
// backfill runner resolves one job per cycle time.
func CycleTimes(fromBizdate, toBizdate time.Time, opts BackfillOptions) ([]time.Time, error) {
	loc := opts.Location
	if loc == nil {
		loc = fromBizdate.Location()
	}
	from, to := civilDate(fromBizdate), civilDate(toBizdate)
	if !inRange(from) || !inRange(to) || !inRange(to.AddDate(0, 0, 1)) {
		return nil, fmt.Errorf("%w: backfill dates must be in years %d..%d", ErrRange, minYear, maxYear)
	}
	if from.After(to) {
		return nil, fmt.Errorf("%w: backfill from %s is after to %s", ErrRange,
			from.Format("20060102"), to.Format("20060102"))
	}
	if opts.At < 0 || opts.At >= 24*time.Hour {
		return nil, fmt.Errorf("%w: backfill time of day %v is not in [0, 24h)", ErrRange, opts.At)
	}
	perDay := int64(1)
	if opts.Every != 0 {
		if opts.Every < time.Minute || opts.Every > 24*time.Hour {
			return nil, fmt.Errorf("%w: backfill interval %v is not between 1m and 24h", ErrRange, opts.Every)
		}
		perDay = int64((24*time.Hour-1-opts.At)/opts.Every) + 1
	}
	limit := int64(opts.MaxCount)
	if limit <= 0 {
		limit = DefaultMaxCycles
	}
	days := int64(to.Sub(from)/(24*time.Hour)) + 1
	if days > limit || days*perDay > limit {
		return nil, fmt.Errorf("%w: backfill of %d days × %d runs exceeds the cap of %d cycle times",
			ErrRange, days, perDay, limit)
	}
	out := make([]time.Time, 0, days*perDay)
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		y, m, day := d.Date()
		for k := range perDay {
			off := opts.At + time.Duration(k)*opts.Every
			out = append(out, time.Date(y, m, day+1, 0, 0, 0, int(off), loc))
		}
	}
	// Wall-clock times inside a DST gap are normalized by time.Date and may
	// collide with or overtake their neighbours.
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, time.Time.Equal), nil
}

// CycleTimesForDates is CycleTimes for business dates written as
// "20250101" or "2025-01-01" (interpreted in opts.Location, default UTC).
func CycleTimesForDates(fromBizdate, toBizdate string, opts BackfillOptions) ([]time.Time, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	from, err := ParseDate(fromBizdate, opts.Location)
	if err != nil {
		return nil, err
	}
	to, err := ParseDate(toBizdate, opts.Location)
	if err != nil {
		return nil, err
	}
	return CycleTimes(from, to, opts)
}

// ParseDate parses a date written as "20250101" or "2025-01-01" as
// midnight in loc (nil means UTC).
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	layout := "20060102"
	if len(s) == 10 {
		layout = "2006-01-02"
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not yyyymmdd or yyyy-mm-dd: %w", ErrSyntax, s, err)
	}
	return t, nil
}

// civilDate is t's calendar date as midnight UTC.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
