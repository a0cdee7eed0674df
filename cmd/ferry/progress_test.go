package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
)

// progressEvents is a run as the engine reports it: planning, copying
// 2,000,000 estimated rows at a falling rate, a commit, done.
func progressEvents() []ferry.Progress {
	base := ferry.Progress{SplitsTotal: 8, RowsTotal: 2_000_000, BytesTotal: 180 << 20}
	var out []ferry.Progress
	add := func(ph ferry.Phase, el time.Duration, read int64, now float64, final bool) {
		p := base
		p.Phase, p.Elapsed, p.RowsRead, p.RowsWritten, p.CurrentRowsPerSecond, p.Final = ph, el, read, read, now, final
		p.SplitsDone = int(read * 8 / 2_000_000)
		if s := el.Seconds(); s > 0 {
			p.RowsPerSecond = float64(read) / s
		}
		if ph == ferry.PhaseDone {
			p.RowsTotal, p.RowsTotalExact = read, true
		}
		out = append(out, p)
	}
	add(ferry.PhasePlanning, 0, 0, 0, false)
	add(ferry.PhaseCopying, 300*time.Millisecond, 0, 0, false)
	for i := 1; i <= 24; i++ {
		add(ferry.PhaseCopying, time.Duration(i)*time.Second, int64(i)*80_000, 80_000-float64(i)*500, false)
	}
	add(ferry.PhaseCommitting, 24500*time.Millisecond, 1_999_800, 0, false)
	add(ferry.PhaseCommitting, 25500*time.Millisecond, 1_999_800, 0, false)
	add(ferry.PhaseDone, 26*time.Second, 1_999_800, 0, true)
	return out
}

// golden compares got with testdata/name; FERRY_UPDATE_GOLDEN=1 rewrites
// it.
func progressGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("FERRY_UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "FERRY_UPDATE_GOLDEN=1 go test -run %s creates it", t.Name())
	require.Equal(t, string(want), got)
}

func TestPlainProgressGolden(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	d := &plainProgress{w: &buf, every: 10 * time.Second, now: func() time.Time { return clock }}
	for _, p := range progressEvents() {
		clock = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC).Add(p.Elapsed)
		d.show(p)
	}
	// One line per phase change, every 10 s of copying, the final one.
	require.Equal(t, 6, strings.Count(buf.String(), "\n"), buf.String())
	require.NotContains(t, buf.String(), "\x1b")
	progressGolden(t, "progress_plain.golden", buf.String())
}

var reEscape = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

// ptyOutput runs fn with the slave side of a pseudo-terminal of cols
// columns and returns what it wrote.
func ptyOutput(t *testing.T, cols int, fn func(tty *os.File)) string {
	t.Helper()
	master, tty, err := pty.Open()
	require.NoError(t, err)
	defer master.Close()
	require.NoError(t, pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: uint16(cols)}))
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once tty is closed
		got <- b
	}()
	fn(tty)
	require.NoError(t, tty.Close())
	return string(<-got)
}

// checkLive checks a live progress output drawn on cols columns: no line
// wider than the terminal, redrawn in place, one clean final line.
func checkLive(t *testing.T, out string, cols int) []string {
	t.Helper()
	require.Contains(t, out, "\x1b[", "mpb redraws with cursor movements")
	require.GreaterOrEqual(t, strings.Count(out, "A\x1b[J"), 2, "the line is redrawn in place (cursor up, erase)")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimRight(reEscape.ReplaceAllString(l, ""), "\r")
		if l == "" {
			continue
		}
		require.LessOrEqual(t, runewidth.StringWidth(l), cols, "line wider than the terminal: %q", l)
		lines = append(lines, l)
	}
	require.NotEmpty(t, lines)
	require.True(t, strings.HasSuffix(out, "\n"), "the final line ends the output")
	return lines
}

func TestLiveProgressWidths(t *testing.T) {
	for _, cols := range []int{60, 160} {
		t.Run(fmt.Sprintf("cols=%d", cols), func(t *testing.T) {
			out := ptyOutput(t, cols, func(tty *os.File) {
				show := newProgress(progressAuto, 10*time.Second, tty)
				require.NotNil(t, show, "auto shows the live line on a terminal")
				for _, p := range progressEvents() {
					show(p)
				}
			})
			lines := checkLive(t, out, cols)
			last := lines[len(lines)-1]
			require.Regexp(t, `^done\s+100%`, last)
			require.Contains(t, last, "2.00M rows")
			var copying string
			for _, l := range lines {
				if strings.HasPrefix(l, "copying") && strings.Contains(l, "ETA") {
					copying = l
				}
			}
			require.NotEmpty(t, copying, "a copying line with an ETA:\n%s", strings.Join(lines, "\n"))
			require.Contains(t, copying, "/~2.00M rows")
			if cols >= 160 {
				require.Contains(t, copying, "elapsed")
				require.Contains(t, copying, "rows/s")
				require.Contains(t, copying, "[")
			} else {
				require.NotContains(t, copying, "elapsed", "dropped at 60 columns")
			}
		})
	}
}

