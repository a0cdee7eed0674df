package schedparam

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCycleTimesDaily(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	got, err := CycleTimes(time.Date(2024, 2, 27, 15, 0, 0, 0, sh), time.Date(2024, 3, 1, 0, 0, 0, 0, sh),
		BackfillOptions{At: 2*time.Hour + 30*time.Minute})
	require.NoError(t, err)
	want := []time.Time{
		time.Date(2024, 2, 28, 2, 30, 0, 0, sh),
		time.Date(2024, 2, 29, 2, 30, 0, 0, sh),
		time.Date(2024, 3, 1, 2, 30, 0, 0, sh),
		time.Date(2024, 3, 2, 2, 30, 0, 0, sh),
	}
	assert.Equal(t, want, got)
	for i, cyc := range got {
		assert.Equal(t, sh, cyc.Location())
		biz, err := Resolve("$bizdate", cyc, nil)
		require.NoError(t, err)
		assert.Equal(t, []string{"20240227", "20240228", "20240229", "20240301"}[i], biz)
	}
}

func TestCycleTimesHourly(t *testing.T) {
	got, err := CycleTimes(at(2024, 12, 31, 0, 0, 0), at(2024, 12, 31, 0, 0, 0), BackfillOptions{Every: time.Hour})
	require.NoError(t, err)
	require.Len(t, got, 24)
	assert.Equal(t, at(2025, 1, 1, 0, 0, 0), got[0])
	assert.Equal(t, at(2025, 1, 1, 23, 0, 0), got[23])

	got, err = CycleTimes(at(2025, 7, 26, 0, 0, 0), at(2025, 7, 27, 0, 0, 0),
		BackfillOptions{Every: 6 * time.Hour, At: 5 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, []time.Time{
		at(2025, 7, 27, 0, 5, 0), at(2025, 7, 27, 6, 5, 0), at(2025, 7, 27, 12, 5, 0), at(2025, 7, 27, 18, 5, 0),
		at(2025, 7, 28, 0, 5, 0), at(2025, 7, 28, 6, 5, 0), at(2025, 7, 28, 12, 5, 0), at(2025, 7, 28, 18, 5, 0),
	}, got)
}

func TestCycleTimesDSTGap(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// The runs of business date 2025-03-08 are on 2025-03-09, which has 23 hours.
	got, err := CycleTimes(time.Date(2025, 3, 8, 0, 0, 0, 0, ny), time.Date(2025, 3, 8, 0, 0, 0, 0, ny),
		BackfillOptions{Every: time.Hour})
	require.NoError(t, err)
	assert.Len(t, got, 23) // 02:00 does not exist and collapses into 03:00
	for i := 1; i < len(got); i++ {
		assert.True(t, got[i].After(got[i-1]))
	}
}

func TestCycleTimesForDates(t *testing.T) {
	got, err := CycleTimesForDates("20250101", "2025-01-03", BackfillOptions{})
	require.NoError(t, err)
	assert.Equal(t, []time.Time{at(2025, 1, 2, 0, 0, 0), at(2025, 1, 3, 0, 0, 0), at(2025, 1, 4, 0, 0, 0)}, got)

	_, err = CycleTimesForDates("2025-13-01", "20250101", BackfillOptions{})
	assert.ErrorIs(t, err, ErrSyntax)
	assert.ErrorContains(t, err, `schedparam: malformed expression: date "2025-13-01" is not yyyymmdd or yyyy-mm-dd: `)
	_, err = CycleTimesForDates("20250101", "x", BackfillOptions{})
	assert.Error(t, err)
}

func TestCycleTimesErrors(t *testing.T) {
	d := at(2025, 1, 1, 0, 0, 0)
	tests := []struct {
		name     string
		from, to time.Time
		opts     BackfillOptions
		msg      string
	}{
		{"reversed", d, d.AddDate(0, 0, -1), BackfillOptions{},
			"schedparam: out of range: backfill from 20250101 is after to 20241231"},
		{"too many days", d, d.AddDate(0, 0, DefaultMaxCycles), BackfillOptions{},
			"schedparam: out of range: backfill of 10001 days × 1 runs exceeds the cap of 10000 cycle times"},
		{"too many runs", d, d.AddDate(0, 0, 9), BackfillOptions{Every: time.Minute, MaxCount: 1000},
			"schedparam: out of range: backfill of 10 days × 1440 runs exceeds the cap of 1000 cycle times"},
		{"negative interval", d, d, BackfillOptions{Every: -time.Hour},
			"schedparam: out of range: backfill interval -1h0m0s is not between 1m and 24h"},
		{"tiny interval", d, d, BackfillOptions{Every: time.Second},
			"schedparam: out of range: backfill interval 1s is not between 1m and 24h"},
		{"bad time of day", d, d, BackfillOptions{At: 24 * time.Hour},
			"schedparam: out of range: backfill time of day 24h0m0s is not in [0, 24h)"},
		{"year 0", time.Time{}.AddDate(0, 0, -1), d, BackfillOptions{},
			"schedparam: out of range: backfill dates must be in years 1..9999"},
		{"year 9999 end", d, at(9999, 12, 31, 0, 0, 0), BackfillOptions{},
			"schedparam: out of range: backfill dates must be in years 1..9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CycleTimes(tt.from, tt.to, tt.opts)
			assert.Nil(t, got)
			require.ErrorIs(t, err, ErrRange)
			assert.EqualError(t, err, tt.msg)
		})
	}
}

func TestCycleTimesCapExact(t *testing.T) {
	d := at(2025, 1, 1, 0, 0, 0)
	got, err := CycleTimes(d, d.AddDate(0, 0, 9), BackfillOptions{Every: time.Hour, MaxCount: 240})
	require.NoError(t, err)
	assert.Len(t, got, 240)
}
