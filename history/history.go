// Package history keeps the record of runs: one row per run with its id,
// job, parameters, environment, start and end, outcome, counts and the
// Summary as JSON. It is the single source of run state: the CLI writes it
// (`ferry runs` and `ferry show RUN` read it) and a later HTTP API serves
// it.
//
// The store is a SQLite file in the user's state directory by default
// ($XDG_STATE_HOME/ferry/history.db, else ~/.local/state/ferry/history.db),
// or a table in a PostgreSQL or MySQL/MariaDB database:
//
//	/var/lib/ferry/history.db                      SQLite file (or sqlite:///path)
//	postgres://ops@db/ops?table=ferry_runs          PostgreSQL table (default ferry_runs)
//	mysql://ops@db:3306/ops?table=ferry_runs        MySQL or MariaDB table
//
// Secrets are never stored: parameter values whose names look like secrets
// are masked, URL passwords and secret query parameters are masked in
// parameters and error texts. A run is recorded when it starts (outcome
// "running") and updated when it ends, so a run killed on the way stays
// visible as "running" with its start time.
package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mysqlx"
	"github.com/ferrydata/ferry/internal/pgurl"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// DefaultTable is the table name of a database store.
const DefaultTable = "ferry_runs"

// The outcomes of a run.
const (
	OutcomeRunning     = "running"
	OutcomeSucceeded   = "succeeded"
	OutcomeFailed      = "failed"
	OutcomeCheckFailed = "check_failed"
)

// ErrNotFound is returned by Get for an unknown run.
var ErrNotFound = errors.New("history: no such run")

