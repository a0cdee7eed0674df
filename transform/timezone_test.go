package transform_test

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/transform"
)

// tsBatch: id, wall (zone-less timestamp[us]) and inst (timestamp[us, UTC]).
func tsBatch(mem memory.Allocator, walls []string, insts []string) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "wall", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "inst", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range walls {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		for c, s := range []string{walls[i], insts[i]} {
			if s == "" {
				b.Field(c + 1).AppendNull()
				continue
			}
			t, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", s)
			if err != nil {
				t, err = time.Parse("2006-01-02 15:04:05.999999999", s)
			}
			if err != nil {
				panic(err)
			}
			b.Field(c + 1).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		}
	}
	return b.NewRecordBatch()
}

func TestTimeZone(t *testing.T) {
	walls := []string{"2024-03-10 01:30:00", "2024-03-10 02:30:00", "2024-11-03 01:30:00.5", "2024-07-04 12:00:00", ""}
	insts := []string{"2024-03-10 06:30:00Z", "2024-03-10 07:30:00Z", "2024-11-03 05:30:00.5Z", "2024-11-03 06:30:00.5Z", ""}
	tests := []struct {
		name     string
		cfg      transform.ZoneConfig
		col      int
		typ      string
		want     string
		dirtyIDs []int64
	}{
		{"wall clocks in New York become instants, DST errors are dirty", transform.ZoneConfig{From: "America/New_York"}, 1, "timestamp[us, tz=UTC]",
			"[2024-03-10 06:30:00 2024-07-04 16:00:00 (null)]", []int64{1, 2}},
		{"earliest", transform.ZoneConfig{From: "America/New_York", DST: "earliest"}, 1, "timestamp[us, tz=UTC]",
			"[2024-03-10 06:30:00 2024-03-10 07:30:00 2024-11-03 05:30:00.5 2024-07-04 16:00:00 (null)]", nil},
		{"latest", transform.ZoneConfig{From: "America/New_York", DST: "latest"}, 1, "timestamp[us, tz=UTC]",
			"[2024-03-10 06:30:00 2024-03-10 07:30:00 2024-11-03 06:30:00.5 2024-07-04 16:00:00 (null)]", nil},
		{"instants as New York wall clocks", transform.ZoneConfig{To: "America/New_York"}, 2, "timestamp[us]",
			"[2024-03-10 01:30:00 2024-03-10 03:30:00 2024-11-03 01:30:00.5 2024-11-03 01:30:00.5 (null)]", nil},
		{"wall clocks from Shanghai to New York", transform.ZoneConfig{Columns: []string{"wall"}, From: "Asia/Shanghai", To: "America/New_York"}, 1, "timestamp[us]",
			"[2024-03-09 12:30:00 2024-03-09 13:30:00 2024-11-02 13:30:00.5 2024-07-04 00:00:00 (null)]", nil},
		{"by position, fixed offset", transform.ZoneConfig{ColumnIndexes: []int{1}, From: "GMT+8"}, 1, "timestamp[us, tz=UTC]",
			"[2024-03-09 17:30:00 2024-03-09 18:30:00 2024-11-02 17:30:00.5 2024-07-04 04:00:00 (null)]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checked(t)
			b := tsBatch(mem, walls, insts)
			defer b.Release()
			tr, err := transform.TimeZone(tt.cfg, &transform.Options{Allocator: mem})
			require.NoError(t, err)
			out, d := run(t, tr, b)
			defer out.Release()
			require.Equal(t, tt.typ, out.Schema().Field(tt.col).Type.String())
			require.Equal(t, tt.want, timestampsAsText(out.Column(tt.col)))
			for _, r := range d {
				require.Equal(t, "wall", r.Column)
			}
			require.Equal(t, tt.dirtyIDs, dirtyIDs(d))
			if len(d) > 0 {
				require.Equal(t, "2024-03-10 02:30:00", d[0].Value)
				require.ErrorContains(t, d[0].Err, "did not happen in America/New_York")
				require.ErrorContains(t, d[1].Err, "happened twice in America/New_York")
			}
		})
	}
}

func TestTimeZoneErrors(t *testing.T) {
	mem := checked(t)
	b := tsBatch(mem, []string{""}, []string{""})
	defer b.Release()
	for _, tt := range []struct {
		cfg  transform.ZoneConfig
		want string
	}{
		{transform.ZoneConfig{}, "set from, to or both"},
		{transform.ZoneConfig{From: "Local"}, "local zone is never used"},
		{transform.ZoneConfig{To: "Nowhere/City"}, `time zone "Nowhere/City"`},
		{transform.ZoneConfig{From: "UTC", DST: "closest"}, `DST policy "closest"`},
		{transform.ZoneConfig{From: "UTC", Columns: []string{"id"}}, `column "id" is int64, not a timestamp`},
		{transform.ZoneConfig{From: "UTC", Columns: []string{"inst"}}, `column "inst" holds instants`},
		{transform.ZoneConfig{To: "UTC", Columns: []string{"wall"}}, `column "wall" holds zone-less wall clocks: set from`},
	} {
		tr, err := transform.TimeZone(tt.cfg, nil)
		if err == nil {
			_, err = tr.OutputSchema(b.Schema())
		}
		require.ErrorContains(t, err, tt.want)
	}
}
