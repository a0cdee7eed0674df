package job

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
)

// Plan is what a job would do, with parameters substituted and secrets
// masked. Making it connects to the source and the destination but writes
// nothing and runs no preSql or postSql.
type Plan struct {
	Format  Format `json:"format"`
	Env     string `json:"env"`
	CycTime string `json:"cycTime"`
	// Job is the resolved job in Ferry's JSON form.
	Job json.RawMessage `json:"job"`
	// Splits are the source's splits, in order.
	Splits []string `json:"splits"`
	// Mapping is every destination column with its source and types.
	Mapping []ResolvedColumn `json:"mapping"`
	// SourceSQL and DestinationSQL say what each side runs.
	SourceSQL      []string `json:"sourceSql"`
	DestinationSQL []string `json:"destinationSql"`
	// Limits are the engine options the job sets.
	Limits string `json:"limits"`
	// Warnings are the keys Ferry ignores, and notes.
	Warnings []string `json:"warnings,omitempty"`

	destErr error
}

// Plan opens the source (connects, reads its schema and splits) and the
// destination table's schema, and says what a run would do.
func (p *Parsed) Plan(ctx context.Context, ro *RunOptions) (*Plan, error) {
	op, err := p.open(ctx, ro, false)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	pl := &Plan{
		Format:   p.Format,
		Env:      p.Env,
		CycTime:  p.CycTime.Format(time.RFC3339),
		Job:      json.RawMessage(p.Shown()),
		Mapping:  op.Projection.Resolved,
		Warnings: append([]string(nil), p.Warnings...),
	}
	hint := p.Concurrency
	if hint <= 0 {
		hint = 4
	}
	splits, err := op.Reader.Splits(ctx, hint)
	if err != nil {
		return nil, fmt.Errorf("job: source splits: %s", p.Mask(err.Error()))
	}
	for _, s := range splits {
		pl.Splits = append(pl.Splits, s.ID)
	}
	for _, part := range p.Source.Parts {
		pl.SourceSQL = append(pl.SourceSQL, p.Mask(describeSource(part)))
	}
	pl.DestinationSQL = describeDest(p.Destination)
	for i, s := range pl.DestinationSQL {
		pl.DestinationSQL[i] = p.Mask(s)
	}
	pl.destErr = op.DestErr
	if op.DestErr != nil {
		pl.Warnings = append(pl.Warnings, "destination: "+op.DestErr.Error())
	} else if op.DestSchema == nil {
		pl.Warnings = append(pl.Warnings, "destination: no table schema to check against (a file, or a table the writer creates)")
	}
	pl.Limits = fmt.Sprintf("concurrency %s, %s, %s; dirty rows: %s", orDefault(p.Concurrency), rate(p.RowsPerSecond, "rows/s"), rate(p.BytesPerSecond, "bytes/s"), p.Dirty.Policy())
	return pl, nil
}

func orDefault(n int) string {
	if n <= 0 {
		return "default (one worker per CPU)"
	}
	return fmt.Sprint(n)
}

func rate(v float64, unit string) string {
	if v <= 0 {
		return "no " + unit + " limit"
	}
	return fmt.Sprintf("at most %g %s (job-wide)", v, unit)
}

// Check validates the job against both sides: the source answers, the
// destination table exists (or will be created) with every mapped column,
// and every value converts. It writes nothing.
func (p *Parsed) Check(ctx context.Context, ro *RunOptions) (*Plan, error) {
	pl, err := p.Plan(ctx, ro)
	if err != nil {
		return nil, err
	}
	op := p.Destination
	u, _ := url.Parse(op.URL)
	if u != nil {
		switch u.Scheme {
		case "csv", "jsonl", "parquet":
			dir := fileset.URLPath(u)
			if !strings.HasSuffix(dir, "/") {
				dir = filepath.Dir(dir)
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return pl, fmt.Errorf("job: destination directory %s does not exist", dir)
			}
		}
	}
	if pl.destErr != nil {
		return pl, pl.destErr
	}
	return pl, nil
}

func describeSource(e Endpoint) string {
	pu, err := url.Parse(e.URL)
	if err != nil {
		return ferry.Redact(e.URL)
	}
	q := pu.Query()
	where := ""
	if w := q.Get("where"); w != "" {
		where = " WHERE (" + w + ")"
	}
	loc := ferry.Redact((&url.URL{Scheme: pu.Scheme, User: pu.User, Host: pu.Host, Path: pu.Path}).String())
	switch {
	case q.Get("querySql") != "":
		return loc + ": " + q.Get("querySql")
	case q.Get("table") != "":
		cols := q.Get("columns")
		if cols == "" {
			cols = "*"
		}
		s := fmt.Sprintf("%s: SELECT %s FROM %s%s", loc, cols, q.Get("table"), where)
		if pk := q.Get("splitPk"); pk != "" {
			s += ", split into ranges of " + pk
		}
		if len(e.Failover) > 0 {
			s += fmt.Sprintf(" (%d more jdbcUrl entries on failover)", len(e.Failover))
		}
		return s
	}
	shown := ferry.Redact(e.URL)
	if u, err := url.QueryUnescape(shown); err == nil {
		shown = u
	}
	return shown
}

func describeDest(e Endpoint) []string {
	pu, err := url.Parse(e.URL)
	if err != nil {
		return []string{ferry.Redact(e.URL)}
	}
	q := pu.Query()
	var out []string
	for _, s := range q["preSql"] {
		out = append(out, "preSql (before the load): "+s)
	}
	mode := q.Get("mode")
	if mode == "" {
		mode = "insert"
	}
	target := q.Get("table")
	if target == "" {
		target = fileset.URLPath(pu)
	}
	out = append(out, fmt.Sprintf("%s: write mode %s into %s", pu.Scheme, mode, target))
	for _, s := range q["postSql"] {
		out = append(out, "postSql (at commit): "+s)
	}
	return out
}

// String renders the plan for a terminal.
func (pl *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Ferry plan (%s job, env %s, scheduled at %s)\n\n", pl.Format, pl.Env, pl.CycTime)
	b.WriteString("source:\n")
	for _, s := range pl.SourceSQL {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "splits (%d):", len(pl.Splits))
	for i, s := range pl.Splits {
		if i == 20 {
			fmt.Fprintf(&b, " ... (%d more)", len(pl.Splits)-20)
			break
		}
		fmt.Fprintf(&b, " %s", s)
	}
	b.WriteString("\n\ndestination:\n")
	for _, s := range pl.DestinationSQL {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	b.WriteString("\nmapping:\n")
	for _, m := range pl.Mapping {
		conv := ""
		if m.Conversion != "" {
			conv = " [" + m.Conversion + "]"
		}
		fmt.Fprintf(&b, "  %-20s <- %-20s %s -> %s%s\n", m.To, m.From, m.SourceType, m.DestType, conv)
	}
	fmt.Fprintf(&b, "\nlimits: %s\n", pl.Limits)
	if len(pl.Warnings) > 0 {
		b.WriteString("\nwarnings:\n")
		for _, w := range pl.Warnings {
			fmt.Fprintf(&b, "  %s\n", w)
		}
	}
	return b.String()
}