// Record is one run.
type Record struct {
	RunID       string            `json:"run_id"`
	Job         string            `json:"job"`
	Command     string            `json:"command,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Host        string            `json:"host,omitempty"`
	Start       time.Time         `json:"start"`
	End         time.Time         `json:"end,omitzero"`
	Outcome     string            `json:"outcome"`
	RowsRead    int64             `json:"rows_read"`
	RowsWritten int64             `json:"rows_written"`
	RowsDirty   int64             `json:"rows_dirty"`
	Error       string            `json:"error,omitempty"`
	// Summary is the run's ferry.Summary as JSON (without the per-split
	// data-quality states); empty in List results and for running runs.
	Summary json.RawMessage `json:"summary,omitempty"`
}

// Elapsed returns End - Start, or 0 for a run that has not ended.
func (r Record) Elapsed() time.Duration {
	if r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// ParseSummary decodes the stored Summary (durations are lost: only their
// seconds are stored, in elapsed_seconds and friends).
func (r Record) ParseSummary() (*ferry.Summary, error) {
	if len(r.Summary) == 0 {
		return nil, nil
	}
	var s ferry.Summary
	if err := json.Unmarshal(r.Summary, &s); err != nil {
		return nil, fmt.Errorf("history: run %s: summary: %w", r.RunID, err)
	}
	var secs struct {
		Elapsed, Read, Write, WaitR, WaitW float64
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(r.Summary, &raw) == nil {
		json.Unmarshal(raw["elapsed_seconds"], &secs.Elapsed)
		json.Unmarshal(raw["read_seconds"], &secs.Read)
		json.Unmarshal(raw["write_seconds"], &secs.Write)
		json.Unmarshal(raw["wait_on_reader_seconds"], &secs.WaitR)
		json.Unmarshal(raw["wait_on_writer_seconds"], &secs.WaitW)
	}
	d := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	s.Elapsed, s.ReadTime, s.WriteTime, s.WaitOnReader, s.WaitOnWriter = d(secs.Elapsed), d(secs.Read), d(secs.Write), d(secs.WaitR), d(secs.WaitW)
	var splits struct {
		Splits []struct {
			Elapsed float64 `json:"elapsed_seconds"`
		} `json:"splits"`
	}
	if json.Unmarshal(r.Summary, &splits) == nil && len(splits.Splits) == len(s.Splits) {
		for i := range s.Splits {
			s.Splits[i].Elapsed = d(splits.Splits[i].Elapsed)
		}
	}
	return &s, nil
}

// Outcome names how a run with this error ended.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeSucceeded
	case errors.Is(err, ferry.ErrCheckFailed):
		return OutcomeCheckFailed
	}
	return OutcomeFailed
}

// DefaultPath returns the default SQLite file: $XDG_STATE_HOME/ferry/
// history.db, else ~/.local/state/ferry/history.db.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "ferry", "history.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history: no state directory: %w (set XDG_STATE_HOME or --history)", err)
	}
	return filepath.Join(home, ".local", "state", "ferry", "history.db"), nil
}

// Store is a run history. It is safe for concurrent use, also by several
// processes (SQLite waits for the file's lock up to 10 seconds).
type Store struct {
	db       *sql.DB
	engine   string // ferry.Engine*
	table    string // quoted
	location string // redacted, for messages
}

// Open opens (and creates, if needed) the store at location: "" for the
// default SQLite file, a file path or sqlite:// URL, or a postgres:// or
// mysql:// (mariadb://) URL with an optional table= parameter.
func Open(ctx context.Context, location string) (*Store, error) {
	s, err := open(location)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func open(location string) (*Store, error) {
	if location == "" {
		p, err := DefaultPath()
		if err != nil {
			return nil, err
		}
		location = p
	}
	scheme := ""
	if i := strings.Index(location, "://"); i > 0 {
		scheme = location[:i]
	}
	switch scheme {
	case "postgres", "postgresql", "mysql", "mariadb":
		return openDB(scheme, location)
	case "sqlite":
		u, err := url.Parse(location)
		if err != nil {
			return nil, fmt.Errorf("history: %s: %w", ferry.Redact(location), err)
		}
		location = u.Path
	case "":
	default:
		return nil, fmt.Errorf("history: %s: unsupported store (want a SQLite file path, sqlite://, postgres:// or mysql://)", ferry.Redact(location))
	}
	if err := os.MkdirAll(filepath.Dir(location), 0o700); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	dsn := "file:" + location + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", location, err)
	}
	return &Store{db: db, engine: ferry.EngineSQLite, table: sqlident.SQLite.MustQuote(DefaultTable), location: location}, nil
}

// The URL parameters of a database store: the table, then the PostgreSQL
// or MySQL connection parameters.
var (
	storeParams = urlparam.Table{{Name: "table", Default: DefaultTable, Doc: "history table, [schema.]name"}}
	pgParams    = urlparam.Join(storeParams, pgurl.ConnParams)
	myParams    = urlparam.Join(storeParams, mysqlx.Params)
)

func openDB(scheme, location string) (*Store, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("history: %s: bad URL", ferry.Redact(location))
	}
	t := myParams
	if scheme == "postgres" || scheme == "postgresql" {
		t = pgParams
	}
	p := t.Values("history", u)
	table := p.String("table", DefaultTable)
	s := &Store{location: ferry.Redact(location)}
	var dialect sqlident.Dialect
	switch scheme {
	case "postgres", "postgresql":
		cs, err := pgurl.ConnString("history", u, p)
		if err != nil {
			return nil, err
		}
		if err := p.Done(); err != nil {
			return nil, err
		}
		if s.db, err = sql.Open("pgx", cs); err != nil {
			return nil, fmt.Errorf("history: %s: %w", s.location, err)
		}
		s.engine, dialect = ferry.EnginePostgreSQL, sqlident.PostgreSQL
	default:
		c, err := mysqlx.ConnConfig("history", u, p)
		if err != nil {
			return nil, err
		}
		if err := p.Done(); err != nil {
			return nil, err
		}
		if s.db, err = mysqlx.OpenDB("history", mysqlx.Session(c, "")); err != nil {
			return nil, err
		}
		s.engine, dialect = ferry.EngineMySQL, sqlident.MySQL
	}
	if s.table, err = dialect.QuoteQualified(table); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("history: table: %w", err)
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Location returns where the store is, with any password masked.
func (s *Store) Location() string { return s.location }

func (s *Store) migrate(ctx context.Context) error {
	text, big := "TEXT", "TEXT"
	if s.engine == ferry.EngineMySQL {
		big = "LONGTEXT"
	}
	key := ""
	if s.engine == ferry.EngineMySQL {
		key = ", KEY ferry_runs_job_start (job, started_us)"
	}
	ddl := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
  run_id VARCHAR(64) NOT NULL PRIMARY KEY,
  job VARCHAR(255) NOT NULL,
  command VARCHAR(32) NOT NULL,
  environment VARCHAR(64) NOT NULL,
  host VARCHAR(255) NOT NULL,
  params %s NOT NULL,
  started_us BIGINT NOT NULL,
  ended_us BIGINT,
  outcome VARCHAR(16) NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_written BIGINT NOT NULL,
  rows_dirty BIGINT NOT NULL,
  error %s,
  summary %s%s)`, s.table, text, text, big, key)
	if _, err := s.db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("history: %s: create table: %w", s.location, err)
	}
	if s.engine != ferry.EngineMySQL {
		// The index name is the table's with a suffix, in the table's schema.
		name := strings.Trim(s.table[strings.LastIndexByte(s.table, '.')+1:], `"`)
		idx := sqlident.PostgreSQL.MustQuote(name + "_job_start")
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (job, started_us)", idx, s.table)); err != nil {
			return fmt.Errorf("history: %s: create index: %w", s.location, err)
		}
	}
	return nil
}

