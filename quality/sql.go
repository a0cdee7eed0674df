package quality

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
)

// TablePlaceholder in a SQL rule's query stands for the destination table,
// quoted for its dialect.
const TablePlaceholder = "{table}"

// SQLCheck is the rule made by SQL.
type SQLCheck struct {
	base
	query     string
	byDialect map[string]string
}

var _ ferry.Check = (*SQLCheck)(nil)

// SQL returns the rule that query, run against the destination inside the
// commit transaction (so it sees the table as the commit will leave it),
// returns no row. {table} in the query stands for the destination table.
// The query must be read-only; it is the job author's SQL, run as the
// writer's user. With a writer that cannot run SQL inside its commit
// (files, or a writer without ferry.CheckedCommitter) the rule fails.
func SQL(sev Severity, name, query string) *SQLCheck {
	return &SQLCheck{base: base{name: name, severity: sev}, query: query, byDialect: map[string]string{}}
}

// ForDialect sets the query used with one dialect (ferry.EnginePostgreSQL,
// ferry.EngineMySQL, ...) and returns c.
func (c *SQLCheck) ForDialect(dialect, query string) *SQLCheck {
	c.byDialect[dialect] = query
	return c
}

// Begin checks that a query is set.
func (c *SQLCheck) Begin(*arrow.Schema) error {
	if c.name == "" {
		return errors.New("quality: a sql rule needs a name")
	}
	if strings.TrimSpace(c.query) == "" && len(c.byDialect) == 0 {
		return fmt.Errorf("quality: %s: no query", c.name)
	}
	return nil
}

// NewSplit returns nil: the rule reads the destination.
func (c *SQLCheck) NewSplit() ferry.SplitCheck { return nil }

// Merge is never called.
func (c *SQLCheck) Merge(json.RawMessage) error { return nil }

// Verify runs the query.
func (c *SQLCheck) Verify(ctx context.Context, in ferry.CheckInput) ferry.CheckResult {
	if in.Query == nil {
		return c.result(false, "needs a destination that runs SQL inside its commit transaction; this writer cannot, so the rule cannot pass")
	}
	q := in.Query
	query, ok := c.byDialect[q.Dialect()]
	if !ok {
		query = c.query
	}
	if strings.TrimSpace(query) == "" {
		return c.result(false, "no query for dialect %s", q.Dialect())
	}
	query = strings.ReplaceAll(query, TablePlaceholder, q.Table())
	rows, more, err := q.Query(ctx, query, 5)
	if err != nil {
		return c.result(false, "query failed: %v", err)
	}
	if len(rows) > 0 {
		var ex []string
		for _, r := range rows {
			ex = append(ex, "("+strings.Join(texts(r), ", ")+")")
		}
		n := fmt.Sprint(len(rows))
		if more {
			n += "+"
		}
		return c.result(false, "returned %s rows, want none: %s", n, strings.Join(ex, ", "))
	}
	return c.result(true, "returned no row")
}
