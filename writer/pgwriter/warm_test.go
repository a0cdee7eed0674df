package pgwriter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// TestWarm: Warm dials the admin connection in the background and
// PrepareStage takes it (no second admin connection); a writer warmed and
// closed without a Prepare leaves no connection behind; a Warm whose dial
// fails leaves PrepareStage to report the connect error itself.
func TestWarm(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b := batch(mem, seq(1, 11), "new", "20250726")
	defer b.Release()
	backends := func(app string) int64 {
		return count(t, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app)
	}
	waitFor := func(app string, want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for backends(app) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d backends, want %d", app, backends(app), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	withApp := func(app string) string {
		cs := connString()
		sep := "?"
		if strings.Contains(cs, "?") {
			sep = "&"
		}
		return cs + sep + "application_name=" + app
	}

	t.Run("prepare takes it", func(t *testing.T) {
		app := "ferry_warm_" + strings.ReplaceAll(ferry.NewRunID(), "_", "")
		tbl := tableName(t, "warm")
		exec(t, "CREATE TABLE "+tbl+" (id bigint PRIMARY KEY, str text, biz_date text)")
		w, err := pgwriter.New(pgwriter.Config{ConnString: withApp(app), Table: tbl, Mode: ferry.ModeInsert})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.Warm(ctx)
		waitFor(app, 1)
		if err := w.PrepareStage(ctx, ferry.NewRunID(), b.Schema()); err != nil {
			t.Fatal(err)
		}
		// the admin connection and the spare one for the first split
		waitFor(app, 2)
		copySplit(t, w, "s1", b)
		if err := w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, "SELECT count(*) FROM "+tbl); n != 10 {
			t.Errorf("%d rows, want 10", n)
		}
		w.Close()
		waitFor(app, 0)
	})
	t.Run("closed unused", func(t *testing.T) {
		app := "ferry_warm_" + strings.ReplaceAll(ferry.NewRunID(), "_", "")
		w, err := pgwriter.New(pgwriter.Config{ConnString: withApp(app), Table: "t"})
		if err != nil {
			t.Fatal(err)
		}
		w.Warm(ctx)
		w.Warm(ctx) // a second Warm dials nothing more
		waitFor(app, 1)
		w.Close()
		waitFor(app, 0)
	})
	t.Run("dial fails", func(t *testing.T) {
		w, err := pgwriter.New(pgwriter.Config{ConnString: "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", Table: "t"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.Warm(ctx)
		err = w.PrepareStage(ctx, ferry.NewRunID(), b.Schema())
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("PrepareStage = %v, want the connect error naming the server", err)
		}
	})
}
