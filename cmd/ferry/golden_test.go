package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -run %s -update rewrites it):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

var (
	reTime     = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	reRunID    = regexp.MustCompile(`\b\d{8}t\d{6}_[0-9a-f]{8}\b`)
	reDuration = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s|m)\b`)
	reRate     = regexp.MustCompile(`\d+ rows/s, \d+\.\d+ MB/s`)
	reSeconds  = regexp.MustCompile(`("[a-z_]*(seconds|per_second)": )[0-9.e+-]+`)
	// reSplitDur is a split line's right-aligned duration column, whose
	// padding depends on how long the duration printed.
	reSplitDur = regexp.MustCompile(`rows +DUR`)
)

// normalize replaces what changes from run to run.
func normalize(s string) string {
	s = reTime.ReplaceAllString(s, "TIME")
	s = reRunID.ReplaceAllString(s, "RUNID")
	s = reRate.ReplaceAllString(s, "N rows/s, N MB/s")
	s = reSeconds.ReplaceAllString(s, "${1}N")
	s = reDuration.ReplaceAllString(s, "DUR")
	s = reSplitDur.ReplaceAllString(s, "rows DUR")
	return s
}

// TestErrorOutputGolden fixes what a user sees when a command fails: exit
// code, stdout and stderr, for usage errors, URL errors, a run that breaks
// the dirty-row policy and --json failures.
func TestErrorOutputGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"no-command", nil},
		{"unknown-command", []string{"bogus"}},
		{"missing-to", []string{"sync", "--from", "clitest://x"}},
		{"unknown-mode", []string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--mode", "merge"}},
		{"negative-concurrency", []string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--concurrency", "-3"}},
		{"bad-progress", []string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--progress", "bogus"}},
		{"ratio-out-of-range", []string{"sync", "--from", "clitest://x", "--to", "clitest://y", "--max-dirty-ratio", "5"}},
		{"repeated-from", []string{"sync", "--from", "clitest://x", "--from", "clitest://z", "--to", "clitest://y"}},
		{"unknown-scheme", []string{"sync", "--from", "nosuch://u:hunter2@h/x", "--to", "clitest://y", "--history", "off"}},
		{"unknown-scheme-json", []string{"sync", "--from", "nosuch://u:hunter2@h/x", "--to", "clitest://y", "--json", "--history", "off"}},
		{"unknown-parameter", []string{"sync", "--from", "clitest://x?rowz=1", "--to", "clitest://y", "--history", "off"}},
		{"dirty-limit", []string{"sync", "--from", "clitest://src?rows=20", "--to", "clitest://golden?rejectEvery=4", "--max-dirty", "2",
			"--concurrency", "1", "--progress", "never", "--history", "off", "--log-format", "json", "--log-level", "error"}},
		{"dirty-limit-json", []string{"sync", "--from", "clitest://src?rows=20", "--to", "clitest://golden?rejectEvery=4", "--max-dirty", "2",
			"--concurrency", "1", "--progress", "never", "--history", "off", "--json", "--log-level", "error"}},
	}
	var b strings.Builder
	for _, tc := range cases {
		code, out, errOut := runCLI(t, tc.args...)
		b.WriteString("$ ferry " + strings.Join(tc.args, " ") + "\n")
		fmt.Fprintf(&b, "exit %d\n", code)
		if out != "" {
			b.WriteString("--- stdout\n" + out)
		}
		if errOut != "" {
			b.WriteString("--- stderr\n" + errOut)
		}
		b.WriteString("\n")
		if strings.Contains(out+errOut, "hunter2") {
			t.Errorf("%s: the password is shown", tc.name)
		}
	}
	golden(t, "errors.golden", normalize(b.String()))
}
