package e2e

import (
	"strings"
	"testing"
)

// TestInterruptExits130 sends SIGINT (a Ctrl-C) to ferry sync after its
// third batch was written: it aborts the run, leaves the destination with
// its old rows, prints the report and one line on stderr, and exits 130.
func TestInterruptExits130(t *testing.T) {
	for _, mk := range []func(*testing.T) *engine{postgres, mariadb} {
		e := mk(t)
		t.Run(e.name, func(t *testing.T) {
			src, dst, want := "e2e_int_src", "e2e_int_dst", "e2e_int_want"
			e.prepare(t, src, dst, want, "overwrite")
			before := e.checksum(t, dst)
			from := e.withParams("table", src, "batchRows", "500")
			to := e.withParams("table", dst, "mode", "overwrite")
			r := runFerry(t, "ferry.batch.written@3:sigint", "sync", "--from", from, "--to", to,
				"--concurrency", "1", "--progress", "never", "--history", "off")
			if r.killed || r.code != 130 {
				t.Fatalf("exit %d (killed %v), want 130\nstdout:\n%s\nstderr:\n%s", r.code, r.killed, r.out, r.errOut)
			}
			var errLines []string
			for _, l := range strings.Split(r.errOut, "\n") {
				if strings.HasPrefix(l, "ferry: ") {
					errLines = append(errLines, l)
				}
			}
			if len(errLines) != 1 || !strings.Contains(errLines[0], "context canceled") {
				t.Fatalf("want one 'ferry: … context canceled' line on stderr, got %q\n%s", errLines, r.errOut)
			}
			if !strings.Contains(r.out, "committed              false") {
				t.Fatalf("report:\n%s", r.out)
			}
			if after := e.checksum(t, dst); after != before {
				t.Fatalf("Ctrl-C changed the destination: %+v, want its old rows %+v", after, before)
			}
		})
	}
}
