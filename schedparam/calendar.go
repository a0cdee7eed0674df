package schedparam

import "time"

// Offset caps: about ten thousand years either way, so that date arithmetic
// can never overflow. Results must also fall in years 1..9999.
const (
	maxDayOffset   = 3_660_000
	maxMonthOffset = 120_000
	maxYearOffset  = 10_000
	minYear        = 1
	maxYear        = 9999
)

// BizDate returns the business date of a run scheduled at cyc: midnight of
// the day before cyc's calendar date, in cyc's location.
func BizDate(cyc time.Time) time.Time {
	y, m, d := cyc.Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, cyc.Location())
}

// civilBizDate is the business date as a civil date (in UTC, so that date
// arithmetic never meets a DST transition).
func civilBizDate(cyc time.Time) time.Time {
	y, m, d := cyc.Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC)
}

// addMonths adds n months to t, clamping the day of month to the end of the
// target month (Jan 31 + 1 month = Feb 28 or 29), keeping the clock and
// location.
func addMonths(t time.Time, n int) time.Time {
	if n == 0 {
		return t
	}
	y, m, d := t.Date()
	total := int(m) - 1 + n
	y += floorDiv(total, 12)
	nm := time.Month(total - floorDiv(total, 12)*12 + 1)
	if last := daysIn(y, nm); d > last {
		d = last
	}
	hh, mi, ss := t.Clock()
	return time.Date(y, nm, d, hh, mi, ss, t.Nanosecond(), t.Location())
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func inRange(t time.Time) bool {
	y := t.Year()
	return y >= minYear && y <= maxYear
}
