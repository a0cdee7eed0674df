package tz_test

import (
	"fmt"
	"log"
	"time"

	"github.com/ferrydata/ferry/transform/tz"
)

// A New York wall clock in the spring-forward gap and one in the fall-back
// overlap, read as instants under each policy.
func ExampleLocalize() {
	ny, err := tz.Load("America/New_York")
	if err != nil {
		log.Fatal(err)
	}
	for _, wall := range []time.Time{
		time.Date(2024, 3, 10, 2, 30, 0, 0, time.UTC),
		time.Date(2024, 11, 3, 1, 30, 0, 0, time.UTC),
	} {
		for _, p := range []tz.Policy{tz.Reject, tz.Earliest, tz.Latest} {
			t, err := tz.Localize(wall, ny, p)
			if err != nil {
				fmt.Println(p, "->", err)
				continue
			}
			fmt.Println(p, "->", t.UTC().Format(time.RFC3339))
		}
	}
	// Output:
	// error -> tz: 2024-03-10 02:30:00 did not happen in America/New_York (a daylight saving time gap)
	// earliest -> 2024-03-10T07:30:00Z
	// latest -> 2024-03-10T07:30:00Z
	// error -> tz: 2024-11-03 01:30:00 happened twice in America/New_York (2024-11-03T05:30:00Z and 2024-11-03T06:30:00Z, a daylight saving time overlap): choose earliest or latest
	// earliest -> 2024-11-03T05:30:00Z
	// latest -> 2024-11-03T06:30:00Z
}

// An instant written into a zone-less column in Shanghai.
func ExampleWallClock() {
	sh, err := tz.Load("Asia/Shanghai")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tz.WallClock(time.Date(2024, 3, 9, 18, 30, 0, 0, time.UTC), sh).Format(time.DateTime))
	// Output: 2024-03-10 02:30:00
}
