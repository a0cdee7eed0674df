package pgwriter_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// cutProxy forwards TCP to the test server and, when the client sends the
// statement COMMIT, cuts both connections: after forwarding it (the server
// commits, the client never hears) or before (nothing commits).
func cutProxy(t *testing.T, forward bool) string {
	t.Helper()
	return testenv.ProxiedURL(t, testenv.PostgresURL(), "5432", func(up bool, dst, src net.Conn) {
		if !up {
			testenv.Relay(dst, src, nil)
			return
		}
		testenv.Relay(dst, src, func(p []byte) (int, bool) {
			if !bytes.Contains(p, []byte("\x00COMMIT\x00")) {
				return len(p), true
			}
			if !forward {
				return 0, false
			}
			// hang up on both before the answer can be relayed: the
			// server reads the COMMIT ahead of the end of the stream
			// and runs it
			return len(p), false
		})
	})
}

// TestCommitOutcomeUnknown: a Commit whose connection dies after COMMIT was
// sent returns an error marked ferry.OutcomeUnknown, and Status (in another
// process) tells whether it happened; a second Commit is then a no-op or
// does the commit.
func TestCommitOutcomeUnknown(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, forward := range []bool{true, false} {
		tbl := tableName(t, map[bool]string{true: "sent", false: "lost"}[forward])
		oldRows(t, tbl)
		b1 := batch(mem, seq(2001, 3001), "new", "x")
		run := ferry.NewRunID()
		a := stagedWriter(t, tbl, ferry.ModeInsert, run, b1.Schema(), nil)
		copySplit(t, a, "s1", b1)
		b1.Release()
		proxied, err := pgwriter.New(pgwriter.Config{ConnString: cutProxy(t, forward), Table: tbl})
		if err != nil {
			t.Fatal(err)
		}
		defer proxied.Close()
		if err := proxied.PrepareStage(ctx, run, b1.Schema()); err != nil {
			t.Fatal(err)
		}
		err = proxied.Commit(ctx)
		if !ferry.IsOutcomeUnknown(err) {
			t.Fatalf("forward=%v: Commit over a connection cut at COMMIT: %v, want an outcome-unknown error", forward, err)
		}
		st := marks(t, a)
		for i := 0; forward && !st.Committed && i < 100; i++ {
			// the server may still be running the COMMIT it read
			time.Sleep(50 * time.Millisecond)
			st = marks(t, a)
		}
		if st.Committed != forward {
			t.Errorf("forward=%v: Status says committed=%v", forward, st.Committed)
		}
		wantNew := map[bool]int64{true: 1000, false: 0}[forward]
		if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'new'"); n != wantNew {
			t.Errorf("forward=%v: %d new rows, want %d", forward, n, wantNew)
		}
		// the driver resolves it: Commit again (a no-op when it happened)
		if err := a.Commit(ctx); err != nil {
			t.Fatalf("forward=%v: Commit after the outcome-unknown one: %v", forward, err)
		}
		if n := count(t, "SELECT count(*) FROM "+tbl+" WHERE str = 'new'"); n != 1000 {
			t.Errorf("forward=%v: %d new rows after resolving, want 1000 (once)", forward, n)
		}
	}
}
