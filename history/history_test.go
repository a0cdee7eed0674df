package history_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/history"
	"github.com/ferrydata/ferry/internal/testenv"
)

func withParams(base, params string) string {
	if strings.Contains(base, "?") {
		return base + "&" + params
	}
	return base + "?" + params
}

func randName() string {
	var b [4]byte
	rand.Read(b[:])
	return "ops_hist_" + hex.EncodeToString(b[:])
}

func mysqlDSN(t *testing.T) string {
	u, err := url.Parse(testenv.MySQLURL())
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":3306"
	}
	return u.User.Username() + ":" + pw + "@tcp(" + host + ")" + u.Path
}

// stores returns the stores under test: a SQLite file, and a table in the
// real PostgreSQL and MariaDB (dropped at the end).
func stores(t *testing.T) map[string]func(t *testing.T) *history.Store {
	open := func(t *testing.T, loc string) *history.Store {
		s, err := history.Open(context.Background(), loc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return map[string]func(t *testing.T) *history.Store{
		"sqlite": func(t *testing.T) *history.Store {
			return open(t, filepath.Join(t.TempDir(), "state", "history.db"))
		},
		"postgresql": func(t *testing.T) *history.Store {
			db := testenv.Ping(t, "pgx", testenv.PostgresURL(), "PostgreSQL")
			name := randName()
			t.Cleanup(func() { db.Exec(`DROP TABLE IF EXISTS "` + name + `"`); db.Close() })
			return open(t, withParams(testenv.PostgresURL(), "table="+name))
		},
		"mariadb": func(t *testing.T) *history.Store {
			db := testenv.Ping(t, "mysql", mysqlDSN(t), "MariaDB")
			name := randName()
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS `" + name + "`"); db.Close() })
			return open(t, withParams(testenv.MySQLURL(), "table="+name))
		},
	}
}

func summary(id string, rows int64, start time.Time, err error) *ferry.Summary {
	s := &ferry.Summary{RunID: id, Start: start, End: start.Add(1500 * time.Millisecond), Elapsed: 1500 * time.Millisecond,
		RowsRead: rows, RowsWritten: rows, SplitsTotal: 2, SplitsDone: 2, Committed: err == nil,
		WaitOnReader: 250 * time.Millisecond,
		Splits: []ferry.SplitSummary{
			{ID: "a", RowsWritten: rows / 2, Done: true, Elapsed: time.Second, Checks: map[string]json.RawMessage{"unique(id)": json.RawMessage(`{"keys":"AAAAAAAAAAA="}`)}},
			{ID: "b", RowsWritten: rows - rows/2, Done: true},
		},
		Checks: []ferry.CheckResult{{Name: "unique(id)", Blocking: true, Passed: err == nil}},
	}
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

func TestHistory(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			ctx := context.Background()
			t0 := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
			runs := []struct {
				id, job string
				rows    int64
				err     error
			}{
				{"20261130t010000_aaaa0001", "orders", 100, nil},
				{"20261130t020000_aaaa0002", "orders", 120, nil},
				{"20261130t030000_bbbb0003", "customers", 7, nil},
				{"20261130t040000_aaaa0004", "orders", 3, fmt.Errorf("run: %w: unique(id): 2 duplicate keys", ferry.ErrCheckFailed)},
				{"20261130t050000_aaaa0005", "orders", 0, errors.New("ferry: connect postgres://app:hunter2@db/x?sslpassword=p4ss: refused")},
			}
			for i, r := range runs {
				rec := history.Record{RunID: r.id, Job: r.job, Command: "run", Environment: "prod", Host: "h1",
					Start:  t0.Add(time.Duration(i) * time.Hour),
					Params: map[string]string{"bizdate": "20261129", "db_password": "hunter2", "source": "postgres://app:hunter2@db/x?table=t&api_token=tok"}}
				if err := s.Begin(ctx, rec); err != nil {
					t.Fatal(err)
				}
				if i == len(runs)-1 {
					// failed before it started: no Summary
					if err := s.Finish(ctx, rec, nil, r.err); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := s.Finish(ctx, rec, summary(r.id, r.rows, rec.Start, r.err), r.err); err != nil {
					t.Fatal(err)
				}
			}
			// One more that is still running (or was killed).
			if err := s.Begin(ctx, history.Record{RunID: "20261130t060000_cccc0006", Job: "orders", Command: "sync", Start: t0.Add(6 * time.Hour)}); err != nil {
				t.Fatal(err)
			}

			all, err := s.List(ctx, history.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range all {
				got = append(got, r.RunID[16:]+":"+r.Outcome)
				if r.Summary != nil {
					t.Errorf("List returned a summary")
				}
			}
			want := "cccc0006:running aaaa0005:failed aaaa0004:check_failed bbbb0003:succeeded aaaa0002:succeeded aaaa0001:succeeded"
			if strings.Join(got, " ") != want {
				t.Errorf("list %v, want %s", got, want)
			}
			failed, err := s.List(ctx, history.ListOptions{Job: "orders", Outcome: history.OutcomeFailed, Limit: 5})
			if err != nil || len(failed) != 1 || failed[0].RunID != runs[4].id {
				t.Errorf("failed orders runs %+v %v", failed, err)
			}
			two, _ := s.List(ctx, history.ListOptions{Limit: 2})
			if len(two) != 2 {
				t.Errorf("limit 2: %d", len(two))
			}

			rec, err := s.Get(ctx, runs[1].id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Job != "orders" || rec.RowsWritten != 120 || rec.Outcome != "succeeded" || rec.Environment != "prod" || rec.Elapsed() != 1500*time.Millisecond {
				t.Errorf("record %+v", rec)
			}
			sum, err := rec.ParseSummary()
			if err != nil {
				t.Fatal(err)
			}
			if sum.RowsWritten != 120 || sum.Elapsed != 1500*time.Millisecond || sum.WaitOnReader != 250*time.Millisecond || sum.Splits[0].Elapsed != time.Second || len(sum.Checks) != 1 {
				t.Errorf("summary %+v", sum)
			}
			if sum.Splits[0].Checks != nil || strings.Contains(string(rec.Summary), "AAAAAAAAAAA=") {
				t.Errorf("split check states were stored: %s", rec.Summary)
			}
			if !strings.Contains(sum.Report(), "rows written           120") {
				t.Errorf("report %s", sum.Report())
			}
			// Secrets never stored.
			if rec.Params["db_password"] != "xxxxx" || strings.Contains(rec.Params["source"], "hunter2") || strings.Contains(rec.Params["source"], "=tok") || rec.Params["bizdate"] != "20261129" {
				t.Errorf("params %v", rec.Params)
			}
			bad, err := s.Get(ctx, runs[4].id)
			if err != nil {
				t.Fatal(err)
			}
			if bad.Outcome != "failed" || strings.Contains(bad.Error, "hunter2") || strings.Contains(bad.Error, "p4ss") || !strings.Contains(bad.Error, "refused") || bad.Summary != nil {
				t.Errorf("failed record %+v", bad)
			}
			// Prefixes, unknown ids.
			if r, err := s.Get(ctx, "20261130t030000"); err != nil || r.Job != "customers" {
				t.Errorf("prefix: %+v %v", r, err)
			}
			if _, err := s.Get(ctx, "20261130"); err == nil || !strings.Contains(err.Error(), "more than one run") {
				t.Errorf("ambiguous prefix: %v", err)
			}
			if _, err := s.Get(ctx, "nope"); !errors.Is(err, history.ErrNotFound) {
				t.Errorf("unknown run: %v", err)
			}
			if _, err := s.Get(ctx, "2026%"); !errors.Is(err, history.ErrNotFound) {
				t.Errorf("LIKE pattern: %v", err)
			}
			if _, err := s.Get(ctx, "20261130t0_0000"); !errors.Is(err, history.ErrNotFound) {
				t.Errorf("_ is not a wildcard: %v", err)
			}
			if r, err := s.Get(ctx, "20261130t040000_"); err != nil || r.Outcome != "check_failed" {
				t.Errorf("prefix with _: %+v %v", r, err)
			}
			// The previous successful run of a job.
			n, ok, err := s.PreviousRows(ctx, "orders", "20261130t060000_cccc0006")
			if err != nil || !ok || n != 120 {
				t.Errorf("previous rows %d %v %v", n, ok, err)
			}
			n, ok, err = s.PreviousRows(ctx, "orders", runs[1].id)
			if err != nil || !ok || n != 100 {
				t.Errorf("previous rows excluding the last: %d %v %v", n, ok, err)
			}
			if _, ok, err := s.PreviousRows(ctx, "nothing", ""); ok || err != nil {
				t.Errorf("previous of an unknown job: %v %v", ok, err)
			}
		})
	}
}

func TestReopenKeepsRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	ctx := context.Background()
	for i := range 2 {
		s, err := history.Open(ctx, "sqlite://"+path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, history.Record{RunID: fmt.Sprintf("r%d", i), Job: "j"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		list, err := s.List(ctx, history.ListOptions{})
		if err != nil || len(list) != i+1 {
			t.Fatalf("open %d: %d runs, %v", i, len(list), err)
		}
		s.Close()
	}
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	p, err := history.DefaultPath()
	if err != nil || p != filepath.Join(dir, "ferry", "history.db") {
		t.Errorf("default path %q %v", p, err)
	}
	s, err := history.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Location() != p {
		t.Errorf("location %q", s.Location())
	}
	t.Setenv("XDG_STATE_HOME", "relative/dir") // ignored, as the spec says
	t.Setenv("HOME", dir)
	if p, _ := history.DefaultPath(); p != filepath.Join(dir, ".local", "state", "ferry", "history.db") {
		t.Errorf("fallback path %q", p)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, loc := range []string{
		"redis://localhost/0",
		"postgres://u:secretpw@127.0.0.1:1/db?table=a;drop",
		"postgres://u:secretpw@127.0.0.1:1/db?tabel=x",
		"mysql://u:secretpw@127.0.0.1:1/db?table=a.b.c",
	} {
		s, err := history.Open(context.Background(), loc)
		if err == nil {
			s.Close()
			t.Errorf("%s: opened", loc)
			continue
		}
		if strings.Contains(err.Error(), "secretpw") || !strings.HasPrefix(err.Error(), "history: ") {
			t.Errorf("%s: error %v", loc, err)
		}
	}
}

func TestRedactText(t *testing.T) {
	for in, want := range map[string]string{
		"dial postgres://app:hunter2@db:5432/x failed": "dial postgres://app:xxxxx@db:5432/x failed",
		"mysql://root@h/db?password=pw&table=t":        "mysql://root@h/db?password=xxxxx&table=t",
		"token=abc secret=def access_key=ghi plain=ok": "token=xxxxx secret=xxxxx access_key=xxxxx plain=ok",
	} {
		if got := history.RedactText(in); got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
	}
	_ = sql.ErrNoRows
}
