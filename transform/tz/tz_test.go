package tz_test

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/transform/tz"
)

func wall(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestLocalize is the DST matrix: New York's spring-forward gap and
// fall-back overlap of 2024 under each policy, and ordinary times.
func TestLocalize(t *testing.T) {
	ny, err := tz.Load("America/New_York")
	require.NoError(t, err)
	sh, err := tz.Load("Asia/Shanghai")
	require.NoError(t, err)
	tests := []struct {
		wall   string
		loc    *time.Location
		policy tz.Policy
		want   string // RFC 3339 in UTC, or "gap"/"overlap"
	}{
		{"2024-03-10 01:59:59.999999", ny, tz.Reject, "2024-03-10T06:59:59.999999Z"},
		{"2024-03-10 02:00:00", ny, tz.Reject, "gap"},
		{"2024-03-10 02:30:00", ny, tz.Reject, "gap"},
		{"2024-03-10 02:30:00", ny, tz.Earliest, "2024-03-10T07:30:00Z"}, // 03:30 EDT
		{"2024-03-10 02:30:00", ny, tz.Latest, "2024-03-10T07:30:00Z"},
		{"2024-03-10 03:00:00", ny, tz.Reject, "2024-03-10T07:00:00Z"},
		{"2024-11-03 00:59:59", ny, tz.Reject, "2024-11-03T04:59:59Z"},
		{"2024-11-03 01:00:00", ny, tz.Reject, "overlap"},
		{"2024-11-03 01:30:00.25", ny, tz.Reject, "overlap"},
		{"2024-11-03 01:30:00.25", ny, tz.Earliest, "2024-11-03T05:30:00.25Z"}, // EDT
		{"2024-11-03 01:30:00.25", ny, tz.Latest, "2024-11-03T06:30:00.25Z"},   // EST
		{"2024-11-03 02:00:00", ny, tz.Reject, "2024-11-03T07:00:00Z"},
		{"2024-07-01 12:00:00", ny, tz.Reject, "2024-07-01T16:00:00Z"},
		{"2024-01-01 12:00:00", ny, tz.Reject, "2024-01-01T17:00:00Z"},
		{"2024-03-10 02:30:00", sh, tz.Reject, "2024-03-09T18:30:00Z"},
		{"0001-01-01 00:00:00", sh, tz.Reject, "0000-12-31T15:54:17Z"}, // LMT +08:05:43
		{"9999-12-31 23:59:59.999999", sh, tz.Reject, "9999-12-31T15:59:59.999999Z"},
	}
	for _, tt := range tests {
		t.Run(tt.wall+" "+tt.loc.String()+" "+tt.policy.String(), func(t *testing.T) {
			got, err := tz.Localize(wall(tt.wall), tt.loc, tt.policy)
			var gap *tz.GapError
			var overlap *tz.OverlapError
			switch tt.want {
			case "gap":
				require.True(t, errors.As(err, &gap), "%v", err)
				require.ErrorContains(t, err, "did not happen in America/New_York")
			case "overlap":
				require.True(t, errors.As(err, &overlap), "%v", err)
				require.ErrorContains(t, err, "happened twice in America/New_York")
			default:
				require.NoError(t, err)
				require.Equal(t, tt.want, got.UTC().Format(time.RFC3339Nano))
				require.Equal(t, wall(tt.wall).Format(time.DateTime)[:10], tz.WallClock(got, tt.loc).Format(time.DateOnly)[:10])
			}
		})
	}
}

// TestRoundTrip: for every half hour of 2024 and of 1960 in zones with
// and without DST, the wall clock of an instant localizes back to that
// instant under Earliest or Latest, and Reject fails only in overlaps.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Shanghai", "America/Sao_Paulo", "UTC"} {
		loc, err := tz.Load(name)
		require.NoError(t, err)
		c := tz.NewConverter(loc, tz.Reject)
		for _, year := range []int{1960, 2024} {
			start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			for x := start; x < start+366*86400; x += 1800 {
				w := tz.WallClock(time.Unix(x, 0), loc).Unix()
				e, err1 := tz.NewConverter(loc, tz.Earliest).Instant(w)
				l, err2 := tz.NewConverter(loc, tz.Latest).Instant(w)
				require.NoError(t, err1)
				require.NoError(t, err2)
				require.True(t, e == x || l == x, "%s %s", name, time.Unix(x, 0).UTC())
				got, err := c.Instant(w) // the cached converter agrees
				if err != nil {
					var overlap *tz.OverlapError
					require.True(t, errors.As(err, &overlap), "%s %s: %v", name, time.Unix(x, 0).UTC(), err)
					require.NotEqual(t, e, l)
					continue
				}
				require.Equal(t, x, got, "%s %s", name, time.Unix(x, 0).UTC())
				require.Equal(t, w, c.Wall(x))
			}
		}
	}
}

