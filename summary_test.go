package ferry_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixedSummary() *ferry.Summary {
	start := time.Date(2026, 11, 23, 21, 40, 2, 0, time.UTC)
	return &ferry.Summary{
		Start: start, End: start.Add(6912 * time.Millisecond), Elapsed: 6912 * time.Millisecond,
		Concurrency: 2, SplitsTotal: 2, SplitsDone: 2,
		RowsRead: 1000000, RowsWritten: 999993, RowsDirty: 7,
		BytesRead: 102887424, BytesWritten: 102886704,
		RowsPerSecond: 144674.0, MBPerSecond: 14.885,
		ReadTime: 2100 * time.Millisecond, WriteTime: 11200 * time.Millisecond,
		WaitOnReader: 400 * time.Millisecond, WaitOnWriter: 1900 * time.Millisecond,
		DirtyByReason:  map[string]int64{"NOT NULL constraint failed: orders.amount": 5, "value out of range": 2},
		DirtyWrittenTo: []string{"/tmp/quickstart/dirty.jsonl"},
		Splits: []ferry.SplitSummary{
			{ID: "orders[1,500001)", RowsRead: 500000, RowsWritten: 499996, RowsDirty: 4, Attempts: 1, Elapsed: 6800 * time.Millisecond, Done: true},
			{ID: "orders[500001,1000001)", RowsRead: 500000, RowsWritten: 499997, RowsDirty: 3, Attempts: 2, Elapsed: 6900 * time.Millisecond, Done: true},
		},
		Committed: true,
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestReportGolden(t *testing.T) {
	golden(t, "report.golden", []byte(fixedSummary().Report()))
	failed := fixedSummary()
	failed.Committed = false
	failed.Error = "ferry: split orders[1,500001): dirty: 11 dirty rows of 5000 read break the policy (tolerate 10 dirty rows)"
	golden(t, "report-failed.golden", []byte(failed.Report()))
	pass := fixedSummary()
	pass.Passthrough = true
	golden(t, "report-passthrough.golden", []byte(pass.Report()))
	b, err := json.Marshal(pass)
	require.NoError(t, err)
	require.Contains(t, string(b), `"passthrough":true`)
}

func TestSummaryJSONGolden(t *testing.T) {
	b, err := json.MarshalIndent(fixedSummary(), "", "  ")
	require.NoError(t, err)
	golden(t, "summary.golden.json", append(b, '\n'))
}