// TestSyncProgressTerminal: ferry sync's stderr is a terminal of 60 or 160
// columns.
func TestSyncProgressTerminal(t *testing.T) {
	for _, cols := range []int{60, 160} {
		var code int
		var stdout bytes.Buffer
		out := ptyOutput(t, cols, func(tty *os.File) {
			code = run(context.Background(), []string{"sync", "--from", "clitest://src?rows=50000", "--to", "clitest://ptyprogress",
				"--mode", "overwrite", "--history", "off"}, &stdout, tty)
		})
		require.Equal(t, 0, code, out)
		require.Contains(t, stdout.String(), "Ferry run succeeded")
		require.Contains(t, out, "\x1b[")
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimRight(reEscape.ReplaceAllString(l, ""), "\r")
			if l != "" {
				require.LessOrEqual(t, runewidth.StringWidth(l), cols, "%q", l)
				lines = append(lines, l)
			}
		}
		require.NotEmpty(t, lines)
		var final string
		for _, l := range lines {
			if strings.HasPrefix(l, "done") {
				final = l
			}
		}
		require.Regexp(t, `^done\s+100%.*100.0k rows`, final, "the final line (50,000 rows twice)")
	}
}

// TestSyncProgressPipe: with --progress always and stderr a pipe, the
// progress is plain lines without a single escape code.
func TestSyncProgressPipe(t *testing.T) {
	for _, mode := range []string{"always", "plain"} {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		got := make(chan []byte)
		go func() {
			b, _ := io.ReadAll(r)
			got <- b
		}()
		var stdout bytes.Buffer
		code := run(context.Background(), []string{"sync", "--from", "clitest://src?rows=1000", "--to", "clitest://pipeprogress",
			"--mode", "overwrite", "--history", "off", "--progress", mode, "--progress-interval", "1s"}, &stdout, w)
		require.NoError(t, w.Close())
		out := string(<-got)
		r.Close()
		require.Equal(t, 0, code, out)
		require.NotContains(t, out, "\x1b", "no escape code in a pipe")
		require.NotContains(t, out, "\r")
		require.Regexp(t, `(?m)^\S+Z ferry: planning `, out)
		require.Regexp(t, `(?m)^\S+Z ferry: done 100\.0% \| 2,000 rows, 2 of 2 splits \| \d[\d,]* rows/s avg \| elapsed \S+ \| 2,000 rows written, 0 dirty$`, out)
	}
}

func TestProgressFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sync", "--from", "clitest://x", "--to", "clitest://y", "--progress", "fancy"},
		{"sync", "--from", "clitest://x", "--to", "clitest://y", "--progress-interval", "0s"},
		{"resume", "--progress", "fancy", t.TempDir()},
	} {
		code, _, errOut := runCLI(t, args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
		require.Contains(t, errOut, "--progress")
	}
}

// TestProgressTwoRuns: one display serves the runs of a job one after the
// other, each ending with its own final line.
func TestProgressTwoRuns(t *testing.T) {
	out := ptyOutput(t, 100, func(tty *os.File) {
		show := newProgress(progressAuto, 10*time.Second, tty)
		for range 2 {
			for _, p := range progressEvents() {
				show(p)
			}
		}
	})
	lines := checkLive(t, out, 100)
	first := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "done") })
	require.Positive(t, first)
	require.True(t, slices.ContainsFunc(lines[first:], func(l string) bool { return strings.HasPrefix(l, "copying") }),
		"the second run draws a new line after the first's final one")
	require.True(t, strings.HasPrefix(lines[len(lines)-1], "done"))

	var buf bytes.Buffer
	d := &plainProgress{w: &buf, every: time.Hour, now: time.Now}
	for range 2 {
		for _, p := range progressEvents() {
			d.show(p)
		}
	}
	require.Equal(t, 2, strings.Count(buf.String(), "ferry: planning"))
	require.Equal(t, 2, strings.Count(buf.String(), "ferry: done"))
}

func TestFitFields(t *testing.T) {
	fs := []liveField{{"1.20M/2.00M rows", 0}, {"80.0k rows/s", 2}, {"ETA 10s", 1}, {"elapsed 15s", 3}}
	for _, tc := range []struct {
		width   int
		withBar bool
		want    string
	}{
		{100, true, "1.20M/2.00M rows  80.0k rows/s  ETA 10s  elapsed 15s"},
		{45, true, "1.20M/2.00M rows  ETA 10s"},
		{27, true, "1.20M/2.00M rows"},
		{20, true, "1.20M/2.00M rows"}, // the bar goes first
		{10, false, "1.20M/2.00"},
	} {
		got := fitFields(fs, tc.width, tc.withBar)
		require.Equal(t, tc.want, got, "width %d", tc.width)
		require.LessOrEqual(t, len(got), tc.width)
	}
}