func TestLoad(t *testing.T) {
	for name, off := range map[string]int{"UTC": 0, "GMT+8": 8 * 3600, "+08:00": 8 * 3600, "-0530": -(5*3600 + 1800), "UTC-5": -5 * 3600} {
		loc, err := tz.Load(name)
		require.NoError(t, err, name)
		_, got := time.Date(2024, 1, 1, 0, 0, 0, 0, loc).Zone()
		require.Equal(t, off, got, name)
	}
	for name, want := range map[string]string{"": "empty time zone name", "Local": "never used", "Mars/Olympus": `time zone "Mars/Olympus"`, "+15:00": "out of range"} {
		_, err := tz.Load(name)
		require.ErrorContains(t, err, want, name)
	}
	p, err := tz.ParsePolicy("LATEST")
	require.NoError(t, err)
	require.Equal(t, tz.Latest, p)
	_, err = tz.ParsePolicy("nearest")
	require.ErrorContains(t, err, `DST policy "nearest"`)
}

func TestArrays(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ny, _ := tz.Load("America/New_York")
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	for _, s := range []string{"2024-03-10 01:30:00.000001", "2024-03-10 02:30:00", "2024-11-03 01:30:00", "1969-12-31 23:59:59.5"} {
		b.Append(arrow.Timestamp(wall(s).UnixMicro()))
	}
	b.AppendNull()
	a := b.NewTimestampArray()
	b.Release()
	defer a.Release()

	var bad []int
	inst, err := tz.LocalizeArray(mem, a, ny, tz.Reject, func(i int, err error) { bad = append(bad, i) })
	require.NoError(t, err)
	defer inst.Release()
	require.Equal(t, []int{1, 2}, bad)
	require.Equal(t, "timestamp[us, tz=UTC]", inst.DataType().String())
	require.Equal(t, "2024-03-10T06:30:00.000001Z", inst.Value(0).ToTime(arrow.Microsecond).Format(time.RFC3339Nano))
	require.True(t, inst.IsNull(1) && inst.IsNull(2) && inst.IsNull(4))
	require.Equal(t, "1970-01-01T04:59:59.5Z", inst.Value(3).ToTime(arrow.Microsecond).Format(time.RFC3339Nano))

	_, err = tz.LocalizeArray(mem, a, ny, tz.Reject, nil)
	require.ErrorContains(t, err, "tz: value 1: tz: 2024-03-10 02:30:00 did not happen")

	back, err := tz.WallClockArray(mem, inst, ny, nil)
	require.NoError(t, err)
	defer back.Release()
	require.Equal(t, "timestamp[us]", back.DataType().String())
	require.Equal(t, a.Value(0), back.Value(0))
	require.Equal(t, a.Value(3), back.Value(3))

	sh, _ := tz.Load("Asia/Shanghai")
	conv, err := tz.ConvertArray(mem, a, ny, sh, tz.Latest, nil)
	require.NoError(t, err)
	defer conv.Release()
	// 02:30 in the gap is 03:30 EDT = 07:30Z, which is 15:30 in Shanghai.
	require.Equal(t, "2024-03-10T15:30:00Z", conv.Value(1).ToTime(arrow.Microsecond).Format(time.RFC3339Nano))
}