// ph returns the n-th (from 1) bind placeholder.
func (s *Store) ph(n int) string {
	if s.engine == ferry.EnginePostgreSQL {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

const columns = "run_id, job, command, environment, host, params, started_us, ended_us, outcome, rows_read, rows_written, rows_dirty, error, summary"

// Put records rec, replacing any earlier record of the same run. Secrets
// in its parameters and error are masked first.
func (s *Store) Put(ctx context.Context, rec Record) error {
	if rec.RunID == "" {
		return errors.New("history: a record needs a run id")
	}
	if rec.Outcome == "" {
		rec.Outcome = OutcomeRunning
	}
	params, err := json.Marshal(RedactParams(rec.Params))
	if err != nil {
		return fmt.Errorf("history: params: %w", err)
	}
	var end any
	if !rec.End.IsZero() {
		end = rec.End.UnixMicro()
	}
	var summary, errText any
	if len(rec.Summary) > 0 {
		summary = string(rec.Summary)
	}
	if rec.Error != "" {
		errText = RedactText(rec.Error)
	}
	vals := []any{rec.RunID, rec.Job, rec.Command, rec.Environment, rec.Host, string(params), rec.Start.UnixMicro(), end,
		rec.Outcome, rec.RowsRead, rec.RowsWritten, rec.RowsDirty, errText, summary}
	phs := make([]string, len(vals))
	for i := range vals {
		phs[i] = s.ph(i + 1)
	}
	cols := strings.Split(columns, ", ")
	var set []string
	for _, c := range cols[1:] {
		if s.engine == ferry.EngineMySQL {
			set = append(set, fmt.Sprintf("%s = VALUES(%s)", c, c))
		} else {
			set = append(set, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
	conflict := "ON CONFLICT (run_id) DO UPDATE SET "
	if s.engine == ferry.EngineMySQL {
		conflict = "ON DUPLICATE KEY UPDATE "
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) %s%s", s.table, columns, strings.Join(phs, ", "), conflict, strings.Join(set, ", "))
	if _, err := s.db.ExecContext(ctx, q, vals...); err != nil {
		return fmt.Errorf("history: %s: record run %s: %w", s.location, rec.RunID, err)
	}
	return nil
}

// Begin records a run that starts now (outcome "running").
func (s *Store) Begin(ctx context.Context, rec Record) error {
	rec.Outcome, rec.End, rec.Summary = OutcomeRunning, time.Time{}, nil
	if rec.Start.IsZero() {
		rec.Start = time.Now()
	}
	return s.Put(ctx, rec)
}

// Finish records the end of run rec (as given to Begin) with its Summary
// (nil for a run that failed before it started) and error.
func (s *Store) Finish(ctx context.Context, rec Record, sum *ferry.Summary, runErr error) error {
	rec.Outcome = Outcome(runErr)
	rec.End = time.Now()
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	if sum != nil {
		if sum.RunID != "" {
			rec.RunID = sum.RunID
		}
		if !sum.Start.IsZero() && rec.Start.IsZero() {
			rec.Start = sum.Start
		}
		if !sum.End.IsZero() {
			rec.End = sum.End
		}
		rec.RowsRead, rec.RowsWritten, rec.RowsDirty = sum.RowsRead, sum.RowsWritten, sum.RowsDirty
		if rec.Error == "" {
			rec.Error = sum.Error
		}
		js, err := summaryJSON(sum)
		if err != nil {
			return err
		}
		rec.Summary = js
	}
	if rec.Start.IsZero() {
		rec.Start = rec.End
	}
	return s.Put(ctx, rec)
}

// summaryJSON marshals sum without the per-split check states (8 bytes
// per row for a unique-key rule: not history) and with its error masked.
func summaryJSON(sum *ferry.Summary) (json.RawMessage, error) {
	c := *sum
	c.Error = RedactText(c.Error)
	c.Splits = make([]ferry.SplitSummary, len(sum.Splits))
	for i, sp := range sum.Splits {
		sp.Checks = nil
		c.Splits[i] = sp
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("history: summary: %w", err)
	}
	return b, nil
}

// ListOptions filter List. The zero value lists the 20 newest runs.
type ListOptions struct {
	// Job and Outcome, when set, keep only the runs of that job or with
	// that outcome.
	Job, Outcome string
	// Limit is the most runs returned; 0 means 20.
	Limit int
}

// List returns runs newest first, without their Summary.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Record, error) {
	if o.Limit <= 0 {
		o.Limit = 20
	}
	var where []string
	var args []any
	if o.Job != "" {
		args = append(args, o.Job)
		where = append(where, "job = "+s.ph(len(args)))
	}
	if o.Outcome != "" {
		args = append(args, o.Outcome)
		where = append(where, "outcome = "+s.ph(len(args)))
	}
	q := "SELECT " + strings.Replace(columns, ", summary", ", NULL", 1) + " FROM " + s.table
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY started_us DESC, run_id DESC LIMIT %d", o.Limit)
	return s.query(ctx, q, args...)
}

// Get returns run id, or the one run whose id starts with id; ErrNotFound
// when there is none.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	recs, err := s.query(ctx, "SELECT "+columns+" FROM "+s.table+" WHERE run_id = "+s.ph(1), id)
	if err != nil {
		return nil, err
	}
	if len(recs) == 1 {
		return &recs[0], nil
	}
	if id == "" {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	pattern := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(id) + "%"
	recs, err = s.query(ctx, "SELECT "+columns+" FROM "+s.table+" WHERE run_id LIKE "+s.ph(1)+" ESCAPE '!' ORDER BY started_us DESC LIMIT 2", pattern)
	if err != nil {
		return nil, err
	}
	switch len(recs) {
	case 0:
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	case 1:
		return &recs[0], nil
	}
	return nil, fmt.Errorf("history: %q names more than one run (%s, %s, ...): give more of the id", id, recs[0].RunID, recs[1].RunID)
}

// PreviousRows returns the rows written by the newest succeeded run of job
// other than runID, and false when there is none: the row-count rule's
// ratio (quality.RowCountSpec.Previous).
func (s *Store) PreviousRows(ctx context.Context, job, runID string) (int64, bool, error) {
	q := fmt.Sprintf("SELECT rows_written FROM %s WHERE job = %s AND outcome = %s AND run_id <> %s ORDER BY started_us DESC LIMIT 1",
		s.table, s.ph(1), s.ph(2), s.ph(3))
	var n int64
	err := s.db.QueryRowContext(ctx, q, job, OutcomeSucceeded, runID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("history: %s: previous run of %s: %w", s.location, job, err)
	}
	return n, true, nil
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.location, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var params string
		var start int64
		var end sql.NullInt64
		var errText, summary sql.NullString
		if err := rows.Scan(&r.RunID, &r.Job, &r.Command, &r.Environment, &r.Host, &params, &start, &end, &r.Outcome,
			&r.RowsRead, &r.RowsWritten, &r.RowsDirty, &errText, &summary); err != nil {
			return nil, fmt.Errorf("history: %s: %w", s.location, err)
		}
		if params != "" && params != "null" {
			if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
				return nil, fmt.Errorf("history: run %s: params: %w", r.RunID, err)
			}
		}
		r.Start = time.UnixMicro(start).UTC()
		if end.Valid {
			r.End = time.UnixMicro(end.Int64).UTC()
		}
		r.Error = errText.String
		if summary.Valid && summary.String != "" {
			r.Summary = json.RawMessage(summary.String)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.location, err)
	}
	return out, nil
}

// secretName reports a parameter name that looks like a secret.
func secretName(k string) bool {
	lk := strings.ToLower(k)
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "api_key", "credential", "private"} {
		if strings.Contains(lk, w) {
			return true
		}
	}
	return strings.HasSuffix(lk, "_key") || lk == "pwd"
}

// RedactParams returns params with secret-looking names masked and
// passwords masked in URL values.
func RedactParams(params map[string]string) map[string]string {
	if params == nil {
		return nil
	}
	out := make(map[string]string, len(params))
	for k, v := range params {
		switch {
		case secretName(k):
			out[k] = "xxxxx"
		case strings.Contains(v, "://"):
			out[k] = ferry.Redact(v)
		default:
			out[k] = RedactText(v)
		}
	}
	return out
}

var (
	userinfoPassword = regexp.MustCompile(`(://[^/?#\s:@]*):[^@/\s]*@`)
	secretPair       = regexp.MustCompile(`(?i)(\b[a-z_]*(?:password|passwd|secret|token|apikey|api_key|_key)=)[^&\s]*`)
)

// RedactText masks URL passwords (scheme://user:xxxxx@host) and the values
// of secret-looking name=value pairs in free text, such as an error.
func RedactText(s string) string {
	s = userinfoPassword.ReplaceAllString(s, "${1}:xxxxx@")
	return secretPair.ReplaceAllString(s, "${1}xxxxx")
}
