package dirty_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/dirty"
)

func TestCounter(t *testing.T) {
	bad := errors.New("bad")
	tests := []struct {
		name   string
		p      dirty.Policy
		adds   []int64 // dirty rows added, each after 100 more rows read
		failAt int     // index of the Add that fails; -1 none; len(adds) = at Final
	}{
		{"fail first", dirty.FailOnFirst(), []int64{1}, 0},
		{"fail first, clean", dirty.FailOnFirst(), []int64{0, 0}, -1},
		{"tolerate 3", dirty.TolerateRows(3), []int64{1, 2, 1}, 2},
		{"tolerate 3 exact", dirty.TolerateRows(3), []int64{1, 2}, -1},
		{"ignore", dirty.IgnoreAll(), []int64{50, 50}, -1},
		{"ratio below minimum rows waits for the end", dirty.Policy{Mode: dirty.Ignore, MaxRatio: 0.1}, []int64{50}, 1},
		{"ratio after minimum rows", dirty.Policy{Mode: dirty.Ignore, MaxRatio: 0.1, MinRowsForRatio: 100}, []int64{5, 20}, 1},
		{"ratio holds", dirty.Policy{Mode: dirty.Tolerate, MaxRows: 100, MaxRatio: 0.5, MinRowsForRatio: 1}, []int64{10, 10}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dirty.NewCounter(tt.p, "/tmp/x.jsonl")
			var total int64
			failed := -1
			for i, n := range tt.adds {
				total += 100
				if n == 0 {
					continue
				}
				if err := c.Add(n, bad, total); err != nil && failed < 0 {
					failed = i
					var le *dirty.LimitError
					require.ErrorAs(t, err, &le)
					require.ErrorIs(t, err, bad)
					require.Contains(t, err.Error(), "/tmp/x.jsonl")
				}
			}
			if failed < 0 && c.Final(total) != nil {
				failed = len(tt.adds)
			}
			require.Equal(t, tt.failAt, failed)
		})
	}
}

func TestRowErrors(t *testing.T) {
	e := &dirty.RowErrors{Rows: []dirty.RowError{{Row: 3, Column: "amount", Err: errors.New("out of range")}, {Row: 9}}}
	require.Equal(t, "dirty: 2 rows rejected, first: row 3, column amount: out of range", e.Error())
	wrapped := errors.Join(errors.New("ctx"), e)
	require.True(t, dirty.Is(wrapped))
	require.Len(t, dirty.Rows(wrapped), 2)
	require.Nil(t, dirty.Rows(errors.New("plain")))
	require.Len(t, dirty.Rows(dirty.RowError{Row: 1}), 1)
}

func TestFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	s, err := dirty.CreateFileSink(path)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Write(ctx, dirty.Record{Split: "s1", Row: 4, Column: "c", Value: "v\t\n", Reason: "bad", Values: map[string]any{"c": "v", "n": nil}}))
	require.NoError(t, s.Write(ctx, dirty.Record{Split: "s1", Row: 5, Value: math.NaN(), Reason: "nan", Values: map[string]any{"f": math.Inf(1)}}))
	require.EqualValues(t, 2, s.Count())
	require.Equal(t, path, s.Location())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Equal(t, []string{
		`{"split":"s1","row":4,"column":"c","value":"v\t\n","reason":"bad","values":{"c":"v","n":null}}`,
		`{"split":"s1","row":5,"value":"NaN","reason":"nan","values":{"f":"+Inf"}}`,
	}, lines)
}

func TestCreateFileSinkError(t *testing.T) {
	_, err := dirty.CreateFileSink(filepath.Join(t.TempDir(), "no", "such", "dir", "d.jsonl"))
	require.ErrorContains(t, err, "dirty: create dirty file")
}

func TestLogSinkLogsTheFirstRows(t *testing.T) {
	for _, tc := range []struct {
		name      string
		first     int
		rows      int
		wantLines int // "dirty row" lines
		wantMore  bool
		location  string
	}{
		{"default first 10 of 10002", 0, 10002, dirty.DefaultLogFirst, true, "log (first 10)"},
		{"under the limit", 0, 3, 3, false, "log (first 10)"},
		{"exactly the limit", 2, 2, 2, false, "log (first 2)"},
		{"first 2 of 5", 2, 5, 2, true, "log (first 2)"},
		{"every row", -1, 50, 50, false, "log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf strings.Builder
			s := &dirty.LogSink{Logger: slog.New(slog.NewTextHandler(&buf, nil)), First: tc.first}
			for i := range tc.rows {
				require.NoError(t, s.Write(context.Background(), dirty.Record{Split: "s", Row: int64(i), Reason: "bad value"}))
			}
			out := buf.String()
			require.Equal(t, tc.wantLines, strings.Count(out, `msg="dirty row"`))
			require.Equal(t, tc.wantMore, strings.Contains(out, "more dirty rows: only the first"), out)
			require.Equal(t, int64(tc.rows), s.Count())
			require.Equal(t, tc.location, s.Location())
			require.Equal(t, tc.wantLines+map[bool]int{true: 1}[tc.wantMore], strings.Count(out, "\n"))
		})
	}
}
