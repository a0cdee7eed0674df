package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/testenv"
	"github.com/ferrydata/ferry/metrics"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// hookServer records the generic alert bodies it receives; status is what
// it answers.
type hookServer struct {
	mu     sync.Mutex
	bodies []map[string]any
	status atomic.Int32
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	json.NewDecoder(r.Body).Decode(&m)
	h.mu.Lock()
	h.bodies = append(h.bodies, m)
	h.mu.Unlock()
	if s := h.status.Load(); s != 0 {
		w.WriteHeader(int(s))
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func parseOps(t *testing.T, args ...string) *opsFlags {
	t.Helper()
	var f opsFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	registerOpsFlags(fs, &f)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &f
}

func idBatch(mem memory.Allocator, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer b.Release()
	for i := 1; i <= n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

// opsPipelineRun runs 4 splits of 25 rows through setupOps/Finish; mid is
// called from inside the writer once, mid-run, with the session.
func opsPipelineRun(t *testing.T, f *opsFlags, run opsRun, wopts memwriter.Options, mid func(*opsSession)) (*ferry.Summary, error, opsResult, string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	b := idBatch(mem, 25)
	r := memreader.New([]arrow.RecordBatch{b}, &memreader.Options{Repeat: 4, Delay: 5 * time.Millisecond})
	b.Release()
	tbl := memwriter.NewTable()
	t.Cleanup(tbl.Release)
	var stderr bytes.Buffer
	opts := &ferry.Options{Concurrency: 2, Allocator: mem}
	if wopts.Reject != nil {
		opts.Dirty = dirty.IgnoreAll()
	}
	s, err := setupOps(context.Background(), f, run, opts, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	inner := wopts.WriteErr
	wopts.WriteErr = func(call int64) error {
		if calls.Add(1) == 2 && mid != nil {
			mid(s)
		}
		if inner != nil {
			return inner(call)
		}
		return nil
	}
	sum, runErr := ferry.New(r, memwriter.New(tbl, &wopts), opts).Run(context.Background())
	res := s.Finish(sum, runErr)
	return sum, runErr, res, stderr.String()
}

func TestOpsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	hook := &hookServer{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	alerts := writeFile(t, dir, "alerts.json", `{"webhooks": [{"url": "`+srv.URL+`/hook"}],
	  "rules": [{"when": "failure"}, {"when": "rows_below", "rows": 1000}], "backoff": "1ms"}`)
	checks := writeFile(t, dir, "checks.json", `[{"type": "row_count", "min_ratio": 0.5}, {"type": "unique", "columns": ["id"], "severity": "warning"}]`)
	hist := filepath.Join(dir, "history.db")
	f := parseOps(t, "--history", hist, "--alert", alerts, "--checks", checks, "--metrics-addr", "127.0.0.1:0", "--log-format", "json", "--job-name", "orders")

	// Run 1: succeeds; scraped mid-run.
	var scraped string
	sum, err, res, stderr := opsPipelineRun(t, f, opsRun{Command: "sync", Environment: "prod", Params: map[string]string{"from": "postgres://u:pw@h/db?table=t"}}, memwriter.Options{},
		func(s *opsSession) {
			resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			scraped = string(body)
		})
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(scraped, `ferry_rows_written_total{job="orders",run="`+sum.RunID+`"}`) || !strings.Contains(scraped, "go_goroutines") {
		t.Errorf("mid-run scrape:\n%s", scraped)
	}
	// rows_below 1000 fired (100 rows): one alert, generic format.
	if len(res.Alerts) != 1 || res.Alerts[0].Err != nil || len(hook.bodies) != 1 || hook.bodies[0]["rule"] != "rows_below_1000" || hook.bodies[0]["job"] != "orders" {
		t.Errorf("alerts %+v, bodies %v", res.Alerts, hook.bodies)
	}
	if len(sum.Checks) != 2 || !strings.Contains(sum.Checks[0].Detail, "no previous run") {
		t.Errorf("checks %+v", sum.Checks)
	}
	// JSON logs carry job and run.
	if !strings.Contains(stderr, `"job":"orders"`) || !strings.Contains(stderr, `"msg":"ferry: serving metrics"`) {
		t.Errorf("logs: %s", stderr)
	}

	// Run 2: the writer rejects 3 rows of 4 as dirty (tolerated): 28 rows
	// written (7 a split), 0.28 of run 1's 100 in the history, under min_ratio 0.5: the
	// blocking row_count rule stops the run.
	sum2, err, _, _ := opsPipelineRun(t, f, opsRun{Command: "sync"}, memwriter.Options{Reject: func(b arrow.RecordBatch, row int) error {
		if row%4 != 0 {
			return errors.New("not a multiple of 4")
		}
		return nil
	}}, nil)
	if !errors.Is(err, ferry.ErrCheckFailed) || !strings.Contains(sum2.Checks[0].Detail, "28 rows written is 0.28 of the previous run's 100, under 0.5") {
		t.Fatalf("run 2: %v %+v", err, sum2.Checks)
	}
	// Run 3: the writer's commit fails (alerts: failure + rows_below), and
	// the alert endpoint answers 500: a warning, the run's error unchanged.
	hook.status.Store(500)
	_, err3, res3, stderr3 := opsPipelineRun(t, f, opsRun{Command: "sync"}, memwriter.Options{CommitErr: errors.New("disk full")}, nil)
	if err3 == nil || !strings.Contains(err3.Error(), "disk full") {
		t.Fatalf("run 3: %v", err3)
	}
	if len(res3.Alerts) != 2 || res3.Alerts[0].Err == nil || !strings.Contains(stderr3, "not delivered") {
		t.Errorf("run 3 alerts %+v, stderr %s", res3.Alerts, stderr3)
	}
	hook.status.Store(0)

	// ferry runs lists the three, newest first, with their outcomes.
	code, out, errOut := callOps(t, runRuns, "--history", hist)
	if code != 0 {
		t.Fatal(errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "RUN") || !strings.Contains(lines[1], " failed ") || !strings.Contains(lines[2], "check_failed") || !strings.Contains(lines[3], "succeeded") {
		t.Errorf("runs:\n%s", out)
	}
	if !strings.Contains(lines[3], sum.RunID) || !strings.Contains(lines[3], "orders") || !strings.Contains(lines[3], "prod") {
		t.Errorf("first run's line: %s", lines[3])
	}
	code, out, _ = callOps(t, runRuns, "--history", hist, "--outcome", "failed", "--json")
	var recs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 || !strings.Contains(recs[0]["error"].(string), "disk full") {
		t.Errorf("runs --json --outcome failed: %d %s", code, out)
	}

	// ferry show prints the report; secrets never stored.
	code, out, errOut = callOps(t, runShow, "--history", hist, sum.RunID[:len(sum.RunID)-2])
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"Run " + sum.RunID, "job                    orders", "environment            prod", "outcome                succeeded",
		"Ferry run succeeded", "rows written           100", "check                  row_count passed", "from=postgres://u:xxxxx@h/db?table=t"} {
		if !strings.Contains(out, want) {
			t.Errorf("show: no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, ":pw@") {
		t.Errorf("show prints a password:\n%s", out)
	}
	code, out, _ = callOps(t, runShow, "--history", hist, "--json", sum.RunID)
	var rec map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rec) != nil || rec["summary"] == nil {
		t.Errorf("show --json: %d %s", code, out)
	}
	if code, _, errOut := callOps(t, runShow, "--history", hist, "nope"); code != 1 || !strings.Contains(errOut, "no such run") {
		t.Errorf("show of an unknown run: %d %s", code, errOut)
	}
	if code, _, _ := callOps(t, runShow, "--history", hist); code != 2 {
		t.Errorf("show without a run: %d", code)
	}
	if code, _, _ := callOps(t, runRuns, "--history", hist, "--outcome", "meh"); code != 2 {
		t.Errorf("runs with a bad outcome: %d", code)
	}
}

func TestOpsLogsMaskSecrets(t *testing.T) {
	var buf bytes.Buffer
	l, err := newOpsLogger(&buf, "text", "debug")
	if err != nil {
		t.Fatal(err)
	}
	l.Warn("connect", "url", "mysql://root:hunter2@db/x?password=p2", "err", errors.New("dial postgres://a:hunter3@h: refused"))
	if s := buf.String(); strings.Contains(s, "hunter2") || strings.Contains(s, "hunter3") || strings.Contains(s, "p2") || !strings.Contains(s, "refused") {
		t.Errorf("log line: %s", s)
	}
	for _, args := range [][]string{{"--log-level", "loud"}, {"--log-format", "xml"}, {"--alert", "/nonexistent/alerts.json"}, {"--checks", "/nonexistent/checks.json"}, {"--metrics-addr", "256.0.0.1:99999"}} {
		f := parseOps(t, append(args, "--history", "off")...)
		if _, err := setupOps(context.Background(), f, opsRun{Command: "sync"}, &ferry.Options{}, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	dir := t.TempDir()
	bad := writeFile(t, dir, "checks.json", `[{"type": "nope"}]`)
	if _, err := setupOps(context.Background(), parseOps(t, "--checks", bad, "--history", "off"), opsRun{}, &ferry.Options{}, io.Discard); err == nil || !strings.Contains(err.Error(), "checks.json") {
		t.Errorf("bad checks file: %v", err)
	}
}

func TestOpsHistoryOffAndUnreachable(t *testing.T) {
	var stderr bytes.Buffer
	opts := &ferry.Options{}
	s, err := setupOps(context.Background(), parseOps(t, "--history", "redis://x"), opsRun{Command: "sync"}, opts, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "run history off for this run") || opts.RunID == "" || opts.Observer == nil || opts.Logger == nil {
		t.Errorf("stderr %q, opts %+v", stderr.String(), opts)
	}
	if res := s.Finish(nil, errors.New("x")); res.HistoryErr != nil {
		t.Errorf("finish: %+v", res)
	}
	if code, _, errOut := callOps(t, runRuns, "--history", "off"); code != 1 || !strings.Contains(errOut, "no history") {
		t.Errorf("runs --history off: %d %s", code, errOut)
	}
}

// callOps runs a history command (runRuns or runShow) with args.
func callOps(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestOpsMetricsDuringPostgresRun scrapes /metrics while a real PostgreSQL
// to PostgreSQL run goes on (slowed by a rate limit), then checks the final
// numbers against the Summary.
func TestOpsMetricsDuringPostgresRun(t *testing.T) {
	db := testenv.Ping(t, "pgx", testenv.PostgresURL(), "PostgreSQL")
	defer db.Close()
	// Unique names: another process may run this test at the same time.
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e12, 36) + strconv.Itoa(os.Getpid())
	src, dst := "ops_metrics_src_"+suffix, "ops_metrics_dst_"+suffix
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + src, "DROP TABLE IF EXISTS " + dst,
		"CREATE TABLE " + src + " (id bigint PRIMARY KEY, name text)",
		"INSERT INTO " + src + " SELECT g, 'name ' || g FROM generate_series(1, 20000) g",
		"CREATE TABLE " + dst + " (id bigint PRIMARY KEY, name text)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + src); db.Exec("DROP TABLE IF EXISTS " + dst) })
	with := func(p string) string {
		u := testenv.PostgresURL()
		if strings.Contains(u, "?") {
			return u + "&" + p
		}
		return u + "?" + p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // fail, never hang
	defer cancel()
	r, err := ferry.OpenReader(ctx, with("table="+src+"&splitPk=id"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ferry.OpenWriter(ctx, with("table="+dst))
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	opts := &ferry.Options{Concurrency: 2, RowsPerSecond: 25000, BatchRows: 1000, ProgressInterval: 50 * time.Millisecond}
	s, err := setupOps(ctx, parseOps(t, "--history", "off", "--metrics-addr", "127.0.0.1:0", "--job-name", "pg"), opsRun{Command: "sync"}, opts, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + s.MetricsAddr() + "/metrics"
	written := `ferry_rows_written_total{job="pg",run="` + opts.RunID + `"} `
	read := `ferry_rows_read_total{job="pg",run="` + opts.RunID + `"} `
	sample := func(body, name string) float64 {
		i := strings.Index(body, name)
		if i < 0 {
			return -1
		}
		rest := body[i+len(name):]
		v, _ := strconv.ParseFloat(rest[:strings.IndexByte(rest, '\n')], 64)
		return v
	}
	scrape := func() string {
		resp, err := http.Get(url)
		if err != nil {
			t.Error(err)
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	done := make(chan struct{})
	var midWritten, midRead float64
	go func() {
		defer close(done)
		for range 200 {
			body := scrape()
			if v := sample(body, written); v > 0 && v < 20000 {
				midWritten, midRead = v, sample(body, read)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	sum, runErr := ferry.New(r, w, opts).Run(ctx)
	<-done
	if runErr != nil {
		t.Fatal(runErr)
	}
	if midWritten <= 0 || midWritten >= float64(sum.RowsWritten) || midRead < 0 {
		t.Errorf("no mid-run scrape with 0 < rows written < %d: %v (read %v)", sum.RowsWritten, midWritten, midRead)
	}
	s.collector.Finish(sum, nil) // what Finish does first, to scrape before the server stops
	end := scrape()
	if sample(end, written) != float64(sum.RowsWritten) || sample(end, read) != float64(sum.RowsRead) || sum.RowsWritten != 20000 {
		t.Errorf("final scrape: written %v read %v, summary %d/%d", sample(end, written), sample(end, read), sum.RowsWritten, sum.RowsRead)
	}
	s.collector = metrics.New(nil) // Finish below must not count the run twice
	s.Finish(sum, nil)
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + dst).Scan(&n); err != nil || n != 20000 {
		t.Errorf("destination has %d rows: %v", n, err)
	}
}
