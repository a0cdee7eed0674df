package job

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/reader/sqlshard"
)

// scenarioKeys reads the sync-scenario keys of a Ferry job's top level or
// of a DataX/DataWorks reader's parameter (an extension there):
//
//	"cursor": "updated_at,id"   (or a list, or {"columns": [...], "nulls": "exclude", "lookback": "10m"})
//	"cursorNulls": "exclude", "cursorLookback": "10m"
//	"sourceColumns": ["_db", "_table"]   (or "_db,_table"; NAME:KIND with KIND database, schema, table, source)
//	"maxPerSource": 2
func scenarioKeys(j *Job, o *obj) error {
	if v, ok := o.get("cursor"); ok {
		c := &Cursor{}
		if m, isObj := v.(map[string]any); isObj {
			if err := strictDecode(o.at("cursor"), m, c); err != nil {
				return err
			}
		} else {
			cols, err := o.strs("cursor")
			if err != nil {
				return err
			}
			c.Columns = splitLists(cols)
		}
		var err error
		if n, _ := o.str("cursorNulls"); n != "" {
			c.Nulls = n
		}
		if c.Lookback == "" {
			if c.Lookback, err = o.str("cursorLookback"); err != nil {
				return err
			}
		}
		if _, err := c.spec(); err != nil {
			return fmt.Errorf("job: %s: %s", o.at("cursor"), strings.TrimPrefix(err.Error(), "cursor: "))
		}
		j.Cursor = c
	} else if o.has("cursorNulls") || o.has("cursorLookback") {
		return fmt.Errorf("job: %s: cursorNulls and cursorLookback go with cursor", o.path)
	}
	cols, err := o.strs("sourceColumns")
	if err != nil {
		return err
	}
	j.SourceColumns = append(j.SourceColumns, splitLists(cols)...)
	if n, ok, err := o.integer("maxPerSource"); err != nil {
		return err
	} else if ok {
		if n < -1 {
			return fmt.Errorf("job: %s is %d; want -1 (no cap), 0 (the default) or more", o.at("maxPerSource"), n)
		}
		j.MaxPerSource = int(n)
	}
	return nil
}

// splitLists returns the names of a list whose items may be comma lists
// themselves ("a,b" or ["a", "b"]).
func splitLists(items []string) []string {
	var out []string
	for _, s := range items {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// spec returns the cursor package's Spec.
func (c *Cursor) spec() (cursor.Spec, error) {
	s := cursor.Spec{Columns: c.Columns, Nulls: cursor.NullPolicy(c.Nulls)}
	if c.Lookback != "" {
		d, err := time.ParseDuration(c.Lookback)
		if err != nil {
			return s, fmt.Errorf("lookback %q is not a duration (10m, 2h)", c.Lookback)
		}
		s.Lookback = d
	}
	return s, s.Check()
}

// A CursorStore keeps the cursors of incremental jobs (cursor.FileStore
// is one).
type CursorStore interface {
	Load(key string) (*cursor.State, error)
	Save(key string, values []cursor.Value, runID string) error
}

// CursorKey is the default state key of the job's cursor: its source parts
// and destination, secrets masked.
func (p *Parsed) CursorKey() string {
	parts := []string{"job"}
	for _, e := range p.Source.Parts {
		parts = append(parts, ferry.Redact(e.URL))
	}
	return cursor.Key(append(parts, ferry.Redact(p.Destination.URL))...)
}

// cursorRun is the cursor side of one run of an incremental job.
type cursorRun struct {
	store   CursorStore
	key     string
	tracker *cursor.Tracker
}

// applyCursor adds the saved cursor's predicate to every source part and
// returns the tracker to add to the run's checks; nil when the job has no
// cursor.
func (p *Parsed) applyCursor(o RunOptions, withWriter bool) ([]Endpoint, *cursorRun, error) {
	if p.Cursor == nil {
		return p.Source.Parts, nil, nil
	}
	if o.CursorStore == nil && !withWriter {
		return p.Source.Parts, nil, nil // plan and check read as a first run would
	}
	if o.CursorStore == nil {
		return nil, nil, fmt.Errorf("job: the job has a cursor: give a state store (ferry run --state PATH, RunOptions.CursorStore)")
	}
	spec, err := p.Cursor.spec()
	if err != nil {
		return nil, nil, fmt.Errorf("job: cursor: %w", err)
	}
	key := o.CursorKey
	if key == "" {
		key = p.CursorKey()
	}
	st, err := o.CursorStore.Load(key)
	if err != nil {
		return nil, nil, err
	}
	var saved []cursor.Value
	if st != nil {
		saved = st.Values
	}
	parts := make([]Endpoint, len(p.Source.Parts))
	for i, e := range p.Source.Parts {
		urls := append([]string{e.URL}, e.Failover...)
		for k, u := range urls {
			au, err := cursor.Apply(u, spec, saved)
			if err != nil {
				return nil, nil, fmt.Errorf("job: cursor on source %s: %w", ferry.Redact(u), err)
			}
			urls[k] = au
		}
		e.URL, e.Failover = urls[0], urls[1:]
		if len(e.Failover) == 0 {
			e.Failover = nil
		}
		parts[i] = e
	}
	return parts, &cursorRun{store: o.CursorStore, key: key, tracker: cursor.NewTracker(spec, saved)}, nil
}

// save records the new cursor after a committed run.
func (c *cursorRun) save(sum *ferry.Summary) error {
	if c == nil || sum == nil || !sum.Committed {
		return nil
	}
	if err := c.store.Save(c.key, c.tracker.Result(), sum.RunID); err != nil {
		return fmt.Errorf("job: the run committed, but its cursor was not saved (the next run repeats its rows): %w", err)
	}
	return nil
}

// shardOptions are the sqlshard options of one source part: the job's
// source columns when the part's URL names several tables.
func (p *Parsed) shardOptions() *sqlshard.Options {
	o := &sqlshard.Options{MaxPerSource: p.MaxPerSource}
	for i, c := range p.SourceColumns {
		name, kind, ok := strings.Cut(c, ":")
		if !ok {
			kind = sqlshard.KindDatabase
			if i > 0 {
				kind = sqlshard.KindTable
			}
		}
		o.SourceColumns = append(o.SourceColumns, sqlshard.SourceColumn{Name: name, Kind: kind})
	}
	return o
}

// partValues returns the source column values of a part (a database
// table): its database, schema, table and source.
func partValues(cols []sqlshard.SourceColumn, e Endpoint) (map[string]string, error) {
	pl, err := sqlshard.ParseURL(e.URL, &sqlshard.Options{SourceColumns: cols})
	if err != nil {
		return nil, err
	}
	if pl == nil || len(pl.Shards) != 1 {
		u, _ := url.Parse(e.URL)
		what := "a file"
		if u != nil && u.Query().Get("querySql") != "" {
			what = "a querySql"
		} else if pl != nil {
			what = "a table range"
		}
		return nil, fmt.Errorf("job: sourceColumns name the database and table of each part; part %s is %s", ferry.Redact(e.URL), what)
	}
	return pl.Shards[0].Values, nil
}
