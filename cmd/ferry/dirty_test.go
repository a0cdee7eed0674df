package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A run whose every row is dirty logs the first few, counts the rest by
// reason in the report, and warns that nothing was written.
func TestDirtyRowsDoNotFlood(t *testing.T) {
	code, out, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=5001", "--to", "clitest://flood?rejectEvery=1",
		"--mode", "overwrite", "--max-dirty", "-1", "--progress", "never", "--history", "off")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, 10, strings.Count(errOut, `msg="dirty row"`), errOut)
	require.Equal(t, 1, strings.Count(errOut, "more dirty rows: only the first 10 are logged"), errOut)
	require.Contains(t, errOut, "every row read was dirty (10002)")
	require.Less(t, strings.Count(errOut, "\n"), 16, errOut)
	require.Contains(t, out, "rows dirty             10002")
	require.Contains(t, out, "10002  divisible") // the count per reason
	require.Contains(t, out, "dirty rows written to  log (first 10)")
	require.Contains(t, out, "note                   every row read was dirty (10002)")
	require.Zero(t, tables["flood"].NumRows())
}

func TestNoDirtyRowsNoDirtyLine(t *testing.T) {
	code, out, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=10", "--to", "clitest://clean", "--progress", "never", "--history", "off")
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, out, "dirty rows written to")
	require.NotContains(t, out, "every row read was dirty")
}

// --min-rows and --min-arrived gate the commit: the destination keeps its
// rows when too few arrive.
func TestMinRowsGate(t *testing.T) {
	code, _, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=10", "--to", "clitest://gate", "--mode", "overwrite", "--progress", "never", "--history", "off")
	require.Equal(t, 0, code, errOut)
	require.EqualValues(t, 20, tables["gate"].NumRows())
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--max-dirty", "-1", "--min-rows", "1"}, 1, "min_rows: 0 rows written, fewer than the minimum 1"},
		{[]string{"--max-dirty", "-1", "--min-arrived", "0.5"}, 1, "0 rows written of 20 read (0%), under the minimum 50%"},
		{[]string{"--min-rows", "-1"}, 2, "--min-rows -1"},
		{[]string{"--min-arrived", "1.5"}, 2, "--min-arrived 1.5"},
	} {
		args := append([]string{"sync", "--from", "clitest://src?rows=10", "--to", "clitest://gate?rejectEvery=1", "--mode", "overwrite",
			"--progress", "never", "--history", "off"}, tc.args...)
		code, _, errOut := runCLI(t, args...)
		require.Equal(t, tc.code, code, "%v: %s", tc.args, errOut)
		require.Contains(t, errOut, tc.want)
		require.EqualValues(t, 20, tables["gate"].NumRows(), "%v: the old rows stay", tc.args)
	}
	// Enough rows arrive: the gate passes.
	code, _, errOut = runCLI(t, "sync", "--from", "clitest://src?rows=10", "--to", "clitest://gate?rejectEvery=5", "--mode", "overwrite",
		"--max-dirty", "-1", "--min-arrived", "0.8", "--min-rows", "16", "--progress", "never", "--history", "off")
	require.Equal(t, 0, code, errOut)
	require.EqualValues(t, 16, tables["gate"].NumRows())
}

// The policy's error counts the rows read, the skipped ones too.
func TestDirtyLimitCountsRowsRead(t *testing.T) {
	code, _, errOut := runCLI(t, "sync", "--from", "clitest://src?rows=10", "--to", "clitest://limit?rejectEvery=2",
		"--max-dirty", "3", "--concurrency", "1", "--progress", "never", "--history", "off")
	require.Equal(t, 1, code, errOut)
	require.Regexp(t, `dirty rows of [1-9][0-9]* read break the policy`, errOut)
}
