package tz

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// LocalizeArray returns the instants at which the wall clocks of a (a
// zone-less timestamp array) happened in loc, as a timestamp array of the
// same unit with zone "UTC". A value that policy p rejects (a DST gap or
// overlap), or that is out of range after the shift, is NULL in the result
// and passed to bad with its index; with a nil bad it is an error instead.
func LocalizeArray(mem memory.Allocator, a *array.Timestamp, loc *time.Location, p Policy, bad func(i int, err error)) (*array.Timestamp, error) {
	t := a.DataType().(*arrow.TimestampType)
	if t.TimeZone != "" {
		return nil, fmt.Errorf("tz: localize: %s already holds instants", t)
	}
	c := NewConverter(loc, p)
	return convert(mem, a, &arrow.TimestampType{Unit: t.Unit, TimeZone: "UTC"}, bad, func(sec int64) (int64, error) {
		return c.Instant(sec)
	})
}

// WallClockArray returns the wall clocks in loc of the instants of a (a
// timestamp array with a zone), as a zone-less timestamp array of the same
// unit. A value out of range after the shift is NULL and passed to bad (an
// error when bad is nil).
func WallClockArray(mem memory.Allocator, a *array.Timestamp, loc *time.Location, bad func(i int, err error)) (*array.Timestamp, error) {
	t := a.DataType().(*arrow.TimestampType)
	if t.TimeZone == "" {
		return nil, fmt.Errorf("tz: wall clock: %s holds wall clocks, not instants", t)
	}
	c := NewConverter(loc, Reject)
	return convert(mem, a, &arrow.TimestampType{Unit: t.Unit}, bad, func(sec int64) (int64, error) {
		return c.Wall(sec), nil
	})
}

// ConvertArray returns the wall clocks in to of the wall clocks of a (a
// zone-less timestamp array) in from: Localize then WallClock.
func ConvertArray(mem memory.Allocator, a *array.Timestamp, from, to *time.Location, p Policy, bad func(i int, err error)) (*array.Timestamp, error) {
	t := a.DataType().(*arrow.TimestampType)
	if t.TimeZone != "" {
		return nil, fmt.Errorf("tz: convert: %s holds instants, not wall clocks", t)
	}
	cf, ct := NewConverter(from, p), NewConverter(to, Reject)
	return convert(mem, a, t, bad, func(sec int64) (int64, error) {
		x, err := cf.Instant(sec)
		if err != nil {
			return 0, err
		}
		return ct.Wall(x), nil
	})
}

// convert maps every non-null value of a, split into whole seconds (which
// f maps) and the fraction (kept), into a new array of type out.
func convert(mem memory.Allocator, a *array.Timestamp, out *arrow.TimestampType, bad func(int, error), f func(sec int64) (int64, error)) (*array.Timestamp, error) {
	perSec := int64(time.Second / out.Unit.Multiplier())
	b := array.NewTimestampBuilder(mem, out)
	defer b.Release()
	n := a.Len()
	b.Reserve(n)
	vals := a.TimestampValues()
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := int64(vals[i])
		sec := v / perSec
		frac := v % perSec
		if frac < 0 {
			sec--
			frac += perSec
		}
		s, err := f(sec)
		if err == nil && (s > math.MaxInt64/perSec-1 || s < math.MinInt64/perSec+1) {
			err = fmt.Errorf("tz: %d %s is out of range after the zone shift", v, out.Unit)
		}
		if err != nil {
			if bad == nil {
				return nil, fmt.Errorf("tz: value %d: %w", i, err)
			}
			bad(i, err)
			b.AppendNull()
			continue
		}
		b.Append(arrow.Timestamp(s*perSec + frac))
	}
	return b.NewTimestampArray(), nil
}
