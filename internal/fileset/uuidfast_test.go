package fileset

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// TestParseUUIDMatchesUUIDParse: the canonical form decoded by table gives
// uuid.Parse's value, and every other text (a bad hex digit or dash at any
// position, other lengths, braces, urn:, no dashes, spaces) gets the same
// value or error as through uuid.Parse.
func TestParseUUIDMatchesUUIDParse(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var texts []string
	for range 200 {
		var u uuid.UUID
		rng.Read(u[:])
		c := u.String()
		if _, ok := parseCanonicalUUID(strings.ToUpper(c)); !ok {
			t.Errorf("%s: not decoded by table", c)
		}
		texts = append(texts, c, strings.ToUpper(c), "{"+c+"}", "urn:uuid:"+c, strings.ReplaceAll(c, "-", ""), " "+c+" ", c[:35], c+"0")
	}
	c := "c4ca4238-a0b9-2382-0dcc-509a6f75849b"
	for i := range len(c) {
		for _, b := range []byte{'g', 'G', '-', ' ', 0, 0xff, 'F', '0'} {
			x := []byte(c)
			x[i] = b
			texts = append(texts, string(x))
		}
	}
	texts = append(texts, "", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")
	for _, s := range texts {
		want, werr := uuid.Parse(strings.TrimSpace(s))
		got, gerr := parseUUID(s)
		if (werr != nil) != (gerr != nil) || (werr == nil && got != want) {
			t.Errorf("parseUUID(%q) = %v, %v; uuid.Parse: %v, %v", s, got, gerr, want, werr)
		}
		if u, ok := parseCanonicalUUID(s); ok && (werr != nil || u != want) {
			t.Errorf("parseCanonicalUUID(%q) = %v; uuid.Parse: %v, %v", s, u, want, werr)
		}
	}
}

// TestCellTimestampZones: a Cell of a timestamp column whose zone is UTC
// (named or not) parses without looking the zone up, others as before;
// every text gives ParseText's value or error.
func TestCellTimestampZones(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	texts := append([]string{"2026-01-01 00:00:00", "2026-01-01T12:34:56.123456Z", "2026-01-01 12:34:56+08", "1960-02-29 23:59:59.999999999",
		"9999-12-31 23:59:59.999999", "0001-01-01 00:00:00", " 2026-01-01 00:00:00 ", "2026-13-01 00:00:00", "x"}, cellSeeds...)
	for _, zone := range []string{"", "UTC", "Etc/UTC", "+00:00", "Asia/Shanghai", "Bad/Zone"} {
		for _, unit := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
			dt := &arrow.TimestampType{Unit: unit, TimeZone: zone}
			for _, s := range texts {
				checkCell(t, mem, dt, s, false)
				checkCell(t, mem, dt, s, true)
			}
		}
	}
	for _, s := range append(texts, "550e8400-E29B-41d4-a716-446655440000", "550e8400e29b41d4a716446655440000") {
		checkCell(t, mem, extensions.NewUUIDType(), s, false)
	}
}
