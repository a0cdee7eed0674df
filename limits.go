package ferry

import "golang.org/x/time/rate"

// Limits are rate limits shared by several pipelines, such as the
// instances of a backfill running side by side: every pipeline given the same
// Limits (Options.SharedLimits) draws from the same budget of rows and bytes
// per second.
type Limits struct {
	rows, bytes *rate.Limiter
}

// NewLimits returns limits of rowsPerSecond rows and bytesPerSecond bytes per
// second (0 means no limit of that kind).
func NewLimits(rowsPerSecond, bytesPerSecond float64) *Limits {
	l := &Limits{}
	if rowsPerSecond > 0 {
		l.rows = rate.NewLimiter(rate.Limit(rowsPerSecond), max(1, int(rowsPerSecond/10)))
	}
	if bytesPerSecond > 0 {
		l.bytes = rate.NewLimiter(rate.Limit(bytesPerSecond), max(1, int(min(bytesPerSecond/10, 1<<30))))
	}
	return l
}
