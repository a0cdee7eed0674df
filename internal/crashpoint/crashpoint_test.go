package crashpoint

import (
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

func TestHitKills(t *testing.T) {
	if os.Getenv("CRASHPOINT_CHILD") == "1" {
		Hit("a") // not armed for a
		Hit("b") // first hit of b: armed for the second
		os.Stdout.WriteString("before\n")
		Hit("b")
		os.Stdout.WriteString("after\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHitKills$")
	cmd.Env = append(os.Environ(), "CRASHPOINT_CHILD=1", Env+"=b@2")
	out, err := cmd.Output()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("child did not die: %v, output %q", err, out)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", ee)
	}
	if string(out) != "before\n" {
		t.Fatalf("child printed %q, want only before", out)
	}
}

func TestUnarmedIsNoop(t *testing.T) {
	if armed.Load() {
		t.Skip("armed by the environment")
	}
	Hit("anything")
}

func TestHitSigint(t *testing.T) {
	if os.Getenv("CRASHPOINT_CHILD") == "2" {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt)
		Hit("c")
		<-ch
		os.Stdout.WriteString("interrupted, going on\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHitSigint$")
	cmd.Env = append(os.Environ(), "CRASHPOINT_CHILD=2", Env+"=c:sigint")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v, output %q", err, out)
	}
	if !strings.Contains(string(out), "interrupted, going on\n") {
		t.Fatalf("child printed %q", out)
	}
}
